#include "rehearsal.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace chu {

namespace {

std::vector<const Server*> in_order(const Topology& t)
{
    std::vector<const Server*> out{&t.bootstrap(), &t.secondary()};
    for (const auto* f : t.frontends())
        out.push_back(f);
    return out;
}

PreflightResult same_package(const PackageSeen& seen, const std::string& leader_digest, const std::string& leader)
{
    PreflightResult r{seen.node, "same-package", "the same package on every node (the join compares their SHA-256)",
                      PreflightResult::Verdict::ok, "sha256 " + seen.digest.substr(0, 12) + "…"};
    if (!seen.heard) {
        r.verdict = PreflightResult::Verdict::not_run;
        r.text = "never heard from";
    } else if (seen.digest.empty()) {
        r.verdict = PreflightResult::Verdict::problem;
        r.text = "no readable package: set [upgrade] package to the Chef Server package on this node";
    } else if (!leader_digest.empty() && seen.digest != leader_digest) {
        r.verdict = PreflightResult::Verdict::problem;
        r.text = "its package (sha256 " + seen.digest.substr(0, 12) + "…) differs from the leader " + leader + "'s (" +
                 leader_digest.substr(0, 12) + "…): put the same package on every node";
    }
    return r;
}

// An `agree` step once every node answered: what the nodes that read a value read must agree, or it is a
// problem on each of them (a node whose check failed has its own problem already).
void judge_agreement(const Step& step, std::vector<PreflightResult*>& rows)
{
    std::multiset<std::string> values;
    std::string listed;
    for (const auto* r : rows) {
        if (r->verdict == PreflightResult::Verdict::not_run)
            return;
        if (r->verdict != PreflightResult::Verdict::ok)
            continue;
        values.insert(r->text);
        listed += (listed.empty() ? "" : ", ") + r->node + "=" + r->text;
    }
    if (values_agree(step.agree, values))
        return;
    for (auto* r : rows)
        if (r->verdict == PreflightResult::Verdict::ok) {
            r->verdict = PreflightResult::Verdict::problem;
            r->text = "the nodes disagree (" + listed + "): " + agreement_fix(step.agree);
        }
}

}  // namespace

bool is_rehearsal_name(const std::string& plan_name)
{
    const std::string suffix = rehearsal_suffix;
    return plan_name.size() > suffix.size() && plan_name.compare(plan_name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Plan rehearsal_plan(const Plan& plan)
{
    Plan out = plan;
    out.name += rehearsal_suffix;
    out.rehearsal = true;
    out.addons.clear();
    out.phases.clear();
    for (std::size_t p = 0; p < plan.phases.size(); ++p) {
        if (p != 0 && !plan.phases[p].preflight)
            continue;
        Phase phase = plan.phases[p];
        phase.steps.clear();
        for (const Step& step : plan.phases[p].steps) {
            if (!only_reads(step) || step.when.kind != Condition::Kind::always)
                continue;  // a condition names an earlier step's index: such steps answer a failure, not a check
            phase.steps.push_back(step);
            phase.steps.back().may_fail = true;
        }
        out.phases.push_back(std::move(phase));
    }
    return out;
}

NodeSetup rehearsal_setup(const NodeSetup& s)
{
    return make_setup(s.topology, rehearsal_plan(s.plan), s.config, s.node, s.facts, s.package_digest, s.key_id, s.version);
}

const char* verdict_name(PreflightResult::Verdict verdict)
{
    switch (verdict) {
    case PreflightResult::Verdict::ok: return "ok";
    case PreflightResult::Verdict::problem: return "problem";
    case PreflightResult::Verdict::not_run: return "not-run";
    }
    return "unknown";
}

std::vector<PreflightResult> preflight_results(const Plan& plan, const Topology& topology,
                                               const std::vector<ReportRecord>& timeline,
                                               const std::vector<PackageSeen>& packages, const std::string& leader_digest)
{
    std::map<std::pair<std::string, StepRef>, const ReportRecord*> latest;
    for (const auto& r : timeline)
        latest[{r.node, {r.phase, r.step}}] = &r;
    std::vector<PreflightResult> out;
    std::map<StepRef, std::vector<std::size_t>> by_step;  // the rows of each step, for its agreement
    for (const Server* server : in_order(topology)) {
        for (const auto& seen : packages)
            if (seen.node == server->name)
                out.push_back(same_package(seen, leader_digest, topology.bootstrap().name));
        for (std::int32_t p = 1; p < static_cast<std::int32_t>(plan.phases.size()); ++p)
            for (std::int32_t s = 0; s < static_cast<std::int32_t>(plan.phases[p].steps.size()); ++s) {
                const Step& step = plan.phases[p].steps[s];
                if (!runs_on(step, server->role))
                    continue;
                PreflightResult r{server->name, step.id, step.title.empty() ? step.id : step.title,
                                  PreflightResult::Verdict::not_run, "not run yet"};
                if (auto it = latest.find({server->name, {p, s}}); it != latest.end()) {
                    const StepOutcome& end = it->second->end;
                    r.verdict = succeeded(end.outcome) ? PreflightResult::Verdict::ok : PreflightResult::Verdict::problem;
                    r.text = succeeded(end.outcome) ? (end.value.empty() ? std::string("ok") : end.value)
                                                    : std::string(outcome_name(end.outcome)) + ": " + end.detail;
                }
                by_step[{p, s}].push_back(out.size());
                out.push_back(std::move(r));
            }
    }
    for (const auto& [ref, indexes] : by_step) {
        const Step& step = plan.phases[static_cast<std::size_t>(ref.phase)].steps[static_cast<std::size_t>(ref.step)];
        if (step.agree == Agreement::none)
            continue;
        std::vector<PreflightResult*> rows;
        for (std::size_t i : indexes)
            rows.push_back(&out[i]);
        judge_agreement(step, rows);
    }
    return out;
}

std::string problems_text(const std::vector<PreflightResult>& results)
{
    // One problem several nodes share (a disagreement) is said once, with its nodes.
    std::vector<std::pair<std::string, std::string>> problems;  // (nodes, "check: text")
    for (const auto& r : results) {
        if (r.verdict != PreflightResult::Verdict::problem)
            continue;
        const std::string what = r.check + ": " + r.text;
        auto same = std::find_if(problems.begin(), problems.end(), [&](const auto& p) { return p.second == what; });
        if (same == problems.end())
            problems.emplace_back(r.node, what);
        else
            same->first += ", " + r.node;
    }
    if (problems.empty())
        return {};
    std::string out = std::to_string(problems.size()) + (problems.size() == 1 ? " problem: " : " problems: ");
    for (std::size_t i = 0; i < problems.size(); ++i)
        out += (i ? "; " : "") + problems[i].first + " " + problems[i].second;
    return out;
}

}  // namespace chu
