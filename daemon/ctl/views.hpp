// What chef-ha-upgrade-ctl prints: the status table (and its JSON), the dry-run plan, the events and the
// report.
#pragma once

#include "cluster.hpp"
#include "core/events.hpp"

#include <string>
#include <vector>

namespace chu::ctl {

std::string status_text(const Status& status, std::uint64_t now_us);
// With a rehearsal's result, on its leader: every node's every check as "preflight".
std::string status_json(const Status& status, const std::vector<PreflightLine>& preflight = {});
// A rehearsal's result, node by node, check by check, under one line that counts the problems.
std::string preflight_text(const std::vector<PreflightLine>& results, bool done);
std::string preflight_json(const std::vector<PreflightLine>& results);
std::string plan_text(const std::vector<PlanLine>& plan);
// "14:03:27  phase-started      phase 3 stop the frontends: phase 3/13 started"
std::string event_text(const Event& event);
// The timeline per node and step, with durations and the downtime window.
std::string report_text(const Status& status, const std::vector<PlanLine>& plan, const std::vector<TimelineLine>& timeline);

struct NodeRole {
    std::string node;
    std::string role;
};
// The cluster's nodes in topology order (as GetPlan lists them), each with its role.
std::vector<NodeRole> nodes_of(const std::vector<PlanLine>& plan);

}  // namespace chu::ctl
