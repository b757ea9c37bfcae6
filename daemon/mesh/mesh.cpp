#include "mesh/mesh.hpp"

#include <systemd/sd-event.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <syslog.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace chu {

namespace {

constexpr const char* zap_endpoint = "inproc://zeromq.zap.01";
constexpr std::int64_t repeat_after_ms = 60'000;  // the same refusal is logged at most once a minute
// ZeroMQ refuses bigger messages (and drops their connection) before they are read: our own frame limit plus
// room for the envelope, so that a frame just over our limit is still read and refused by name.
constexpr std::size_t max_inbound_message = max_frame_size + 4096;

std::string endpoint(const std::string& address, std::uint16_t port)
{
    return "tcp://" + address + ":" + std::to_string(port);
}

std::string peer_name_of(const sockaddr_storage& ss)
{
    char host[INET6_ADDRSTRLEN] = "?";
    if (ss.ss_family == AF_INET)
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(ss).sin_addr, host, sizeof host);
    else if (ss.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(ss).sin6_addr, host, sizeof host);
    return host;
}

std::int64_t steady_ms()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

// An sd-event IO source on a ZeroMQ socket's ZMQ_FD.
// ZMQ_FD is edge-triggered, and a fresh pipe's first message does not signal it at all until the socket
// has once been found empty: so each watch also drains once, from the loop, right after it is set up.
struct Mesh::Watch {
    sd_event_source* source = nullptr;
    sd_event_source* first = nullptr;
    std::function<void()> on_ready;
    const Logger* log = nullptr;
    ~Watch()
    {
        sd_event_source_disable_unref(source);
        sd_event_source_disable_unref(first);
    }
    static int dispatch(sd_event_source*, int, uint32_t, void* userdata)
    {
        static_cast<Watch*>(userdata)->ready();
        return 0;
    }
    static int dispatch_first(sd_event_source*, void* userdata)
    {
        static_cast<Watch*>(userdata)->ready();
        return 0;
    }
    // An exception must not unwind through sd-event's C frames; the next wake drains again.
    void ready()
    {
        try {
            on_ready();
        } catch (const zmq::error_t& e) {
            log->log(LOG_WARNING, std::string("ZeroMQ: ") + e.what() + "; read again at the next wake");
        }
    }
};

Mesh::Mesh(sd_event* event, const Logger& log, const Topology& topology, const std::string& me, Options options, Deliver deliver)
    : event_(event), log_(log), topology_(topology), me_(me), options_(std::move(options)), deliver_(std::move(deliver)),
      context_(1)
{
    my_address_ = topology_.find(me_)->ipaddress;
}

Mesh::~Mesh()
{
    // Monitors off before any socket closes: libzmq 4.3.4 leaks an event (its endpoint frame) that it cannot
    // deliver to a monitor reader already closed, and closing a socket raises one.
    for (auto& [peer, l] : links_)
        zmq_socket_monitor(l.socket.handle(), nullptr, 0);
    if (inbox_.handle())
        zmq_socket_monitor(inbox_.handle(), nullptr, 0);
    links_.clear();
    inbox_watch_.reset();
    inbox_monitor_watch_.reset();
    zap_watch_.reset();
}

void Mesh::watch(zmq::socket_t& socket, std::function<void()> on_ready, std::unique_ptr<Watch>& out)
{
    out = std::make_unique<Watch>();
    out->on_ready = std::move(on_ready);
    out->log = &log_;
    const int fd = socket.get(zmq::sockopt::fd);
    int r = sd_event_add_io(event_, &out->source, fd, EPOLLIN, Watch::dispatch, out.get());
    if (r >= 0)
        r = sd_event_add_defer(event_, &out->first, Watch::dispatch_first, out.get());
    if (r >= 0)
        r = sd_event_source_set_enabled(out->first, SD_EVENT_ONESHOT);
    if (r < 0)  // only without memory or descriptors; the peers' heartbeats say who is not heard
        log_.log(LOG_ERR, std::string("cannot watch a peer socket: ") + std::strerror(-r) + "; restart chef-ha-upgrade");
}

Status Mesh::listen()
{
    const std::string where = endpoint(my_address_, options_.port);
    try {
        if (options_.key) {
            // The ZAP handler sees every CURVE client that got past the handshake: it checks key and address.
            zap_ = zmq::socket_t(context_, zmq::socket_type::rep);
            zap_.bind(zap_endpoint);
            watch(
                zap_, [this] { drain_zap(); }, zap_watch_);
        } else {
            log_.log(LOG_WARNING, "INSECURE: peer traffic is neither encrypted nor authenticated ([cluster] insecure = yes); "
                                  "never use this on a real cluster");
        }
        inbox_ = zmq::socket_t(context_, zmq::socket_type::pull);
        inbox_.set(zmq::sockopt::linger, 0);
        inbox_.set(zmq::sockopt::maxmsgsize, static_cast<std::int64_t>(max_inbound_message));
        // No ZMTP heartbeat of its own: each sender's link pings (below) and the inbox answers. One ping per
        // connection instead of one from each end halves the idle wakeups (a leader has two connections per node).
        if (options_.key) {
            inbox_.set(zmq::sockopt::curve_server, true);
            inbox_.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(options_.key->secret_key.data(), 32));
        }
        inbox_.bind(where);
        const std::string monitor_at = "inproc://monitor-inbox";
        zmq_socket_monitor(inbox_.handle(), monitor_at.c_str(),
                           ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
        inbox_monitor_ = zmq::socket_t(context_, zmq::socket_type::pair);
        inbox_monitor_.connect(monitor_at);
        watch(
            inbox_, [this] { drain_inbox(); }, inbox_watch_);
        watch(
            inbox_monitor_, [this] { drain_monitor(inbox_monitor_, {}); }, inbox_monitor_watch_);
    } catch (const zmq::error_t& e) {
        address_not_here_ = e.num() == EADDRNOTAVAIL;
        return Error{"cannot listen on " + where.substr(6) + " (the :ipaddress of " + me_ + " in " + topology_.file +
                     ", [cluster] port): " + e.what()};
    }
    log_.log(LOG_INFO,
             std::string("listening on ") + where.substr(6) + (options_.key ? " (CURVE, key " + options_.key->id + ")" : ""));
    return Ok{};
}

void Mesh::secure_client(zmq::socket_t& socket)
{
    if (!options_.key)
        return;
    // Every node holds the same key pair: only a node with the cluster's secret can open or pass a handshake.
    socket.set(zmq::sockopt::curve_serverkey, zmq::const_buffer(options_.key->public_key.data(), 32));
    socket.set(zmq::sockopt::curve_publickey, zmq::const_buffer(options_.key->public_key.data(), 32));
    socket.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(options_.key->secret_key.data(), 32));
}

Mesh::Link& Mesh::link(const std::string& peer)
{
    auto it = links_.find(peer);
    if (it != links_.end())
        return it->second;
    Link& l = links_[peer];
    l.socket = zmq::socket_t(context_, zmq::socket_type::push);
    l.socket.set(zmq::sockopt::linger, 0);
    l.socket.set(zmq::sockopt::immediate, true);  // queue only on a live connection; the core re-sends
    l.socket.set(zmq::sockopt::sndhwm, 256);
    l.socket.set(zmq::sockopt::reconnect_ivl, 100);
    l.socket.set(zmq::sockopt::reconnect_ivl_max, 5000);  // backoff, doubling up to 5 s
    // ZMTP pings only find a connection that died silently (a live one carries the core's messages every
    // heartbeat): every half peer timeout is enough, and an idle leader wakes half as often for them.
    l.socket.set(zmq::sockopt::heartbeat_ivl, static_cast<int>(std::max(options_.heartbeat_ms, options_.peer_timeout_ms / 2)));
    l.socket.set(zmq::sockopt::heartbeat_timeout, static_cast<int>(options_.peer_timeout_ms));
    secure_client(l.socket);
    const std::string monitor_at = "inproc://monitor-" + peer;
    zmq_socket_monitor(l.socket.handle(), monitor_at.c_str(),
                       ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                           ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    l.monitor = zmq::socket_t(context_, zmq::socket_type::pair);
    l.monitor.connect(monitor_at);
    watch(
        l.monitor, [this, peer] { drain_monitor(links_.at(peer).monitor, peer); }, l.watch);
    // From our own topology address, so that the peer can check who we are.
    const Server* server = topology_.find(peer);
    l.socket.connect("tcp://" + my_address_ + ":0;" + server->ipaddress + ":" + std::to_string(options_.port));
    return l;
}

void Mesh::send(const std::string& to, const std::string& frame)
{
    if (!topology_.find(to) || to == me_)
        return;
    Link& l = link(to);
    try {
        (void)l.socket.send(zmq::const_buffer(frame.data(), frame.size()), zmq::send_flags::dontwait);
    } catch (const zmq::error_t& e) {
        if (worth_saying("send " + to))
            log_.log(LOG_WARNING, "cannot send to " + to + ": " + e.what());
    }
}

void Mesh::drain_inbox()
{
    std::vector<Envelope> batch;
    try {
        while (inbox_.get(zmq::sockopt::events) & ZMQ_POLLIN) {
            zmq::message_t message;
            if (!inbox_.recv(message, zmq::recv_flags::dontwait))
                break;
            receive(message, batch);
        }
    } catch (const zmq::error_t&) {
        if (!batch.empty())
            deliver_(batch);  // what did arrive is not lost
        throw;
    }
    if (!batch.empty())
        deliver_(batch);
}

void Mesh::receive(zmq::message_t& message, std::vector<Envelope>& batch)
{
    const char* peer_address = message.gets("Peer-Address");
    const std::string from_address = peer_address ? peer_address : "?";
    auto envelope = decode_frame(std::string_view(static_cast<const char*>(message.data()), message.size()));
    if (!envelope) {
        if (worth_saying("malformed " + from_address))
            log_.log(LOG_WARNING, "dropped a malformed message from " + from_address + ": " + envelope.error().message);
        return;
    }
    const Server* sender = topology_.find(envelope->from);
    if (sender && sender->ipaddress != from_address) {
        if (worth_saying("spoof " + envelope->from + from_address))
            log_.log(LOG_WARNING, "dropped a message that claims to come from " + envelope->from + " (at " + sender->ipaddress +
                                      " in " + topology_.file + ") but came from " + from_address);
        return;
    }
    batch.push_back(std::move(envelope.value()));
}

void Mesh::drain_zap()
{
    while (zap_.get(zmq::sockopt::events) & ZMQ_POLLIN) {
        std::vector<zmq::message_t> request;
        zmq::message_t part;
        do {
            if (!zap_.recv(part, zmq::recv_flags::dontwait))
                return;
            request.push_back(std::move(part));
        } while (zap_.get(zmq::sockopt::rcvmore));
        // version, request id, domain, address, identity, mechanism, credentials... A REP socket must answer
        // every request, even one it cannot read, or it stops receiving.
        const bool readable = request.size() >= 6;
        const std::string address = readable ? request[3].to_string() : "?";
        const std::string mechanism = readable ? request[5].to_string() : "";
        bool known = false;
        for (const auto& s : topology_.servers)
            known = known || s.ipaddress == address;
        const bool key_ok = mechanism == "CURVE" && request.size() >= 7 && request[6].size() == 32 &&
                            std::memcmp(request[6].data(), options_.key->public_key.data(), 32) == 0;
        std::string why;
        if (!key_ok)
            why = "it does not have the cluster key (" + options_.key->source + ")";
        else if (!known)
            why = "its address is not a node's :ipaddress in " + topology_.file;
        if (!why.empty() && worth_saying("zap " + address))
            log_.log(LOG_WARNING, "refused a connection from " + who(address) + ": " + why);
        const char* status = why.empty() ? "200" : "400";
        zap_.send(zmq::str_buffer("1.0"), zmq::send_flags::sndmore);
        if (readable)
            zap_.send(request[1], zmq::send_flags::sndmore);
        else
            zap_.send(zmq::str_buffer(""), zmq::send_flags::sndmore);
        zap_.send(zmq::buffer(std::string_view(status)), zmq::send_flags::sndmore);
        zap_.send(zmq::buffer(std::string_view(why.empty() ? "OK" : "refused")), zmq::send_flags::sndmore);
        zap_.send(zmq::str_buffer(""), zmq::send_flags::sndmore);
        zap_.send(zmq::str_buffer(""), zmq::send_flags::none);
    }
}

// Connection events: who connected, who failed the handshake (wrong key, or no encryption), who was lost.
void Mesh::drain_monitor(zmq::socket_t& monitor, const std::string& peer)
{
    while (monitor.get(zmq::sockopt::events) & ZMQ_POLLIN) {
        zmq::message_t head, endpoint;  // the endpoint is ours on the listening side: not used
        if (!monitor.recv(head, zmq::recv_flags::dontwait) || !monitor.recv(endpoint, zmq::recv_flags::none) || head.size() < 6)
            return;
        std::uint16_t event = 0;
        std::uint32_t value = 0;
        std::memcpy(&event, head.data(), 2);
        std::memcpy(&value, static_cast<const char*>(head.data()) + 2, 4);
        const bool failed = event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL || event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ||
                            event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
        if (peer.empty()) {
            // The listening side reports only our own endpoint, so the peer's address comes from the accepted
            // socket; the handshake failure is followed by the disconnect of that socket.
            if (event == ZMQ_EVENT_ACCEPTED) {
                sockaddr_storage ss{};
                socklen_t len = sizeof ss;
                accepted_[static_cast<int>(value)] =
                    getpeername(static_cast<int>(value), reinterpret_cast<sockaddr*>(&ss), &len) == 0 ? who(peer_name_of(ss))
                                                                                                      : "an unknown address";
            } else if (failed) {
                // Refused by our ZAP handler (which said why), or failed before it could ask.
                handshake_failed_ = event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ? Refusal::said : Refusal::unsaid;
            } else if (event == ZMQ_EVENT_DISCONNECTED) {
                const std::string who =
                    accepted_.count(static_cast<int>(value)) ? accepted_[static_cast<int>(value)] : "an unknown address";
                accepted_.erase(static_cast<int>(value));
                if (handshake_failed_ == Refusal::unsaid && worth_saying("handshake " + who))
                    log_.log(LOG_WARNING,
                             "refused a connection from " + who +
                                 ": its handshake failed (it does not have the cluster key, or talks without encryption)");
                else if (handshake_failed_ == Refusal::none && worth_saying("closed " + who))
                    // ZeroMQ drops a message over the socket's size limit with its connection, saying nothing else.
                    log_.log(LOG_NOTICE, "connection from " + who +
                                             " closed: the peer stopped or the link was lost, or it "
                                             "sent a message over " +
                                             std::to_string(max_inbound_message) + " bytes");
                handshake_failed_ = Refusal::none;
            }
            continue;
        }
        Link& l = links_.at(peer);
        if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED && !l.up) {
            l.up = true;
            log_.log(LOG_INFO, "connected to " + peer);
        } else if (event == ZMQ_EVENT_DISCONNECTED && l.up) {
            l.up = false;
            log_.log(LOG_WARNING, "connection to " + peer + " lost; reconnecting");
        } else if (failed && worth_saying("handshake to " + peer)) {
            log_.log(LOG_ERR, who(topology_.find(peer)->ipaddress) +
                                  " refused our handshake: this node's cluster key differs "
                                  "from its key (compare " +
                                  (options_.key ? options_.key->source : std::string("[cluster] insecure")) + " on both)");
        }
    }
}

// "fe2.example.com (127.0.1.22)" for a topology address, else the address and that it is unknown.
std::string Mesh::who(const std::string& address) const
{
    for (const auto& server : topology_.servers)
        if (server.ipaddress == address)
            return server.name + " (" + address + ")";
    return address + " (not a node in " + topology_.file + ")";
}

bool Mesh::worth_saying(const std::string& what)
{
    const std::int64_t now = steady_ms();
    auto it = last_said_.find(what);
    if (it != last_said_.end() && now - it->second < repeat_after_ms)
        return false;
    last_said_[what] = now;
    return true;
}

}  // namespace chu
