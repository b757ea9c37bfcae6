// What the leader shows: the cluster's state, its problem in the operator's words, and every node's place.
#include "leader.hpp"

#include "node.hpp"
#include "outlook.hpp"
#include "words.hpp"

#include <algorithm>

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
    if (!setup_.mode().holds_on_problems())  // its checks may fail: what they found is the problem
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
                                               : PackageSeen{name, m.presence.package_digest, m.heard_ms != 0});
    return preflight_results(setup_.plan, setup_.topology, journal_.timeline, packages, setup_.package_digest);
}

const char* Leader::finished_text() const
{
    return setup_.mode().rehearsal ? "preflight rehearsal done on every node: nothing was changed"
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
    const bool self = node == setup_.node;
    const Presence own = self ? own_.presence(now) : Presence{};  // a peer's is read in place, not copied
    const Presence& h = self ? own : members_.at(node).presence;
    const Step* st = current_step();
    if (!h.running || StepRef{h.phase, h.step} != here() || !st || only_reads(*st))
        return 0;
    const auto expected = static_cast<std::int64_t>(st->timeout_s) * 1000;
    const auto running = static_cast<std::int64_t>(h.running_ms);
    return running > expected ? running - expected : 0;
}

// Heard before, but not within the peer timeout; a dropped node is no longer waited for.
bool Leader::is_lost(const std::string& node, std::int64_t now) const
{
    const Member& m = members_.at(node);
    return node != setup_.node && m.heard_ms != 0 && !dropped(node) && now - m.heard_ms > setup_.config.cluster.peer_timeout_ms;
}

// How long `node` has run its attempt at the current step; -1: it runs none (or is lost: not known).
std::int64_t Leader::running_here_ms(const std::string& node, std::int64_t now) const
{
    const bool self = node == setup_.node;
    const Presence own = self ? own_.presence(now) : Presence{};
    const Presence& h = self ? own : members_.at(node).presence;
    if (!h.running || StepRef{h.phase, h.step} != here() || is_lost(node, now))
        return -1;
    return static_cast<std::int64_t>(h.running_ms) + (self ? 0 : now - members_.at(node).heard_ms);
}

// For the downtime's end: a step whose condition is not known to hold takes no time, since the plan's answers
// to a failure mostly never run. (Progress counts every step: one skipped counts as done, so it never steps back.)
bool Leader::counts(StepRef ref) const
{
    const Step& st = step_at(setup_.plan, ref);
    return st.when.kind == Condition::Kind::always || (ref.phase == journal_.phase && condition_holds(st.when));
}

// What a step is expected to take on the clock (ms), and how much of that is done: nodes that finished it
// whole, a running node by its time so far (up to its timeout).
std::pair<std::int64_t, std::int64_t> Leader::step_time(StepRef ref, std::int64_t now) const
{
    const Step& st = step_at(setup_.plan, ref);
    const auto nodes = targets_of(st);
    std::vector<Role> roles;
    roles.reserve(nodes.size());
    for (const auto& n : nodes)
        roles.push_back(members_.at(n).server->role);
    const auto shares = expected_shares(st, roles, setup_.config.upgrade.max_parallel);
    std::int64_t total = 0, done = 0;
    for (const auto share : shares)
        total += share;
    if (ref != here())
        return {total, ref < here() ? total : 0};
    const auto timeout = static_cast<std::int64_t>(st.timeout_s) * 1000;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const Target* t = target(nodes[i], ref);
        if (t && t->state == T::done)
            done += shares[i];
        else if (const std::int64_t ran = running_here_ms(nodes[i], now); ran >= 0 && timeout > 0)
            done += shares[i] * std::min(ran, timeout) / timeout;
    }
    return {total, done};
}

// Weighed by what each step is expected to take (see expected_shares), a running step by its time so far.
std::uint32_t Leader::percent_done(std::int64_t now) const
{
    std::int64_t total = 0, done = 0;
    for (std::int32_t p = 1; p < static_cast<std::int32_t>(setup_.plan.phases.size()); ++p)
        for (std::int32_t s = 0; s < static_cast<std::int32_t>(phase_at(setup_.plan, p).steps.size()); ++s) {
            const auto [expected, ran] = step_time({p, s}, now);
            total += expected;
            done += ran;
        }
    return total == 0 ? 100 : static_cast<std::uint32_t>(done * 100 / total);
}

// While the downtime runs on plan: now and what the plan expects of what remains of it, in whole minutes (an
// estimate that moved with every millisecond would be announced at every wake). 0: it cannot be estimated.
std::int64_t Leader::downtime_expected_end(State state, std::int64_t now) const
{
    if (downtime_begin_ms_ == 0 || journal_.downtime_end_ms != 0 || state != State::running)
        return 0;
    for (const auto& [name, m] : members_)
        if (is_lost(name, now))
            return 0;
    const std::vector<bool> in_downtime = downtime_phases(setup_.plan);
    std::int64_t remaining = 0;
    for (std::int32_t p = journal_.phase; p < static_cast<std::int32_t>(in_downtime.size()) && in_downtime[p]; ++p)
        for (std::int32_t s = 0; s < static_cast<std::int32_t>(phase_at(setup_.plan, p).steps.size()); ++s)
            if (!(StepRef{p, s} < here()) && counts({p, s})) {
                const auto [expected, ran] = step_time({p, s}, now);
                remaining += expected - ran;
            }
    constexpr std::int64_t minute = 60'000;
    return (now + remaining + minute - 1) / minute * minute;
}

std::string Leader::describe_step(StepRef ref) const
{
    if (const Step* st = find_step(setup_.plan, ref))
        return st->id + " (phase " + std::to_string(ref.phase) + ")";
    const Phase* ph = find_phase(setup_.plan, ref.phase);
    return ph ? ph->title : "phase " + std::to_string(ref.phase);
}

// What the cluster waits for, first: every lost node (with what to do), then the leader's problem; at the join,
// the nodes never heard from.
std::string Leader::waiting_text(State state, std::int64_t now) const
{
    std::string out;
    for (const auto& [name, m] : members_)
        if (is_lost(name, now))
            out += (out.empty() ? "" : "; ") + lost_wait_text(name, m.server->role, now - m.heard_ms);
    if (const std::string problem_now = problem(); !problem_now.empty())
        return out + (out.empty() ? "" : "; ") + problem_now;
    if (state != State::joining || !out.empty())
        return out;
    std::vector<std::string> missing;
    for (const auto& [name, m] : members_)
        if (name != setup_.node && m.heard_ms == 0 && !dropped(name))
            missing.push_back(name);
    if (missing.empty())
        return out;
    return "waiting for " + join_names(missing) +
           " to join (never heard from; is chef-ha-upgrade running there, with the same cluster key, and is TCP port " +
           std::to_string(setup_.config.cluster.port) + " open between the nodes?)";
}

// A node's row: its place in the step, as its Hellos and the barrier say; `held`: a failed step holds the others.
PeerInfo Leader::peer_info(const std::string& name, State cluster, bool held, std::int64_t now) const
{
    const Member& m = members_.at(name);
    PeerInfo p;
    p.name = name;
    p.role = static_cast<std::uint8_t>(m.server->role);
    const bool self = name == setup_.node;
    const Presence own = self ? own_.presence(now) : Presence{};  // a peer's is read in place, not copied
    const Presence& h = self ? own : m.presence;
    p.last_heard_ms = self ? now : m.heard_ms;
    p.phase = h.phase;
    State s = cluster;
    const Target* t = target(name, here());
    if (dropped(name))
        s = State::dropped;
    else if (is_lost(name, now))
        s = State::lost;
    else if (!m.refusal.empty() || (!self && m.heard_ms == 0))
        s = State::joining;
    else if (t && t->state == T::failed)
        s = State::failed;
    else if (h.running)
        s = stalled_for(name, now) != 0 ? State::stalled : State::running;
    else if (held)
        s = State::paused;  // until the operator retries or skips the failed step
    p.state = static_cast<std::uint8_t>(s);
    // Only at the current step: a Presence heard before its report came in still says the step it finished.
    p.running = h.running && s != State::lost && StepRef{h.phase, h.step} == here();
    if (p.running)
        p.started_ms = p.last_heard_ms - static_cast<std::int64_t>(h.running_ms);
    if (const Step* step = find_step(setup_.plan, {h.phase, h.step}))  // a peer's Presence may name a step outside this plan
        p.step = step->id;
    return p;
}

void Leader::fill_status(NodeStatus& st, std::int64_t now, View view) const
{
    st.state = state(now);
    st.phase = std::min(journal_.phase, st.phase_count - 1);
    // The events read it only where a step failed or stalled, or the rehearsal ended.
    const bool told = st.state == State::failed || st.state == State::stalled || st.state == State::rehearsed;
    if (view == View::full || told)
        st.last_error = waiting_text(st.state, now);
    st.downtime_begin_ms = downtime_begin_ms_;
    st.downtime_end_ms = journal_.downtime_end_ms;
    if (view == View::full) {  // the weighing of every step on every node: only for what is shown
        st.progress = percent_done(now);
        st.downtime_expected_end_ms = downtime_expected_end(st.state, now);
    }
    // A step that failed on some nodes holds the others; a disagreement is everyone's.
    const bool held = st.state == State::failed && !failed_here().empty();
    for (const auto& [name, m] : members_)
        st.peers.push_back(peer_info(name, st.state, held, now));
}

}  // namespace chu
