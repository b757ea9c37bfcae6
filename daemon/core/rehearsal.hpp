// The preflight rehearsal: days before the window, the cluster joins and runs its preflight phase on every
// node, and nothing changes. It is a plan of its own, cut from the real one, so that a rehearsing node and
// an upgrading one never agree at join, and its result is every node's every check.
#pragma once

#include "plan.hpp"
#include "records.hpp"
#include "setup.hpp"

#include <string>
#include <vector>

namespace chu {

// Appended to the plan's name: "chef-server-12 (rehearsal)".
constexpr const char* rehearsal_suffix = " (rehearsal)";
bool is_rehearsal_name(const std::string& plan_name);

// Phase 0 and the plan's preflight phases, with only the steps that read (checks, read_only commands); every
// step may fail, so that one problem does not hide the next: the rehearsal reports them all.
Plan rehearsal_plan(const Plan& plan);
// The same node rehearsing: the rehearsal's plan, and its digest.
NodeSetup rehearsal_setup(const NodeSetup& setup);

// One node's answer to one check.
struct PreflightResult {
    enum class Verdict { ok, problem, not_run };
    std::string node;
    std::string check;  // the plan's step id, or "same-package" for the join's comparison of packages
    std::string title;
    Verdict verdict = Verdict::not_run;
    std::string text;  // ok: what was read; problem: what is wrong and its fix
};
const char* verdict_name(PreflightResult::Verdict verdict);  // "ok", "problem", "not-run"

// What a node's package digest says beside the leader's, for the same-package row.
struct PackageSeen {
    std::string node;
    std::string digest;  // empty: no readable package there
    bool heard = false;
};

// Every node (topology order) and every check of its role (plan order), from the timeline's latest report of
// each; a check whose nodes must agree (`agree`) and do not is a problem on each of them.
std::vector<PreflightResult> preflight_results(const Plan& plan, const Topology& topology,
                                               const std::vector<ReportRecord>& timeline,
                                               const std::vector<PackageSeen>& packages, const std::string& leader_digest);

// "2 problems: fe1 check-package: …; be2 check-disk-space: …", or "" when every check passed.
std::string problems_text(const std::vector<PreflightResult>& results);

}  // namespace chu
