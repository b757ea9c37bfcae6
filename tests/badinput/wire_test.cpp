// Crafted ZeroMQ frames against a real daemon: the test plays the leader (and strangers) by hand, from
// the topology's own loopback addresses, and checks that what a node must not accept is dropped and
// logged, that nothing of it reaches the journal, and that the node goes on exactly as before.
#include "cluster.hpp"
#include "fake_peer.hpp"

#include "core/records.hpp"
#include "core/wire.hpp"

#include <catch2/catch.hpp>

#include <climits>
#include <fstream>
#include <iterator>

using namespace chu;
using namespace chu::test;
using namespace std::chrono_literals;

namespace {

constexpr std::uint16_t port = 9683;  // the cluster harness leaves [cluster] port at its default

std::string frame(const std::string& from, Message message)
{
    return encode_frame(Envelope{from, std::move(message)});
}

// A cluster without CURVE (so that the test can craft frames) where only `real` runs its daemon, and the
// test plays `played` with a peer listening at that node's address.
struct Staged {
    static ClusterSpec insecure()
    {
        ClusterSpec spec;
        spec.insecure = true;
        return spec;
    }
    Staged(const std::string& real, const std::string& played_node) : c(insecure()), played(c.node(played_node).address, port, {})
    {
        played.listen();
        c.start(real);
    }
    Cluster c;
    FakePeer played;
};

// The next Presence `peer` receives from `node` that satisfies `want`, within `timeout`.
std::optional<Presence> hello_from(FakePeer& peer, const std::string& node, const std::function<bool(const Presence&)>& want,
                                   std::chrono::milliseconds timeout)
{
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
        auto bytes = peer.receive(200ms);
        if (!bytes)
            continue;
        auto envelope = decode_frame(*bytes);
        if (envelope && envelope->from == node)
            if (const auto* h = std::get_if<Presence>(&envelope->message); h && want(*h))
                return *h;
    }
    return std::nullopt;
}

// Every Report `peer` receives from `node` within `timeout`, until `count` of them came.
std::vector<Report> reports_from(FakePeer& peer, const std::string& node, std::size_t count, std::chrono::milliseconds timeout)
{
    std::vector<Report> out;
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (out.size() < count && std::chrono::steady_clock::now() < until) {
        auto bytes = peer.receive(200ms);
        if (!bytes)
            continue;
        auto envelope = decode_frame(*bytes);
        if (envelope && envelope->from == node)
            if (const auto* r = std::get_if<Report>(&envelope->message))
                out.push_back(*r);
    }
    return out;
}

std::vector<Record> journal_of(const NodeInfo& node)
{
    std::ifstream in(node.dir + "/state/journal", std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return scan_journal(bytes).records;
}

template <class T>
std::size_t count_of(const std::vector<Record>& records)
{
    std::size_t n = 0;
    for (const auto& r : records)
        n += std::holds_alternative<T>(r);
    return n;
}

bool logged(const Cluster& c, const std::string& node, const std::string& text)
{
    return c.wait_for([&] { return c.daemon_log(node).find(text) != std::string::npos; }, 20s);
}

Beat beat(std::uint64_t epoch, const std::string& last_error)
{
    Beat b;
    b.epoch = epoch;
    b.state = static_cast<std::uint8_t>(State::joining);
    b.last_error = last_error;
    return b;
}

// A valid frame that claims a plan phase and step: what a leader at `epoch` would order first.
Order first_order(std::uint64_t epoch)
{
    Order o;
    o.epoch = epoch;
    o.phase = 1;  // preflight
    o.step = 0;   // check-package: a check, it changes nothing
    return o;
}

}  // namespace

TEST_CASE("malformed, oversized, spoofed, stranger and old-epoch frames are dropped and logged, and the follower goes on "
          "unharmed",
          "[badinput][wire]")
{
    Staged staged("fe1.example.com", "be1.example.com");  // the CURVE case is below
    Cluster& c = staged.c;
    FakePeer& leader = staged.played;
    const NodeInfo& fe1 = c.node("fe1.example.com");
    const std::string be1 = c.node("be1.example.com").address, be2 = c.node("be2.example.com").address,
                      fe2 = c.node("fe2.example.com").address;
    const std::string net = be1.substr(0, be1.rfind('.') + 1);
    INFO("---- fe1 daemon log\n" << c.daemon_log(fe1.name));
    REQUIRE(hello_from(
        leader, fe1.name, [](const Presence&) { return true; }, 30s));

    // The leader, at epoch 5: from now on fe1 says it has seen epoch 5.
    leader.send(fe1.address, frame("be1.example.com", beat(5, "")));
    REQUIRE(hello_from(
        leader, fe1.name, [](const Presence& h) { return h.epoch == 5; }, 20s));
    const auto journal_before = journal_of(fe1);

    // A beat from the leader's address naming a cluster state, and peers with a role and a state, past the last.
    Beat strange = beat(5, "");
    strange.state = 240;
    strange.peers.push_back(PeerInfo{"be2.example.com", 200, 250, 1, "", 0});
    leader.send(fe1.address, frame("be1.example.com", strange));
    CHECK(logged(c, fe1.name, "dropped a malformed message from " + be1 + ": unknown message type or value (type 1)"));
    // Not a frame at all.
    FakePeer stranger(net + "96", port, {});
    stranger.send(fe1.address, "GET / HTTP/1.0\r\n\r\n");
    CHECK(logged(c, fe1.name, "dropped a malformed message from " + net + "96: not a chef-ha-upgrade frame"));
    // A frame cut short by one byte, and one of another protocol version, from the other nodes' addresses.
    FakePeer secondary(be2, port, {}), frontend(fe2, port, {});
    const std::string order = frame("be1.example.com", first_order(5));
    secondary.send(fe1.address, order.substr(0, order.size() - 1));
    CHECK(logged(c, fe1.name, "dropped a malformed message from " + be2 + ": truncated frame or trailing bytes"));
    std::string future = order;
    const int next_version = chu::wire_protocol_version + 1;
    future[3] = static_cast<char>(next_version);
    frontend.send(fe1.address, future);
    CHECK(logged(c, fe1.name, "dropped a malformed message from " + fe2 + ": protocol version " + std::to_string(next_version)));
    // Over the frame limit but under the socket's: read and refused; far over it: ZeroMQ drops the connection.
    FakePeer outsider(net + "99", port, {}), flooder(net + "98", port, {});
    Chunk huge;
    huge.epoch = 5;
    huge.phase = 8;
    huge.data.assign(chunk_size, 'x');
    Presence big;
    big.plan_name.assign(max_frame_size, 'p');
    outsider.send(fe1.address, frame("be1.example.com", big));
    CHECK(logged(c, fe1.name, "dropped a malformed message from " + net + "99: frame of "));
    flooder.send(fe1.address, std::string(16u << 20, '\0'));
    CHECK(logged(c, fe1.name, "connection from " + net + "98 (not a node in "));
    // A well-formed order that claims to come from the leader, sent from fe2's address.
    frontend.send(fe1.address, order);
    CHECK(logged(c, fe1.name, "dropped a message that claims to come from be1.example.com (at " + be1));
    // A well-formed order from a node the topology does not have.
    outsider.send(fe1.address, frame("intruder.example.com", first_order(5)));
    CHECK(logged(c, fe1.name, "dropped a message from \"intruder.example.com\", which is not a peer"));
    // A genuine-looking order of an older epoch, from the leader's address.
    leader.send(fe1.address, frame("be1.example.com", first_order(3)));
    CHECK(logged(c, fe1.name, "ignored an order from epoch 3 (current 5)"));

    // Unharmed: still running, still greeting its leader, still taking the leader's word; nothing ran and
    // nothing was journaled.
    leader.send(fe1.address, frame("be1.example.com", beat(5, "the test leader is still heard")));
    CHECK(c.wait_for([&] { return c.view(fe1.name).last_error == "the test leader is still heard"; }, 20s));
    CHECK(c.running(fe1.name));
    CHECK(hello_from(
        leader, fe1.name, [](const Presence& h) { return h.epoch == 5 && !h.running; }, 20s));
    const View view = c.view(fe1.name);
    CHECK(view.state == "joining");
    CHECK(view.step.empty());
    const auto journal_after = journal_of(fe1);
    CHECK(journal_after.size() == journal_before.size());
    CHECK(count_of<StartedRecord>(journal_after) == 0);
    CHECK(c.calls().empty());
}

TEST_CASE("a replayed order is answered from the journal and runs nothing twice", "[badinput][wire]")
{
    Staged staged("fe1.example.com", "be1.example.com");
    Cluster& c = staged.c;
    FakePeer& leader = staged.played;
    const NodeInfo& fe1 = c.node("fe1.example.com");
    INFO("---- fe1 daemon log\n" << c.daemon_log(fe1.name));
    REQUIRE(hello_from(
        leader, fe1.name, [](const Presence&) { return true; }, 30s));

    const std::string order = frame("be1.example.com", first_order(1));
    leader.send(fe1.address, order);
    const auto first = reports_from(leader, fe1.name, 1, 60s);
    REQUIRE(first.size() == 1);
    CHECK(first[0].end.outcome == Outcome::ok);
    // The same bytes again, twice: a captured order replayed.
    leader.send(fe1.address, order);
    leader.send(fe1.address, order);
    const auto again = reports_from(leader, fe1.name, 2, 30s);
    REQUIRE(again.size() == 2);
    for (const auto& r : again) {
        CHECK(r.phase == first[0].phase);
        CHECK(r.step == first[0].step);
        CHECK(r.started_ms == first[0].started_ms);  // the journaled result, not a new run
        CHECK(r.finished_ms == first[0].finished_ms);
    }
    const auto journal = journal_of(fe1);
    CHECK(count_of<StartedRecord>(journal) == 1);
    CHECK(count_of<FinishedRecord>(journal) == 1);
    CHECK(c.running(fe1.name));
}

TEST_CASE("a hello claiming a phase far past the plan does not crash the leader", "[badinput][wire]")
{
    Staged staged("be1.example.com", "fe1.example.com");
    Cluster& c = staged.c;
    FakePeer& follower = staged.played;
    const NodeInfo& be1 = c.node("be1.example.com");
    INFO("---- be1 daemon log\n" << c.daemon_log(be1.name));
    REQUIRE(c.wait_for([&] { return c.view(be1.name).reachable; }, 30s));
    Presence h;
    h.plan_name = "chef-server-12";
    h.phase = INT_MAX;
    h.step = INT_MAX;
    follower.send(be1.address, frame("fe1.example.com", h));
    h.phase = -7;
    h.step = -7;
    follower.send(be1.address, frame("fe1.example.com", h));
    // The leader took it in (fe1 is refused at join with its name), and still answers on its bus.
    CHECK(c.wait_for([&] { return c.view(be1.name).last_error.find("fe1.example.com") != std::string::npos; }, 20s));
    CHECK(c.running(be1.name));
    CHECK(c.view(be1.name).state == "joining");
}

TEST_CASE("with CURVE, a keyed peer's spoofed and malformed frames are still dropped and logged", "[badinput][wire]")
{
    Cluster c({});
    const NodeInfo& fe1 = c.node("fe1.example.com");
    const std::string be1 = c.node("be1.example.com").address, fe2 = c.node("fe2.example.com").address;
    const CurveKey key = cluster_key_of(fe1.dir + "/etc/opscode/private-chef-secrets.json");
    FakePeer leader(be1, port, {key, std::nullopt}), frontend(fe2, port, {key, std::nullopt});
    leader.listen();
    c.start(fe1.name);
    INFO("---- fe1 daemon log\n" << c.daemon_log(fe1.name));
    // fe1 completes the handshake with the key derived here independently, and greets its leader.
    REQUIRE(hello_from(
        leader, fe1.name, [](const Presence&) { return true; }, 30s));

    leader.send(fe1.address, std::string("\x00\x01\x02", 3));
    CHECK(logged(c, fe1.name, "dropped a malformed message from " + be1 + ": not a chef-ha-upgrade frame"));
    frontend.send(fe1.address, frame("be1.example.com", first_order(1)));
    CHECK(logged(c, fe1.name, "dropped a message that claims to come from be1.example.com (at " + be1));
    leader.send(fe1.address, frame("be1.example.com", beat(1, "heard over CURVE")));
    CHECK(c.wait_for([&] { return c.view(fe1.name).last_error == "heard over CURVE"; }, 20s));
    CHECK(count_of<StartedRecord>(journal_of(fe1)) == 0);
    CHECK(c.running(fe1.name));
}
