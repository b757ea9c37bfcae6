// The invariants of a simulated run.
#include "checker.hpp"

namespace chu::sim {

Checker::Checker(const Topology& topology, const Plan& plan, const std::int64_t& now)
    : topology_(topology), plan_(plan), now_(now)
{}

void Checker::violation(const std::string& what)
{
    if (problem_.empty())
        problem_ = "t=" + std::to_string(now_) + ": " + what;
}

void Checker::wrote(const std::string& node, const Record& record)
{
    if (const auto* f = std::get_if<FinishedRecord>(&record)) {
        // A may_fail step's failure ends it too: the plan answers it with its when = failed: steps.
        if (f->end.outcome == Outcome::ok || f->end.outcome == Outcome::skipped || step_of(f->phase, f->step).may_fail) {
            finished_.insert({node, f->phase, f->step});
            finished_round_[{node, f->phase, f->step}] = f->round;
        }
    } else if (const auto* d = std::get_if<DecisionRecord>(&record)) {
        if (d->op == Op::interrupt)
            interrupts_decided_.insert({d->node, d->phase, d->step, d->round});
        if (d->op == Op::abort && !aborted_at_)
            aborted_at_ = now_;
    }
}

void Checker::sent(const std::string& from, const Send& send, bool on_its_way)
{
    (void)from;
    if (const auto* o = std::get_if<Order>(&send.message); o && on_its_way)
        first_ordered_.emplace(std::make_tuple(send.to, o->phase, o->step), now_);
}

void Checker::started(const std::string& node, Role role, const RunStep& run)
{
    const Step& st = step_of(run.phase, run.step);
    if (!runs_on(st, role))
        violation(node + " (" + role_name(role) + ") ran " + st.id + ", which runs on " + roles_text(st.roles));
    check_order(node, st, run);
    started_.insert({node, run.phase, run.step});
    check_barrier(node, st, run);
    check_serial(node, role, st, run);
}

// Once finished, a step runs again only as a later round of a check; a node's steps go in plan order;
// an order already on its way may still start its step, but none may be sent after the abort.
void Checker::check_order(const std::string& node, const Step& st, const RunStep& run)
{
    const auto key = std::make_tuple(node, run.phase, run.step);
    auto done = finished_round_.find(key);
    if (done != finished_round_.end() && !(st.kind == StepKind::check && run.round > done->second))
        violation(node + " ran " + st.id + " again after it finished");
    auto ordered = first_ordered_.find(key);
    if (aborted_at_ && ordered != first_ordered_.end() && ordered->second > *aborted_at_)
        violation(node + " started " + st.id + ", ordered after the abort");
    auto last = last_start_.find(node);
    if (last != last_start_.end() && std::make_pair(run.phase, run.step) < last->second)
        violation(node + " ran " + st.id + " after a later step");
    last_start_[node] = {run.phase, run.step};
}

// Whether the upgrade needs `node` to finish a step: every step it runs on, but a conditional one only once
// it started there.
bool Checker::required(const std::string& node, Role role, int phase, int step) const
{
    const Step& st = step_of(phase, step);
    return runs_on(st, role) && st.kind != StepKind::gate &&
           (st.when.kind == Condition::Kind::always || started_.count({node, phase, step}));
}

// The barrier: every step before this one, on every node it runs on, has finished.
void Checker::check_barrier(const std::string& node, const Step& st, const RunStep& run)
{
    for (int p = 1; p <= run.phase; ++p) {
        const int end = p == run.phase ? run.step : static_cast<int>(plan_.phases[p].steps.size());
        for (int s = 0; s < end; ++s)
            for (const auto& other : topology_.servers)
                if (required(other.name, other.role, p, s) && !finished_.count({other.name, p, s}))
                    violation(node + " started " + st.id + " (phase " + std::to_string(run.phase) + ") before " + other.name +
                              " finished " + step_of(p, s).id + " (phase " + std::to_string(p) + ")");
    }
}

// Inside a backends-serial step: bootstrap, then secondary, then frontends.
void Checker::check_serial(const std::string& node, Role role, const Step& st, const RunStep& run)
{
    if (st.order != NodeOrder::backends_serial || role == Role::bootstrap)
        return;
    for (const auto& other : topology_.servers) {
        const bool earlier = other.role == Role::bootstrap || (role == Role::frontend && other.role == Role::secondary);
        if (earlier && runs_on(st, other.role) && !finished_.count({other.name, run.phase, run.step}))
            violation(node + " ran " + st.id + " before " + other.name + " finished it");
    }
}

// Only the operator ends a command: no timer of the core's may.
void Checker::interrupted(const std::string& node, const Interrupt& interrupt, std::uint32_t round)
{
    if (!interrupts_decided_.count({node, interrupt.phase, interrupt.step, round}))
        violation(node + " ended " + step_of(interrupt.phase, interrupt.step).id + " without the operator's interrupt");
}

void Checker::completed(const Completed& completed)
{
    if (completed.outcome == State::complete)
        complete_ = true;
}

void Checker::check_end(const std::string& leader_state)
{
    if (aborted_at_)
        return;
    if (!complete_) {
        violation("did not complete (leader state " + leader_state + ")");
        return;
    }
    for (std::size_t p = 1; p < plan_.phases.size(); ++p)
        for (std::size_t s = 0; s < plan_.phases[p].steps.size(); ++s)
            for (const auto& n : topology_.servers)
                if (required(n.name, n.role, static_cast<int>(p), static_cast<int>(s)) &&
                    !finished_.count({n.name, static_cast<int>(p), static_cast<int>(s)}))
                    violation("complete, but " + n.name + " never finished " + plan_.phases[p].steps[s].id);
}

}  // namespace chu::sim
