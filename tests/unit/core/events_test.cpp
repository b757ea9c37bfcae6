// EventWatch: the events a node derives from its successive statuses (phases, downtime, failures, the
// gate, lost nodes), on the leader and on a follower that loses it, and their JSON line.
#include "core/events.hpp"
#include "support/core_fixture.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace chu;
using namespace chu::test;

namespace {

// The leader be1's status with every node in `state` at `phase`, each last heard at `heard_ms`.
NodeStatus cluster_at(State state, int phase, std::int64_t heard_ms)
{
    NodeStatus s;
    s.node = s.leader = "be1";
    s.state = state;
    s.phase = phase;
    s.phase_count = 14;
    for (const char* n : {"be1", "be2", "fe1"})
        s.peers.push_back(PeerInfo{n, 0, static_cast<std::uint8_t>(state), phase, "", heard_ms});
    return s;
}

}  // namespace

TEST_CASE("the leader's events follow the cluster phase by phase, with the downtime, the failures, the gate and lost nodes",
          "[events]")
{
    const auto setup = setup_for("be1");
    EventWatch watch(setup);
    using V = std::vector<std::string>;
    CHECK(watch.next(cluster_at(State::joining, 0, 0), 1000).empty());  // where it starts
    CHECK(kinds(watch.next(cluster_at(State::running, 1, 1000), 1100)) == V{"joined 0", "phase-started 1"});

    NodeStatus at3 = cluster_at(State::running, 3, 2000);
    at3.downtime_begin_ms = 2000;
    CHECK(kinds(watch.next(at3, 2100)) ==
          V{"phase-complete 1", "phase-started 2", "phase-complete 2", "phase-started 3", "downtime-began 3"});

    NodeStatus failed = at3;
    failed.state = State::failed;
    failed.last_error = "node fe1, step stop-frontend failed";
    failed.peers[2].state = static_cast<std::uint8_t>(State::failed);
    failed.peers[2].step = "stop-frontend";
    const auto failure = watch.next(failed, 2200);
    REQUIRE(kinds(failure) == V{"step-failed 3"});
    CHECK(failure[0].node == "fe1");
    CHECK(failure[0].step == "stop-frontend");
    CHECK(failure[0].message == failed.last_error);
    CHECK(failure[0].phase_name == setup.plan.phases[3].title);
    CHECK(failure[0].at_ms == 2200);

    NodeStatus gate = cluster_at(State::awaiting_approval, 12, 3000);
    gate.downtime_begin_ms = 2000;
    gate.downtime_end_ms = 2900;
    gate.step_id = "approve-cleanup";
    const auto to_gate = watch.next(gate, 3000);
    CHECK(kinds(to_gate) == V{"phase-complete 3",  "phase-started 4",   "phase-complete 4",  "phase-started 5",
                              "phase-complete 5",  "phase-started 6",   "phase-complete 6",  "phase-started 7",
                              "phase-complete 7",  "phase-started 8",   "phase-complete 8",  "phase-started 9",
                              "phase-complete 9",  "phase-started 10",  "phase-complete 10", "phase-started 11",
                              "phase-complete 11", "downtime-ended 11", "phase-started 12",  "awaiting-approval 12"});
    CHECK(to_gate.back().step == "approve-cleanup");

    NodeStatus silent = gate;
    const std::int64_t later = 3000 + setup.config.cluster.peer_timeout_ms + 1;
    silent.peers[1].last_heard_ms = later;
    silent.peers[2].last_heard_ms = 3000;
    const auto lost = watch.next(silent, later);
    REQUIRE(kinds(lost) == V{"node-lost 12"});
    CHECK(lost[0].node == "fe1");
    silent.peers[2].last_heard_ms = 9000;
    CHECK(kinds(watch.next(silent, 9000)) == V{"node-back 12"});

    NodeStatus done = cluster_at(State::complete, 13, 9500);
    done.downtime_begin_ms = 2000;
    done.downtime_end_ms = 2900;
    CHECK(kinds(watch.next(done, 9500)) == V{"phase-complete 12", "phase-started 13", "phase-complete 13", "complete 13"});
    CHECK(watch.history().size() == 2 + 5 + 1 + 20 + 2 + 4);
}

TEST_CASE("a follower that loses the leader says so of the leader alone, and its events serialize as one JSON line", "[events]")
{
    const auto setup = setup_for("fe1");  // the watch keeps a reference to it
    EventWatch watch(setup);
    NodeStatus s = cluster_at(State::running, 5, 1000);
    s.node = "fe1";
    CHECK(watch.next(s, 1000).empty());
    s.leader_reachable = false;
    const auto lost = watch.next(s, 60'000);  // every peer's last_heard is old now: only the leader is judged
    REQUIRE(kinds(lost) == std::vector<std::string>{"node-lost 5"});
    CHECK(lost[0].node == "be1");
    const std::string json = event_json(lost[0], "fe1");
    CHECK(json == "{\"event\":\"node-lost\",\"node\":\"be1\",\"phase\":5,\"phase_name\":\"" + lost[0].phase_name +
                      "\",\"step\":\"\",\"state\":\"running\",\"message\":\"the leader be1 is not reachable\","
                      "\"at_usec\":60000000,\"source\":\"fe1\"}");
    for (std::uint8_t k = 0; k <= static_cast<std::uint8_t>(last_event_kind); ++k)
        CHECK(event_named(event_name(static_cast<EventKind>(k))) == static_cast<EventKind>(k));
}
