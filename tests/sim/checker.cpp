// The invariants of a simulated run.
#include "checker.hpp"

namespace chu::sim {

Checker::Checker(const Cluster& cluster, const std::int64_t& now)
    : topology_(cluster.topology), plan_(cluster.plan), now_(now),
      // A follower answers when the leader's reply comes, or after the peer timeout; then a tick's slack.
      answer_within_ms_(2 * static_cast<std::int64_t>(cluster.config.cluster.peer_timeout_ms) +
                        3 * static_cast<std::int64_t>(cluster.config.cluster.heartbeat_ms))
{}

void Checker::violation(const std::string& what)
{
    if (problem_.empty())
        problem_ = "t=" + std::to_string(now_) + ": " + what;
}

void Checker::booted(const std::string& node)
{
    boots_[node] = Boot{};
}

void Checker::went_down(const std::string& node)
{
    boots_.erase(node);
}

void Checker::called(const std::string& node, std::uint64_t id)
{
    boots_.at(node).calls[id] = now_ + answer_within_ms_;
}

void Checker::check_calls()
{
    for (const auto& [node, boot] : boots_)
        for (const auto& [id, by] : boot.calls)
            if (now_ > by)
                violation("the operator's call " + std::to_string(id) + " on " + node + " was not answered within " +
                          std::to_string(answer_within_ms_) + " ms");
}

void Checker::wrote(const std::string& node, const Record& record)
{
    // The node keeps what brings it back after a reboot before it commits to the upgrade.
    if ((std::holds_alternative<JoinedRecord>(record) || std::holds_alternative<StartedRecord>(record)) &&
        !boots_.at(node).underway)
        violation(node + " journaled " + (std::holds_alternative<JoinedRecord>(record) ? "the join" : "a step's start") +
                  " without carrying Underway before it in this run of its daemon");
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
        if (d->op == Op::drop)
            dropped_.insert(d->node);
    }
}

void Checker::sent(const std::string& from, const Send& send, bool on_its_way)
{
    const auto* o = std::get_if<Order>(&send.message);
    if (!o)
        return;
    if (from == topology_.bootstrap().name && dropped_.count(send.to))
        violation("the leader ordered " + step_of(o->phase, o->step).id + " on " + send.to + " after it journaled its drop");
    if (on_its_way)
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
// it started there; none once the leader dropped it.
bool Checker::required(const std::string& node, Role role, int phase, int step) const
{
    const Step& st = step_of(phase, step);
    return !dropped_.count(node) && runs_on(st, role) && st.kind != StepKind::gate &&
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

void Checker::underway(const std::string& node)
{
    Boot& boot = boots_.at(node);
    if (boot.underway)
        violation(node + " carried Underway twice in one run of its daemon");
    boot.underway = true;
}

void Checker::answered(const std::string& node, const Answer& answer)
{
    if (boots_.at(node).calls.erase(answer.id) == 0)
        violation(node + " answered the operator's call " + std::to_string(answer.id) +
                  ", which was not pending there (made elsewhere, or answered already)");
}

// The hooks run on the leader of an upgrade (every simulated run is one), so that each event runs them
// once; an event is stamped with the moment the node decided, which is now in the simulation.
void Checker::notified(const std::string& node, const Notify& notify)
{
    if (notify.hook != (node == topology_.bootstrap().name))
        violation(node + "'s " + event_name(notify.event.kind) + " event " + (notify.hook ? "runs" : "does not run") +
                  " the hooks");
    if (notify.event.at_ms != now_)
        violation(node + "'s " + event_name(notify.event.kind) + " event is stamped " + std::to_string(notify.event.at_ms));
}

void Checker::completed(const std::string& node, const Completed& completed)
{
    Boot& boot = boots_.at(node);
    if (boot.completed)
        violation(node + " said Completed twice in one run of its daemon");
    boot.completed = true;
    boot.said_dropped = completed.outcome == State::dropped;
    if (boot.said_dropped && !dropped_.count(node))
        violation(node + " says it was dropped, but the leader never journaled its drop");
    if (completed.outcome == State::complete)
        complete_ = true;
}

void Checker::stopped(const std::string& node)
{
    if (!boots_.at(node).said_dropped)
        violation(node + " stopped without saying first that the operator dropped it (Completed: dropped)");
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
