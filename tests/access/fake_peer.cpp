#include "fake_peer.hpp"

#include <sodium.h>
#include <zmq.hpp>

#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace chu::test {

struct FakePeer::Sockets {
    zmq::context_t context{1};
    zmq::socket_t inbox;
    std::map<std::string, zmq::socket_t> links;
};

namespace {

CurveKey from_seed(const unsigned char* seed)
{
    CurveKey key;
    std::copy(seed, seed + 32, key.seed.begin());
    crypto_box_seed_keypair(key.public_key.data(), key.secret_key.data(), seed);
    return key;
}

}  // namespace

CurveKey cluster_key_of(const std::string& secrets_path)
{
    if (sodium_init() < 0)
        throw std::runtime_error("libsodium failed to initialise");
    std::ifstream in(secrets_path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in)
        throw std::runtime_error("cannot read " + secrets_path);
    const std::string context = "chef-ha-upgrade cluster key v1\n";
    const std::string secrets = text.str();
    unsigned char seed[32];
    crypto_generichash_state state;
    crypto_generichash_init(&state, nullptr, 0, sizeof seed);
    crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(context.data()), context.size());
    crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(secrets.data()), secrets.size());
    crypto_generichash_final(&state, seed, sizeof seed);
    return from_seed(seed);
}

CurveKey stranger_key()
{
    if (sodium_init() < 0)
        throw std::runtime_error("libsodium failed to initialise");
    unsigned char seed[32];
    randombytes_buf(seed, sizeof seed);
    return from_seed(seed);
}

std::string hex(const std::array<unsigned char, 32>& bytes)
{
    char out[65];
    sodium_bin2hex(out, sizeof out, bytes.data(), bytes.size());
    return out;
}

FakePeer::FakePeer(std::string address, std::uint16_t port, Security security)
    : address_(std::move(address)), port_(port), security_(std::move(security)), sockets_(std::make_unique<Sockets>())
{}

FakePeer::~FakePeer()
{
    for (auto& [to, socket] : sockets_->links)
        socket.set(zmq::sockopt::linger, 0);
    if (sockets_->inbox)
        sockets_->inbox.set(zmq::sockopt::linger, 0);
}

void FakePeer::listen()
{
    sockets_->inbox = zmq::socket_t(sockets_->context, zmq::socket_type::pull);
    if (security_.key) {
        sockets_->inbox.set(zmq::sockopt::curve_server, true);
        sockets_->inbox.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(security_.key->secret_key.data(), 32));
    }
    sockets_->inbox.bind("tcp://" + address_ + ":" + std::to_string(port_));
}

void FakePeer::send(const std::string& to, const std::string& frame)
{
    auto it = sockets_->links.find(to);
    if (it == sockets_->links.end()) {
        zmq::socket_t socket(sockets_->context, zmq::socket_type::push);
        socket.set(zmq::sockopt::sndtimeo, 10000);
        if (security_.key) {
            const auto& server = security_.server ? *security_.server : security_.key->public_key;
            socket.set(zmq::sockopt::curve_serverkey, zmq::const_buffer(server.data(), 32));
            socket.set(zmq::sockopt::curve_publickey, zmq::const_buffer(security_.key->public_key.data(), 32));
            socket.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(security_.key->secret_key.data(), 32));
        }
        // From this peer's own address: the daemon checks senders against the topology's addresses.
        socket.connect("tcp://" + address_ + ":0;" + to + ":" + std::to_string(port_));
        it = sockets_->links.emplace(to, std::move(socket)).first;
    }
    if (!it->second.send(zmq::const_buffer(frame.data(), frame.size()), zmq::send_flags::none))
        throw std::runtime_error("could not queue a frame for " + to);
}

std::optional<std::string> FakePeer::receive(std::chrono::milliseconds timeout)
{
    sockets_->inbox.set(zmq::sockopt::rcvtimeo, static_cast<int>(timeout.count()));
    zmq::message_t message;
    if (!sockets_->inbox.recv(message, zmq::recv_flags::none))
        return std::nullopt;
    return message.to_string();
}

}  // namespace chu::test
