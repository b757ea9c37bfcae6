// The cluster as an operator reads it at 2 a.m., beside its state: a lost node in plain sight, every running
// step against what the plan expects of it, the downtime's expected end, and what happens next. Pure functions
// of a status (and of the plan), so that the leader, every follower and the ctl say the same.
#pragma once

#include "plan.hpp"
#include "status.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace chu {

// "12 s", "47 min", "2 h 5 min": whole minutes past the first, so that a status changes once a minute.
std::string elapsed_text(std::int64_t ms);

// A node's state in the status table: "lost (not heard for 6 min)" for a lost node, else the state's name.
std::string peer_state_text(State state, std::int64_t silent_ms);

// "47 min (expected ≤ 2 h)": how long the step has run against the plan's timeout for it.
std::string time_text(const RunningStep& step, std::int64_t now);

// "be1.example.com: chef-server-ctl upgrade, 47 min (expected ≤ 2 h)"; once stalled, "stalled on
// be1.example.com: running for 2 h 14 min, longer than the 2 h expected".
std::string running_step_text(const RunningStep& step, std::int64_t now);

// What the cluster waits for when a node is lost, for LastError: a frontend can be dropped (the command), a
// backend must come back.
std::string lost_wait_text(const std::string& node, Role role, std::int64_t silent_ms);

// Each of a step's nodes' share (ms) of the time the step is expected to take on the clock: the plan's timeout
// for each wave of nodes that run it one after another (backends one at a time where the plan says so,
// frontends max_parallel at a time, 0: all at once). A gate waits for the operator: no share.
std::vector<std::int64_t> expected_shares(const Step& step, const std::vector<Role>& roles, unsigned max_parallel);

// The downtime's end as the status lets it be told: "expected to end within 1 h 20 min", "its end cannot be
// estimated while a step has failed", or "" when the downtime has not begun or has ended.
std::string downtime_outlook(const NodeStatus& status, std::int64_t now);

// What happens next, or what the operator must do: "nothing: the phase runs", "waiting for fe2.example.com
// (lost): bring it back, or drop it: sudo chef-ha-upgrade-ctl drop fe2.example.com", ...
std::string next_action(const NodeStatus& status);

// The line systemd shows (STATUS=): "bootstrap be1.example.com: running, phase 7/13 upgrade the bootstrap,
// 41%: chef-server-ctl upgrade, 47 min (expected ≤ 2 h); <last error>; downtime …; next: …".
std::string status_line(const NodeStatus& status, std::int64_t now);

}  // namespace chu
