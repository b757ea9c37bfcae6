// The core's view translated into the D-Bus contract's types (ipc/chef-ha-upgrade.xml), kept apart from
// the adaptor so that what is published is plain data that can be compared.
#pragma once

#include "core/node.hpp"

#include <sdbus-c++/Types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace chu::bus {

// Peers: (name, role, state, phase, step, last heard seconds ago or -1).
using PeerEntry = sdbus::Struct<std::string, std::string, std::string, std::int32_t, std::string, std::int64_t>;
// GetPlan: (phase, phase title, inside the downtime window, node, role, step id, action, condition).
using PlanEntry = sdbus::Struct<std::int32_t, std::string, bool, std::string, std::string, std::string, std::string, std::string>;
// GetTimeline: (node, phase, step id, round, outcome, started µs, finished µs, detail).
using TimelineEntry = sdbus::Struct<std::string, std::int32_t, std::string, std::uint32_t, std::string, std::uint64_t,
                                    std::uint64_t, std::string>;

// Every property's value, as last published.
struct Properties {
    std::string node_name;
    std::string role;
    std::string leader;
    bool leader_reachable = false;
    std::uint64_t epoch = 0;
    std::string state;
    std::int32_t phase = 0;
    std::string phase_name;
    std::int32_t phase_count = 0;
    std::string current_step;
    std::uint32_t attempt = 0;
    std::uint32_t progress = 0;
    std::string last_error;
    std::uint64_t downtime_start_usec = 0;
    std::uint64_t downtime_end_usec = 0;
    std::vector<PeerEntry> peers;
};

Properties properties_of(const NodeStatus& status, std::int64_t now_ms);

// The names of the properties whose values differ.
std::vector<std::string> changed_properties(const Properties& before, const Properties& after);

// Every node's schedule, phase by phase, then step by step, then in topology order.
Result<std::vector<PlanEntry>> plan_entries(const NodeSetup& setup);

std::vector<TimelineEntry> timeline_entries(const std::vector<ReportRecord>& timeline, const Plan& plan);

}  // namespace chu::bus
