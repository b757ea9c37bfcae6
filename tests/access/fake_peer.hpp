// A peer the tests play by hand against a real daemon: ZeroMQ sockets on a chosen loopback address, with
// the cluster's CURVE key, another key, or none, sending whatever bytes a test crafts.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace chu::test {

struct CurveKey {
    std::array<unsigned char, 32> public_key{};
    std::array<unsigned char, 32> secret_key{};
    std::array<unsigned char, 32> seed{};
};

// The key a daemon derives from `secrets` (its private-chef-secrets.json or key_file), the same way
// daemon/config/cluster_key.cpp does, computed here independently.
CurveKey cluster_key_of(const std::string& secrets_path);
// A key pair no cluster has.
CurveKey stranger_key();

std::string hex(const std::array<unsigned char, 32>& bytes);

class FakePeer {
public:
    // How this peer secures its connections: as a node of the cluster would (`key` for both sides), with
    // its own key pair but the cluster's public key (`server` differs from `key`), or in plaintext.
    struct Security {
        std::optional<CurveKey> key;
        std::optional<std::array<unsigned char, 32>> server;  // default: key's public key
    };

    FakePeer(std::string address, std::uint16_t port, Security security);
    ~FakePeer();
    FakePeer(const FakePeer&) = delete;
    FakePeer& operator=(const FakePeer&) = delete;

    // Binds address:port, where the daemon sends what it has for the node at this address.
    void listen();
    // Sends `frame` to the daemon at `to`, from this peer's address; queued until the connection is up.
    void send(const std::string& to, const std::string& frame);
    // The next frame the daemon sent here, or nothing by `timeout`.
    std::optional<std::string> receive(std::chrono::milliseconds timeout);

private:
    struct Sockets;
    std::string address_;
    std::uint16_t port_;
    Security security_;
    std::unique_ptr<Sockets> sockets_;
};

}  // namespace chu::test
