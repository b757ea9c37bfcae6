// The core's view translated into the D-Bus contract's types (ipc/chef-ha-upgrade.xml), kept apart from
// the adaptor so that what is published is plain data that can be compared.
#pragma once

#include "bus/bus_types.hpp"
#include "core/events.hpp"
#include "core/node.hpp"

#include <map>
#include <string>
#include <vector>

namespace chu::bus {

Properties properties_of(const NodeStatus& status, std::int64_t now_ms);

// The names of the properties whose values differ.
std::vector<std::string> changed_properties(const Properties& before, const Properties& after);

// Whether the peers differ in more than the seconds since each was last heard.
bool peers_moved(const std::vector<PeerEntry>& before, const std::vector<PeerEntry>& after);

// Every node's schedule, phase by phase, then step by step, then in topology order.
Result<std::vector<PlanEntry>> plan_entries(const NodeSetup& setup);

// Every report, and each drop as a row of outcome "dropped" where it came in.
std::vector<TimelineEntry> timeline_entries(const std::vector<ReportRecord>& timeline,
                                            const std::map<std::string, DecisionRecord>& drops, const Plan& plan);

std::vector<PreflightEntry> preflight_entries(const std::vector<PreflightResult>& results);

EventEntry event_entry(const Event& event);

}  // namespace chu::bus
