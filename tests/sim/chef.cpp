// How a step ends on a simulated node.
#include "chef.hpp"

namespace chu::sim {

namespace {

bool is_check(const Step& step, Check check)
{
    return step.kind == StepKind::check && step.check == check;
}

}  // namespace

Chef::Chef(Random& random, const Topology& topology, const Plan& plan) : random_(random), plan_(plan)
{
    keepalived_ = random_.chance(0.3) ? "backup" : "master";
    bootstrap_holds_vip_ = random_.chance(0.7);
    for (std::size_t p = 1; p < plan_.phases.size(); ++p)
        for (std::size_t s = 0; s < plan_.phases[p].steps.size(); ++s)
            for (const auto& server : topology.servers)
                if (runs_on(plan_.phases[p].steps[s], server.role) && random_.chance(0.02))
                    faults_[{server.name, static_cast<int>(p), static_cast<int>(s)}] =
                        Fault{static_cast<int>(random_.pick(1, 6)), random_.chance(0.3)};
    if (random_.chance(0.1))
        odd_migration_node_ = topology.servers[random_.pick(0, topology.servers.size() - 1)].name;
}

std::int64_t Chef::start(const std::string& node, const RunStep& run, std::int64_t now)
{
    const Step& st = plan_.phases[run.phase].steps[run.step];
    auto fault = faults_.find({node, run.phase, run.step});
    if (fault != faults_.end() && fault->second.failures_left > 0 && fault->second.hang && !only_reads(st)) {
        --fault->second.failures_left;  // this start hangs, however it ends (interrupted, or its node crashes)
        return never;
    }
    return now + random_.ms(10, 3000);
}

StepResult Chef::finish(const std::string& node, Role role, const RunStep& run, bool interrupted)
{
    const Step& st = plan_.phases[run.phase].steps[run.step];
    StepResult r{run.phase, run.step, run.round, run.attempt, {Outcome::ok, 0, {}, {}}};
    auto fault = faults_.find({node, run.phase, run.step});
    if (interrupted) {
        r.end = {Outcome::failed, 128 + 15, {}, "terminated"};
    } else if (fault != faults_.end() && fault->second.failures_left > 0) {
        --fault->second.failures_left;
        // A hang of a read-only step: killed at its timeout.
        r.end = fault->second.hang ? StepOutcome{Outcome::timeout, 137, {}, "simulated failure"}
                                   : StepOutcome{Outcome::failed, 1, {}, "simulated failure"};
    } else if (std::string read = value(node, role, st); !read.empty()) {
        r.end.value = std::move(read);
    } else if (!st.harmless.empty() && random_.chance(0.5)) {
        r.end = {Outcome::failed, 1, {}, "ok: down: opscode-chef-mover\n" + st.harmless.front()};  // cleanup's, exit 1
    }
    return r;
}

// What a check reads on this node ("" for a step that is not a check of a value).
std::string Chef::value(const std::string& node, Role role, const Step& step) const
{
    if (is_check(step, Check::keepalived_status) && step.agree == Agreement::one_master)
        return (role == Role::bootstrap) == bootstrap_holds_vip_ ? "master" : "backup";  // either may hold it
    if (is_check(step, Check::keepalived_status))
        return keepalived_;
    if (is_check(step, Check::migration_level))
        return node == odd_migration_node_ ? "1.7" : "1.8";
    return {};
}

void Chef::fixed(const DecisionRecord& decision)
{
    faults_.erase({decision.node, decision.phase, decision.step});
    if (decision.node == odd_migration_node_ || decision.node.empty())
        odd_migration_node_.clear();
}

}  // namespace chu::sim
