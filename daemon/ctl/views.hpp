// What chef-ha-upgrade-ctl prints: the status table (and its JSON), the dry-run plan, the events and the
// report.
#pragma once

#include "cluster.hpp"
#include "config/node_setup.hpp"
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
// Every node's steps, phase by phase, under the downtime window (phases marked *).
std::string plan_text(const std::vector<PlanLine>& plan);
// "phase 3 (stop frontends) to phase 11 (start)"; "" when no phase is inside it.
std::string downtime_window(const std::vector<PlanLine>& plan);
// source: "daemon" (GetPlan) or "config" (read from `config` without a daemon).
std::string plan_json(const std::vector<PlanLine>& plan, const std::string& source, const std::string& config,
                      const std::string& versions);
// What `chef-ha-upgraded --check-config` shows, as one JSON object; and a configuration that does not load.
std::string check_config_json(const LoadedSetup& loaded, const std::string& config);
std::string config_error_json(const std::string& config, const std::string& error);
// "2024-05-01T14:03:27+02:00  phase-started      phase 3 stop the frontends: phase 3/13 started"
std::string event_text(const Event& event);
// The timeline per node and step, with durations and the downtime window.
std::string report_text(const Status& status, const std::vector<PlanLine>& plan, const std::vector<TimelineLine>& timeline);
std::string report_json(const Status& status, const std::vector<PlanLine>& plan, const std::vector<TimelineLine>& timeline,
                        const std::vector<PreflightLine>& preflight);

// What abort, skip and approve will do, said before the operator is asked to type yes. approve: what
// verify found, from the leader's timeline (`timeline_here` false: this node does not keep it).
std::string abort_text(const Status& status, std::uint64_t now_us);
std::string skip_text(const Status& status);
std::string approve_text(const Status& status, const std::vector<TimelineLine>& timeline, bool timeline_here);

struct NodeRole {
    std::string node;
    std::string role;
};
// The cluster's nodes in topology order (as GetPlan lists them), each with its role.
std::vector<NodeRole> nodes_of(const std::vector<PlanLine>& plan);

}  // namespace chu::ctl
