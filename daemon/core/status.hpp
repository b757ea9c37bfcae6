// A node's view of the cluster, as D-Bus, sd_notify STATUS= and the ctl show it: what Node::status() gives.
#pragma once

#include "topology.hpp"
#include "wire.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace chu {

// A step running on a node, as every node shows it: what it runs, since when, and what the plan expects.
struct RunningStep {
    std::string node;
    std::string step;              // its id in the plan
    std::string action;            // "chef-server-ctl upgrade"
    std::int64_t started_ms = 0;   // its running attempt's start
    std::int64_t expected_ms = 0;  // the plan's timeout: past it a read-only step is killed, any other is stalled
    bool stalled = false;
    bool operator==(const RunningStep& o) const
    {
        return node == o.node && step == o.step && action == o.action && started_ms == o.started_ms &&
               expected_ms == o.expected_ms && stalled == o.stalled;
    }
};

// This node's view, for D-Bus, sd_notify STATUS= and the ctl.
struct NodeStatus {
    std::string node;
    Role role = Role::frontend;
    std::string leader;
    bool leader_reachable = true;
    std::uint64_t epoch = 0;
    State state = State::joining;
    std::int32_t phase = 0;
    std::string phase_name;
    std::int32_t phase_count = 0;
    std::string step;             // what this node runs now, else the cluster's current step; then every other running step
    std::string step_id;          // the cluster's current step, its id in the plan
    std::int32_t step_index = 0;  // ... its place in the phase
    std::uint32_t attempt = 0;
    std::uint32_t progress = 0;
    std::string last_error;
    std::int64_t downtime_begin_ms = 0;
    std::int64_t downtime_end_ms = 0;
    std::int64_t downtime_expected_end_ms = 0;  // while the downtime runs on plan; else 0
    std::vector<PeerInfo> peers;
    std::vector<RunningStep> running;  // every node's running step, in name order
    std::string versions;              // this node's "installed 11.1.8 → package 12.0.8-1 (chef-server-core)"
    bool rehearsal = false;            // a preflight rehearsal's daemon
    std::string next;                  // what happens next, or what the operator must do (next_action)
};

}  // namespace chu
