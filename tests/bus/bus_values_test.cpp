// What the daemon announces on the bus, decided without a bus: which peer changes are worth a signal.
#include "bus/bus_status.hpp"
#include "bus/bus_values.hpp"
#include "core/outlook.hpp"

#include <catch2/catch.hpp>

using chu::bus::PeerEntry;

TEST_CASE("peers that differ only in how long ago they were heard have not moved", "[bus][values]")
{
    const std::vector<PeerEntry> before{{"be1.example.com", "bootstrap", "idle", 0, "", 0},
                                        {"fe1.example.com", "frontend", "idle", 0, "", 3}};
    auto later = before;
    std::get<5>(later[0]) = 1;
    std::get<5>(later[1]) = 4;
    CHECK_FALSE(chu::bus::peers_moved(before, later));

    auto running = later;
    std::get<2>(running[1]) = "running";
    CHECK(chu::bus::peers_moved(before, running));
    auto stepped = later;
    std::get<4>(stepped[0]) = "stop-frontend";
    CHECK(chu::bus::peers_moved(before, stepped));

    auto never = before;
    std::get<5>(never[1]) = -1;  // never heard, then heard: an operator waits for exactly that
    CHECK(chu::bus::peers_moved(never, before));
    CHECK(chu::bus::peers_moved(before, {before[0]}));
}

TEST_CASE("what the ctl decides from the properties is what the daemon decided from its status", "[bus][values][next]")
{
    using chu::State;
    chu::NodeStatus s;
    s.node = "fe1.example.com";
    s.leader = "be1.example.com";
    s.state = State::running;
    s.phase = 7;
    s.phase_count = 14;
    s.downtime_begin_ms = 1'700'000'000'000;
    for (const char* n : {"be1.example.com", "be2.example.com", "fe1.example.com", "fe2.example.com"})
        s.peers.push_back({n, static_cast<std::uint8_t>(n[0] == 'b' ? chu::Role::secondary : chu::Role::frontend),
                           static_cast<std::uint8_t>(State::running), 7, "upgrade-bootstrap", 1'700'000'060'000, false, 0});
    s.running.push_back({"be1.example.com", "upgrade-bootstrap", "chef-server-ctl upgrade", 1'700'000'000'000, 7'200'000, false});
    const std::int64_t now = 1'700'000'400'000;
    auto same = [&](chu::NodeStatus status) {
        status.next = chu::next_action(status);
        const auto p = chu::bus::properties_of(status, now);
        const chu::NodeStatus read = chu::bus::status_of(p, now);
        CHECK(p.next == status.next);
        CHECK(chu::next_action(read) == status.next);
        CHECK(chu::downtime_outlook(read, now) == chu::downtime_outlook(status, now));
        CHECK(read.running == status.running);
    };
    same(s);
    s.peers[3].state = static_cast<std::uint8_t>(State::lost);
    same(s);
    s.peers[1].state = static_cast<std::uint8_t>(State::lost);
    same(s);
    s.state = State::stalled;
    s.peers[1].state = static_cast<std::uint8_t>(State::stalled);
    same(s);
    s.leader_reachable = false;
    same(s);
    s.state = State::awaiting_approval;
    s.downtime_end_ms = s.downtime_begin_ms + 1000;
    same(s);
}
