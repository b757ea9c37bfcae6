// The peer transport: ZeroMQ over TCP between each node's topology :ipaddress and [cluster] port, CURVE on
// every socket (unless insecure), driven by the daemon's sd-event loop. Each node binds one PULL socket and
// connects one PUSH socket, from its own address, to each peer it talks to. Sends never block: a message for
// a peer that is not connected is dropped, and the core sends again at the next heartbeat.
#pragma once

#include "config/cluster_key.hpp"
#include "core/topology.hpp"
#include "core/wire.hpp"
#include "systemd/log.hpp"

#include <zmq.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct sd_event;
struct sd_event_source;

namespace chu {

class Mesh {
public:
    // What one wake brought in, in order of arrival: handed over together so that the daemon carries out
    // their effects once, and a burst of reports costs the leader one journal fsync (group commit).
    using Deliver = std::function<void(const std::vector<Envelope>&)>;

    struct Options {
        std::uint16_t port = 0;
        unsigned heartbeat_ms = 1000;
        unsigned peer_timeout_ms = 5000;
        std::optional<ClusterKey> key;  // none: insecure
    };

    Mesh(sd_event* event, const Logger& log, const Topology& topology, const std::string& me, Options options, Deliver deliver);
    ~Mesh();
    Mesh(const Mesh&) = delete;
    Mesh& operator=(const Mesh&) = delete;

    // Binds this node's socket; the error names the address and the topology entry it came from.
    Status listen();
    void send(const std::string& to, const std::string& frame);
    // After listen() failed: this host has no such address (the topology or [cluster] node is wrong).
    bool address_not_here() const { return address_not_here_; }

private:
    struct Watch;
    struct Link {  // this node's connection to one peer
        zmq::socket_t socket;
        zmq::socket_t monitor;
        std::unique_ptr<Watch> watch;
        bool up = false;
    };

    void watch(zmq::socket_t& socket, std::function<void()> on_ready, std::unique_ptr<Watch>& out);
    void secure_client(zmq::socket_t& socket);
    Link& link(const std::string& peer);
    void drain_inbox();
    void drain_zap();
    void drain_monitor(zmq::socket_t& monitor, const std::string& peer);
    void receive(zmq::message_t& message, std::vector<Envelope>& batch);
    std::string who(const std::string& address) const;
    bool worth_saying(const std::string& what);  // false when said in the last minute

    sd_event* event_;
    const Logger& log_;
    const Topology& topology_;
    std::string me_;
    std::string my_address_;
    Options options_;
    Deliver deliver_;
    zmq::context_t context_;
    zmq::socket_t zap_;
    zmq::socket_t inbox_;
    zmq::socket_t inbox_monitor_;
    std::unique_ptr<Watch> zap_watch_, inbox_watch_, inbox_monitor_watch_;
    std::map<std::string, Link> links_;
    std::map<int, std::string> accepted_;  // fd -> peer address, to name who failed a handshake
    // How the last inbound handshake failed, for the disconnect that follows it (libzmq names no peer there).
    enum class Refusal { none, said, unsaid } handshake_failed_ = Refusal::none;
    bool address_not_here_ = false;
    std::map<std::string, std::int64_t> last_said_;  // message -> when it was last logged
};

}  // namespace chu
