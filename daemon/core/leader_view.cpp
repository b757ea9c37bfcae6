// What the leader shows: the cluster's state, its problem in the operator's words, and every node's place.
#include "leader.hpp"

#include "node.hpp"
#include "words.hpp"

namespace chu {

namespace {
using P = Leader::Progress;
using T = Leader::TargetState;
}  // namespace

State Leader::state(std::int64_t now) const
{
    switch (journal_.progress) {
    case P::joining:
    case P::starting: return State::joining;
    case P::idle: return State::idle;
    case P::complete: return finished();
    case P::aborted: return State::aborted;
    case P::running: break;
    }
    const Step* st = current_step();
    const Barrier b = st ? barrier(*st) : Barrier::open;
    if (b == Barrier::failed || b == Barrier::disagreed)
        return State::failed;
    for (const auto& [name, m] : members_)
        if (stalled_for(name, now) != 0)
            return State::stalled;
    if (journal_.hold == Hold::paused)
        return State::paused;
    if (b == Barrier::awaiting_approval)
        return State::awaiting_approval;
    return current_phase()->preflight ? State::preflight : State::running;
}

// The one thing the operator must know now, with what to do about it; empty when all is well.
std::string Leader::problem() const
{
    if (journal_.progress == P::joining || journal_.progress == P::starting) {
        std::string out;
        for (const auto& [name, m] : members_)
            if (!m.refusal.empty() && !dropped(name))
                out += (out.empty() ? "" : "; ") + ("node " + name + " refused at join: " + m.refusal);
        if (out.empty() && setup_.package_digest.empty())
            out = "the leader " + setup_.node + " has no readable package: set [upgrade] package";
        return out;
    }
    if (archive_ && !archive_->problem.empty())
        return archive_->problem;
    if (setup_.plan.rehearsal)  // its checks may fail: what they found is the problem
        return problems_text(preflight());
    // The latest failure of the current step.
    const std::pair<const TargetKey, Target>* latest = nullptr;
    for (const auto& entry : journal_.targets)
        if (entry.second.state == T::failed && entry.first.second == here() &&
            (!latest || entry.second.reported > latest->second.reported))
            latest = &entry;
    if (latest) {
        const StepOutcome& end = latest->second.end;
        return "node " + latest->first.first + ", step " + describe_step(here()) + ": " + outcome_name(end.outcome) +
               (end.outcome == Outcome::failed ? " (exit status " + std::to_string(end.exit_code) + ")" : "") + ": " +
               end.detail + ". Fix it, then: chef-ha-upgrade-ctl retry (or skip, or abort)";
    }
    const Step* st = journal_.progress == P::running ? current_step() : nullptr;
    if (st && barrier(*st) == Barrier::disagreed)
        return disagreement_text(*st);
    return {};
}

std::vector<PreflightResult> Leader::preflight() const
{
    std::vector<PackageSeen> packages;
    for (const auto& [name, m] : members_)
        packages.push_back(name == setup_.node ? PackageSeen{name, setup_.package_digest, true}
                                               : PackageSeen{name, m.hello.package_digest, m.heard_ms != 0});
    return preflight_results(setup_.plan, setup_.topology, journal_.timeline, packages, setup_.package_digest);
}

const char* Leader::finished_text() const
{
    return setup_.plan.rehearsal ? "preflight rehearsal done on every node: nothing was changed"
                                 : "upgrade complete on every node";
}

std::string Leader::disagreement_text(const Step& st) const
{
    std::string values;
    for (const auto& n : targets_of(st))
        values += (values.empty() ? "" : ", ") + n + "=" + target(n, here())->end.value;
    return "step " + st.id + ": the nodes disagree (" + values + "); " + agreement_fix(st.agree) +
           ", then chef-ha-upgrade-ctl retry (or skip)";
}

std::int64_t Leader::stalled_for(const std::string& node, std::int64_t now) const
{
    if (dropped(node))
        return 0;
    const Hello h = node == setup_.node ? own_.hello(now) : members_.at(node).hello;
    const Step* st = current_step();
    if (!h.running || StepRef{h.phase, h.step} != here() || !st || only_reads(*st))
        return 0;
    const auto expected = static_cast<std::int64_t>(st->timeout_s) * 1000;
    const auto running = static_cast<std::int64_t>(h.running_ms);
    return running > expected ? running - expected : 0;
}

// "; stalled on be2.example.com: running for 2 h 14 min, longer than the 2 h expected"
std::string Leader::stalls_text(std::int64_t now) const
{
    std::string out;
    for (const auto& [name, m] : members_) {
        const std::int64_t past = name == setup_.node ? 0 : stalled_for(name, now);
        if (past == 0)
            continue;
        const auto expected = static_cast<std::int64_t>(current_step()->timeout_s) * 1000;
        out += "; stalled on " + name + ": running for " + duration_text(expected + past) + ", longer than the " +
               duration_text(expected) + " expected";
    }
    return out;
}

std::uint32_t Leader::percent_done() const
{
    std::size_t total = 0, done = 0;
    for (std::int32_t p = 1; p < static_cast<std::int32_t>(setup_.plan.phases.size()); ++p) {
        const auto& steps = find_phase(setup_.plan, p)->steps;
        for (std::int32_t s = 0; s < static_cast<std::int32_t>(steps.size()); ++s) {
            const Step& st = *find_step(setup_.plan, {p, s});
            const auto nodes = targets_of(st);
            const std::size_t count = st.kind == StepKind::gate ? 1 : nodes.size();
            total += count;
            if (StepRef{p, s} < here())
                done += count;
            else if (StepRef{p, s} == here())
                for (const auto& n : nodes)
                    if (const Target* t = target(n, here()); t && t->state == T::done)
                        ++done;
        }
    }
    return total == 0 ? 100 : static_cast<std::uint32_t>(done * 100 / total);
}

std::string Leader::describe_step(StepRef ref) const
{
    if (const Step* st = find_step(setup_.plan, ref))
        return st->id + " (phase " + std::to_string(ref.phase) + ")";
    const Phase* ph = find_phase(setup_.plan, ref.phase);
    return ph ? ph->title : "phase " + std::to_string(ref.phase);
}

void Leader::fill_status(NodeStatus& st, std::int64_t now) const
{
    st.state = state(now);
    st.phase = std::min(journal_.phase, st.phase_count - 1);
    st.progress = percent_done();
    st.last_error = problem();
    if (st.state == State::joining && st.last_error.empty()) {
        std::vector<std::string> missing;
        for (const auto& [name, m] : members_)
            if (name != setup_.node && m.heard_ms == 0 && !dropped(name))
                missing.push_back(name);
        if (!missing.empty())
            st.last_error = "waiting for " + join_names(missing) +
                            " to join (never heard from; is chef-ha-upgrade running there, "
                            "with the same cluster key, and is TCP port " +
                            std::to_string(setup_.config.cluster.port) + " open between the nodes?)";
    }
    st.downtime_begin_ms = downtime_begin_ms_;
    st.downtime_end_ms = journal_.downtime_end_ms;
    // A step that failed on some nodes holds the others; a disagreement is everyone's.
    const bool held = st.state == State::failed && !failed_here().empty();
    for (const auto& [name, m] : members_) {
        PeerInfo p;
        p.name = name;
        p.role = static_cast<std::uint8_t>(m.server->role);
        const bool self = name == setup_.node;
        const Hello h = self ? own_.hello(now) : m.hello;
        p.last_heard_ms = self ? now : m.heard_ms;
        p.phase = h.phase;
        State s = st.state;
        const Target* t = target(name, here());
        if (dropped(name))
            s = State::dropped;
        else if (!m.refusal.empty() || (!self && m.heard_ms == 0))
            s = State::joining;
        else if (t && t->state == T::failed)
            s = State::failed;
        else if (h.running)
            s = stalled_for(name, now) != 0 ? State::stalled : State::running;
        else if (held)
            s = State::paused;  // until the operator retries or skips the failed step
        p.state = static_cast<std::uint8_t>(s);
        if (const Step* step = find_step(setup_.plan, {h.phase, h.step}))  // a peer's Hello may name a step outside this plan
            p.step = step->id;
        st.peers.push_back(std::move(p));
    }
}

}  // namespace chu
