// What the operator reads beside the state (core/outlook.hpp): lost rows, time against expectation, the
// expected shares behind Progress, the downtime's outlook, the next line and systemd's STATUS= line.
#include "core/outlook.hpp"

#include <catch2/catch.hpp>

using namespace chu;
using Catch::Contains;

namespace {

constexpr std::int64_t min = 60'000, hour = 60 * min;

PeerInfo peer(const char* name, Role role, State state)
{
    return PeerInfo{name, static_cast<std::uint8_t>(role), static_cast<std::uint8_t>(state), 7, "upgrade-bootstrap", 1000, false,
                    0};
}

// The leader be1 of be1, be2, fe1, fe2, the cluster in `state`, every node running.
NodeStatus cluster(State state)
{
    NodeStatus s;
    s.node = s.leader = "be1";
    s.role = Role::bootstrap;
    s.state = state;
    s.phase = 7;
    s.phase_count = 14;
    s.phase_name = "upgrade the bootstrap";
    s.progress = 41;
    const State r = State::running;
    s.peers = {peer("be1", Role::bootstrap, r), peer("be2", Role::secondary, r), peer("fe1", Role::frontend, r),
               peer("fe2", Role::frontend, r)};
    return s;
}

NodeStatus with(NodeStatus s, const char* node, State state)
{
    for (auto& p : s.peers)
        if (p.name == node)
            p.state = static_cast<std::uint8_t>(state);
    return s;
}

}  // namespace

TEST_CASE("a running step reads as its time against the plan's, in whole minutes past the first", "[outlook]")
{
    CHECK(elapsed_text(0) == "0 s");
    CHECK(elapsed_text(59'999) == "59 s");
    CHECK(elapsed_text(min) == "1 min");
    CHECK(elapsed_text(47 * min + 59'000) == "47 min");
    CHECK(elapsed_text(2 * hour + 30'000) == "2 h");
    CHECK(elapsed_text(2 * hour + 14 * min) == "2 h 14 min");
    CHECK(elapsed_text(-5) == "0 s");

    const RunningStep upgrade{"be1.example.com", "upgrade-bootstrap", "chef-server-ctl upgrade", 1000, 2 * hour, false};
    CHECK(time_text(upgrade, 1000 + 47 * min) == "47 min (expected ≤ 2 h)");
    CHECK(running_step_text(upgrade, 1000 + 47 * min) == "be1.example.com: chef-server-ctl upgrade, 47 min (expected ≤ 2 h)");
    const RunningStep check{"fe1", "check-disk-space", "check disk-space", 0, 600'000, false};
    CHECK(running_step_text(check, 12'000) == "fe1: check disk-space, 12 s (expected ≤ 10 min)");
    RunningStep stalled = upgrade;
    stalled.stalled = true;
    CHECK(running_step_text(stalled, 1000 + 2 * hour + 14 * min) ==
          "stalled on be1.example.com: running for 2 h 14 min, longer than the 2 h expected");
}

TEST_CASE("a lost node's row says so and for how long; a frontend's wait names the drop command, a backend's does not",
          "[outlook][lost]")
{
    CHECK(peer_state_text(State::lost, 6 * min + 20'000) == "lost (not heard for 6 min)");
    CHECK(peer_state_text(State::lost, 7'000) == "lost (not heard for 7 s)");
    CHECK(peer_state_text(State::running, 6 * min) == "running");
    CHECK(peer_state_text(State::dropped, 6 * min) == "dropped");

    CHECK(lost_wait_text("fe2.example.com", Role::frontend, 6 * min) ==
          "waiting for fe2.example.com (frontend, lost: not heard for 6 min): bring it back, or if it is gone for good drop "
          "it from the upgrade: sudo chef-ha-upgrade-ctl drop fe2.example.com");
    const std::string backend = lost_wait_text("be2.example.com", Role::secondary, 90'000);
    CHECK(backend ==
          "waiting for be2.example.com (secondary backend, lost: not heard for 1 min): bring it back (sudo systemctl start "
          "chef-ha-upgrade there); a backend cannot be dropped: the upgrade needs both");
    CHECK_THAT(backend, !Contains("ctl drop"));
}

TEST_CASE("a step's expected time on the clock is its timeout per wave of nodes that run it one after another",
          "[outlook][progress]")
{
    using B = Role;
    Step st;
    st.timeout_s = 600;
    const std::int64_t t = 600'000;
    using V = std::vector<std::int64_t>;
    struct Row {
        NodeOrder order;
        StepKind kind;
        std::vector<Role> roles;
        unsigned max_parallel;
        V shares;
    };
    const Row rows[] = {
        {NodeOrder::parallel, StepKind::run, {B::bootstrap, B::secondary, B::frontend, B::frontend}, 0, V(4, t / 4)},
        {NodeOrder::parallel, StepKind::run, {B::frontend, B::frontend, B::frontend, B::frontend}, 2, V(4, t / 2)},
        {NodeOrder::parallel, StepKind::run, {B::bootstrap}, 0, V{t}},
        {NodeOrder::backends_serial,
         StepKind::run,
         {B::bootstrap, B::secondary, B::frontend, B::frontend},
         0,
         V{t, t, t / 2, t / 2}},
        {NodeOrder::backends_serial,
         StepKind::run,
         {B::bootstrap, B::secondary, B::frontend, B::frontend, B::frontend},
         2,
         V{t, t, 2 * t / 3, 2 * t / 3, 2 * t / 3}},
        {NodeOrder::parallel, StepKind::gate, {B::bootstrap}, 0, V{0}},
        {NodeOrder::parallel, StepKind::run, {}, 0, V{}},
    };
    for (const auto& row : rows) {
        st.order = row.order;
        st.kind = row.kind;
        INFO("roles " << row.roles.size() << ", max_parallel " << row.max_parallel);
        CHECK(expected_shares(st, row.roles, row.max_parallel) == row.shares);
    }
}

TEST_CASE("the downtime's end is told while it runs on plan, and why it cannot be otherwise", "[outlook][downtime]")
{
    NodeStatus s = cluster(State::running);
    CHECK(downtime_outlook(s, 5000).empty());  // not begun
    s.downtime_begin_ms = 1000;
    s.downtime_expected_end_ms = 1000 + 80 * min;
    CHECK(downtime_outlook(s, 1000) == "expected to end within 1 h 20 min");
    CHECK(downtime_outlook(s, 1000 + 81 * min) == "expected to end about now");
    s.downtime_expected_end_ms = 0;
    using Row = std::pair<NodeStatus, std::string>;
    NodeStatus unreachable = s;
    unreachable.node = "fe1";
    unreachable.leader_reachable = false;
    const Row rows[] = {
        {with(s, "fe2", State::lost), "a node is lost"},
        {[&] {
             auto f = s;
             f.state = State::failed;
             return f;
         }(),
         "a step has failed"},
        {[&] {
             auto f = s;
             f.state = State::stalled;
             return f;
         }(),
         "a step runs past its expected time"},
        {[&] {
             auto f = s;
             f.state = State::paused;
             return f;
         }(),
         "the upgrade is paused"},
        {[&] {
             auto f = s;
             f.state = State::awaiting_approval;
             return f;
         }(),
         "the cluster waits for the operator's approval"},
        {unreachable, "the leader is not reachable"},
    };
    for (const auto& [status, why] : rows)
        CHECK(downtime_outlook(status, 5000) == "its end cannot be estimated while " + why);
    CHECK(downtime_outlook(s, 5000).empty());  // running, no estimate yet: nothing to say
    s.downtime_end_ms = 9000;
    s.downtime_expected_end_ms = 9000;
    CHECK(downtime_outlook(s, 9500).empty());  // ended
}

TEST_CASE("the next line says what happens next or what the operator must do, the same from any node's status", "[outlook][next]")
{
    auto state = [](State st, auto change) {
        NodeStatus s = cluster(st);
        change(s);
        return s;
    };
    auto as_is = [](NodeStatus&) {};
    NodeStatus follower_alone = cluster(State::running);
    follower_alone.node = "fe1";
    follower_alone.leader_reachable = false;
    NodeStatus joining = with(cluster(State::joining), "fe2", State::joining);
    for (auto& p : joining.peers)
        p.state = static_cast<std::uint8_t>(p.name == std::string("fe2") ? State::joining : State::idle);
    const std::pair<NodeStatus, std::string> rows[] = {
        {state(State::idle, as_is), "start the upgrade: sudo chef-ha-upgrade-ctl start"},
        {state(State::preflight, as_is), "nothing: the preflight checks run"},
        {state(State::running, as_is), "nothing: the phase runs"},
        {with(cluster(State::running), "fe2", State::lost),
         "waiting for fe2 (lost): bring it back, or drop it: sudo chef-ha-upgrade-ctl drop fe2"},
        {with(cluster(State::paused), "be2", State::lost),
         "waiting for be2 (lost): bring it back (sudo systemctl start chef-ha-upgrade there); a backend cannot be dropped"},
        {with(with(cluster(State::running), "fe1", State::lost), "fe2", State::lost),
         "waiting for fe1 (lost): bring it back, or drop it: sudo chef-ha-upgrade-ctl drop fe1; waiting for fe2 (lost): "
         "bring it back, or drop it: sudo chef-ha-upgrade-ctl drop fe2"},
        {with(cluster(State::failed), "fe1", State::failed),
         "retry the failed step once fixed (on fe1; the last error says what failed): sudo chef-ha-upgrade-ctl retry"},
        {state(State::failed, as_is),
         "make the nodes agree (the last error says how), then retry: sudo chef-ha-upgrade-ctl retry"},
        {with(cluster(State::stalled), "be2", State::stalled),
         "wait for the command stalled on be2 to end; if it really hangs, end it: sudo chef-ha-upgrade-ctl interrupt"},
        {state(State::awaiting_approval, as_is),
         "approve the cleanup once the cluster is checked: sudo chef-ha-upgrade-ctl approve"},
        {state(State::paused, as_is), "resume the upgrade: sudo chef-ha-upgrade-ctl resume"},
        {with(cluster(State::complete), "fe2", State::lost), "nothing: the upgrade is complete on every node"},
        {state(State::aborted, as_is), "nothing more runs: the upgrade was aborted"},
        {state(State::aborted, [](NodeStatus& s) { s.downtime_begin_ms = 1000; }),
         "nothing more runs: the upgrade was aborted inside the downtime, so Chef may not serve: check it with chef-server-ctl "
         "status"},
        {follower_alone,
         "wait for the leader be1, not reachable from this node: check chef-ha-upgrade there (sudo systemctl status "
         "chef-ha-upgrade) and that the nodes reach each other"},
        {joining,
         "waiting for fe2 to join: start chef-ha-upgrade there (sudo systemctl start chef-ha-upgrade), or fix what the last "
         "error says"},
        {state(State::dropped, [](NodeStatus& s) { s.node = "fe2"; }),
         "nothing: the operator dropped this node from the upgrade; its daemon stops"},
        {state(State::rehearsed, as_is),
         "nothing more runs: the preflight rehearsal is done (the last error says what it found)"},
    };
    for (const auto& [status, next] : rows) {
        INFO(state_name(status.state));
        CHECK(next_action(status) == next);
    }
}

TEST_CASE("systemd's status line says the state, the running steps, what the cluster waits for and the downtime",
          "[outlook][status-line]")
{
    NodeStatus s = with(cluster(State::running), "fe2", State::lost);
    s.node = "be1.example.com";
    s.step = "chef-server-ctl upgrade, 47 min (expected ≤ 2 h)";
    s.last_error = lost_wait_text("fe2", Role::frontend, 6 * min);
    s.downtime_begin_ms = 1000;
    s.next = next_action(s);
    CHECK(status_line(s, 1000 + 47 * min) ==
          "bootstrap be1.example.com: running, phase 7/13 upgrade the bootstrap, 41%: chef-server-ctl upgrade, 47 min "
          "(expected ≤ 2 h); " +
              s.last_error + "; downtime its end cannot be estimated while a node is lost");

    NodeStatus gate = cluster(State::awaiting_approval);
    gate.next = next_action(gate);
    CHECK(status_line(gate, 0) == "bootstrap be1: awaiting-approval, phase 7/13 upgrade the bootstrap, 41%; next: approve the "
                                  "cleanup once the cluster is checked: sudo chef-ha-upgrade-ctl approve");
    NodeStatus idle = cluster(State::idle);
    idle.next = next_action(idle);
    CHECK(status_line(idle, 0) == "bootstrap be1: idle; next: start the upgrade: sudo chef-ha-upgrade-ctl start");
}
