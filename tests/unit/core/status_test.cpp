// What the leader and its followers show of the cluster (NodeStatus): a node lost and what the cluster
// waits for, every running step's time against the plan's, progress, and the downtime's expected end.
#include "core/outlook.hpp"
#include "support/core_fixture.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <tuple>

using namespace chu;
using namespace chu::test;

namespace {

// A leader at install-package (every node, 1800 s), its own attempt begun at 0, the downtime begun at 500 (a
// report of phase 3); and what a Presence says of a node at that step.
struct AtInstall {
    NodeSetup s = setup_for("be1");
    int phase = 0, step = 0;
    std::unique_ptr<Node> leader;
    AtInstall()
    {
        std::tie(phase, step) = find_step(s.plan, "install-package");
        const auto [sp, ss] = find_step(s.plan, "stop-frontend");
        std::vector<Record> journal{EpochRecord{1}, JoinedRecord{s.topology_digest, s.plan_digest, "pkg", "key", 0}};
        journal.push_back(ReportRecord{"fe1", sp, ss, 0, {Outcome::ok, 0, {}, {}}, 500, 600});
        for (int ph = 1; ph < phase; ++ph)
            journal.push_back(PhaseRecord{ph, 100});
        for (const Record& own : finished_before(s, Role::bootstrap, "install-package"))
            journal.push_back(own);
        leader = std::make_unique<Node>(s);
        REQUIRE(leader->boot(journal, 0));
        leader->take_effects();
    }
    Presence hello(std::int64_t running_ms, bool running = true) const
    {
        return Presence{2,
                        s.plan.name,
                        s.topology_digest,
                        s.plan_digest,
                        "pkg",
                        "key",
                        "test",
                        phase,
                        step,
                        running,
                        static_cast<std::uint64_t>(running_ms)};
    }
    void hear(const std::string& node, std::int64_t running_ms, std::int64_t now, bool running = true)
    {
        leader->on_message(Envelope{node, hello(running_ms, running)}, now);
        leader->take_effects();
    }
    // The leader's beat at `now`, as the follower `to` gets it.
    Beat beat(const std::string& to, std::int64_t now)
    {
        leader->on_tick(now);
        for (const auto& send : effects_of<Send>(leader->take_effects()))
            if (send.to == to && std::holds_alternative<Beat>(send.message))
                return std::get<Beat>(send.message);
        FAIL("no beat to " << to);
        return {};
    }
};

const PeerInfo& row(const NodeStatus& st, const std::string& node)
{
    for (const auto& p : st.peers)
        if (p.name == node)
            return p;
    FAIL("no row for " << node);
    return st.peers.front();
}

}  // namespace

TEST_CASE("a node not heard for the peer timeout reads lost on the leader and its followers, with what the cluster waits "
          "for and the drop command for a frontend",
          "[leader][lost]")
{
    AtInstall at;
    at.hear("be2", 0, 5, false);
    at.hear("fe1", 0, 5, false);
    CHECK(static_cast<State>(row(at.leader->status(5), "fe1").state) != State::lost);
    const std::int64_t later = 5 + at.s.config.cluster.peer_timeout_ms + 1;
    at.hear("be2", 0, later, false);

    const NodeStatus leader = at.leader->status(later);
    CHECK(static_cast<State>(row(leader, "fe1").state) == State::lost);
    CHECK(static_cast<State>(row(leader, "be2").state) != State::lost);
    CHECK(leader.state == State::running);  // the cluster waits for it: nothing failed
    CHECK(leader.last_error == lost_wait_text("fe1", Role::frontend, later - 5));
    CHECK_THAT(leader.last_error, Catch::Contains("sudo chef-ha-upgrade-ctl drop fe1"));
    CHECK(leader.next == "waiting for fe1 (lost): bring it back, or drop it: sudo chef-ha-upgrade-ctl drop fe1");
    CHECK(leader.downtime_expected_end_ms == 0);

    // A follower shows what the leader's beat says: the same row, error and next line.
    auto s2 = setup_for("be2");
    Node follower(s2);
    REQUIRE(follower.boot(finished_before(s2, Role::secondary, "install-package"), 0));
    follower.on_message(from_leader(at.beat("be2", later)), later);
    const NodeStatus seen = follower.status(later);
    CHECK(static_cast<State>(row(seen, "fe1").state) == State::lost);
    CHECK(seen.last_error == leader.last_error);
    CHECK(seen.next == leader.next);

    // A backend lost as well: it must come back, it cannot be dropped.
    const std::int64_t last = later + at.s.config.cluster.peer_timeout_ms + 1;
    const std::string both = at.leader->status(last).last_error;
    CHECK_THAT(both, Catch::StartsWith("waiting for be2 (secondary backend, lost: not heard for 5 s): bring it back") &&
                         Catch::Contains("a backend cannot be dropped") && Catch::Contains("; waiting for fe1 (frontend"));
    CHECK_THAT(both, !Catch::Contains("drop be2"));

    // The follower that no longer hears the leader shows the leader lost, and waits for it.
    const NodeStatus alone = follower.status(last);
    CHECK(static_cast<State>(row(alone, "be1").state) == State::lost);
    CHECK_THAT(alone.next, Catch::StartsWith("wait for the leader be1, not reachable from this node"));
}

TEST_CASE("every running step shows its time against the plan's on the leader and its followers, and Progress weighs "
          "the plan's expectations",
          "[leader][progress]")
{
    AtInstall at;
    at.hear("be2", 60'000, 60'000);
    at.hear("fe1", 0, 60'000, false);
    const NodeStatus leader = at.leader->status(60'000);
    REQUIRE(leader.running.size() == 2);
    CHECK(leader.running[0].node == "be1");
    CHECK(leader.running[1].node == "be2");
    CHECK(leader.running[1].started_ms == 0);
    CHECK(leader.running[1].expected_ms == 1800'000);
    CHECK_THAT(leader.step,
               Catch::EndsWith(", 1 min (expected ≤ 30 min); be2: " + leader.running[1].action + ", 1 min (expected ≤ 30 min)"));

    // The follower fe1, idle, shows both from the leader's beat.
    auto s3 = setup_for("fe1");
    Node follower(s3);
    REQUIRE(follower.boot(finished_before(s3, Role::frontend, "install-package"), 0));
    follower.on_message(from_leader(at.beat("fe1", 60'000)), 60'000);
    const NodeStatus seen = follower.status(64'000);
    REQUIRE(seen.running.size() == 2);
    CHECK_THAT(seen.step, Catch::Contains("; be1: " + leader.running[0].action + ", 1 min (expected ≤ 30 min)") &&
                              Catch::Contains("; be2: " + leader.running[1].action + ", 1 min (expected ≤ 30 min)"));
    CHECK(seen.progress == leader.progress);

    // Progress moves while the step runs, by its time against the plan's.
    at.hear("be2", 900'000, 900'000);
    at.hear("fe1", 900'000, 900'000);
    const std::uint32_t halfway = at.leader->status(900'000).progress;
    CHECK(halfway > leader.progress);
    at.hear("be2", 3600'000, 3600'000);
    at.hear("fe1", 3600'000, 3600'000);
    const std::uint32_t overdue = at.leader->status(3600'000).progress;
    CHECK(overdue > halfway);
    CHECK(overdue < 100);
}

TEST_CASE("the downtime's expected end holds still while the steps run on plan, and cannot be told once a node is lost",
          "[leader][downtime]")
{
    AtInstall at;
    at.hear("be2", 60'000, 60'000);
    at.hear("fe1", 60'000, 60'000);
    const NodeStatus first = at.leader->status(60'000);
    REQUIRE(first.downtime_begin_ms == 500);
    const std::int64_t end = first.downtime_expected_end_ms;
    CHECK(end % 60'000 == 0);
    CHECK(end >= 1800'000);  // at least what remains of this step
    at.hear("be2", 600'000, 600'000);
    at.hear("fe1", 600'000, 600'000);
    CHECK(at.leader->status(600'000).downtime_expected_end_ms == end);
    CHECK(at.leader->status(600'000).next == "nothing: the phase runs");

    const std::int64_t later = 600'000 + at.s.config.cluster.peer_timeout_ms + 1;
    at.hear("be2", later, later);
    const NodeStatus lost = at.leader->status(later);
    CHECK(lost.downtime_expected_end_ms == 0);
    CHECK(downtime_outlook(lost, later) == "its end cannot be estimated while a node is lost");
}
