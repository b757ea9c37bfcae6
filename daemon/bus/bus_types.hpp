// The D-Bus contract's values (ipc/chef-ha-upgrade.xml) as C++ types: what the daemon publishes and what
// chef-ha-upgrade-ctl decodes, declared once so that the two cannot drift apart.
#pragma once

#include <sdbus-c++/Types.h>

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

namespace chu::bus {

// Peers: (name, role, state, phase, step, last heard seconds ago or -1).
using PeerEntry = sdbus::Struct<std::string, std::string, std::string, std::int32_t, std::string, std::int64_t>;
// RunningSteps: (node, step id, what it runs, started µs, expected µs).
using RunningEntry = sdbus::Struct<std::string, std::string, std::string, std::uint64_t, std::uint64_t>;
// GetPlan: (phase, phase title, inside the downtime window, node, role, step id, action, condition).
using PlanEntry = sdbus::Struct<std::int32_t, std::string, bool, std::string, std::string, std::string, std::string, std::string>;
// GetTimeline: (node, phase, step id, round, outcome, started µs, finished µs, detail).
using TimelineEntry =
    sdbus::Struct<std::string, std::int32_t, std::string, std::uint32_t, std::string, std::uint64_t, std::uint64_t, std::string>;

// GetPreflight: (node, check, title, verdict, text).
using PreflightEntry = sdbus::Struct<std::string, std::string, std::string, std::string, std::string>;

// GetEvents and the Event signal: (event, node, phase, phase title, step id, state, message, at µs).
using EventEntry =
    sdbus::Struct<std::string, std::string, std::int32_t, std::string, std::string, std::string, std::string, std::uint64_t>;

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
    std::string versions;
    bool rehearsal = false;  // constant: never announced as changed
    std::vector<RunningEntry> running_steps;
    std::uint64_t downtime_expected_end_usec = 0;
    std::string next;
};

// For structured bindings: `const auto& [name, role, ...] = fields(entry);`.
template <typename... T>
const std::tuple<T...>& fields(const sdbus::Struct<T...>& entry)
{
    return entry;
}

}  // namespace chu::bus
