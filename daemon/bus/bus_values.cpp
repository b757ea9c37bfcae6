#include "bus_values.hpp"

#include "core/utf8.hpp"

#include <algorithm>
#include <limits>
#include <tuple>

namespace chu::bus {

namespace {

std::uint64_t usec(std::int64_t ms)
{
    return ms > 0 ? static_cast<std::uint64_t>(ms) * 1000 : 0;
}

}  // namespace

Properties properties_of(const NodeStatus& s, std::int64_t now_ms)
{
    Properties p;
    p.node_name = valid_utf8(s.node);
    p.role = role_name(s.role);
    p.leader = valid_utf8(s.leader);
    p.leader_reachable = s.leader_reachable;
    p.epoch = s.epoch;
    p.state = state_name(s.state);
    p.phase = s.phase;
    p.phase_name = valid_utf8(s.phase_name);
    p.phase_count = s.phase_count;
    p.current_step = valid_utf8(s.step);
    p.attempt = s.attempt;
    p.progress = s.progress;
    p.last_error = valid_utf8(s.last_error);
    p.versions = valid_utf8(s.versions);
    p.rehearsal = s.rehearsal;
    p.downtime_start_usec = usec(s.downtime_begin_ms);
    p.downtime_end_usec = usec(s.downtime_end_ms);
    p.downtime_expected_end_usec = usec(s.downtime_expected_end_ms);
    p.next = valid_utf8(s.next);
    // Whole seconds: a start told from the hellos jitters by the network's milliseconds at every heartbeat.
    for (const auto& r : s.running)
        p.running_steps.emplace_back(valid_utf8(r.node), r.step, valid_utf8(r.action), usec(r.started_ms / 1000 * 1000),
                                     usec(r.expected_ms));
    for (const auto& peer : s.peers) {
        // Whole seconds: finer would announce a change at every heartbeat for nothing an operator reads.
        const std::int64_t heard = peer.last_heard_ms == 0 ? -1 : std::max<std::int64_t>(0, now_ms - peer.last_heard_ms) / 1000;
        p.peers.emplace_back(valid_utf8(peer.name), role_name(static_cast<Role>(peer.role)),
                             state_name(static_cast<State>(peer.state)), peer.phase, valid_utf8(peer.step), heard);
    }
    return p;
}

std::vector<std::string> changed_properties(const Properties& a, const Properties& b)
{
    std::vector<std::string> names;
    auto check = [&](const char* name, const auto& x, const auto& y) {
        if (x != y)
            names.emplace_back(name);
    };
    check("NodeName", a.node_name, b.node_name);
    check("Role", a.role, b.role);
    check("Leader", a.leader, b.leader);
    check("LeaderReachable", a.leader_reachable, b.leader_reachable);
    check("Epoch", a.epoch, b.epoch);
    check("State", a.state, b.state);
    check("Phase", a.phase, b.phase);
    check("PhaseName", a.phase_name, b.phase_name);
    check("PhaseCount", a.phase_count, b.phase_count);
    check("CurrentStep", a.current_step, b.current_step);
    check("Attempt", a.attempt, b.attempt);
    check("Progress", a.progress, b.progress);
    check("LastError", a.last_error, b.last_error);
    check("DowntimeStartUSec", a.downtime_start_usec, b.downtime_start_usec);
    check("DowntimeEndUSec", a.downtime_end_usec, b.downtime_end_usec);
    check("Peers", a.peers, b.peers);
    check("Versions", a.versions, b.versions);
    check("RunningSteps", a.running_steps, b.running_steps);
    check("DowntimeExpectedEndUSec", a.downtime_expected_end_usec, b.downtime_expected_end_usec);
    check("Next", a.next, b.next);
    return names;
}

bool peers_moved(const std::vector<PeerEntry>& before, const std::vector<PeerEntry>& after)
{
    const auto same_but_age = [](const PeerEntry& a, const PeerEntry& b) {
        const auto& [a_name, a_role, a_state, a_phase, a_step, a_heard_s] = fields(a);
        const auto& [b_name, b_role, b_state, b_phase, b_step, b_heard_s] = fields(b);
        return std::tie(a_name, a_role, a_state, a_phase, a_step) == std::tie(b_name, b_role, b_state, b_phase, b_step) &&
               (a_heard_s < 0) == (b_heard_s < 0);  // never heard, or heard at last
    };
    return !std::equal(before.begin(), before.end(), after.begin(), after.end(), same_but_age);
}

Result<std::vector<PlanEntry>> plan_entries(const NodeSetup& setup)
{
    const Plan& plan = setup.plan;
    const std::vector<bool> in_downtime = downtime_phases(plan);
    struct Item {
        int phase, step;
        std::size_t server;
        std::string action;
    };
    std::vector<Item> items;
    const auto& servers = setup.topology.servers;
    for (std::size_t i = 0; i < servers.size(); ++i) {
        auto schedule = node_schedule(plan, servers[i].role, setup.config, setup.facts);
        if (!schedule)
            return Error{"the plan cannot be resolved for " + servers[i].name + ": " + schedule.error().message};
        for (const auto& s : schedule.value())
            items.push_back({s.phase, s.step, i, describe(s.action)});
    }
    std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
        return std::tie(a.phase, a.step, a.server) < std::tie(b.phase, b.step, b.server);
    });
    std::vector<PlanEntry> out;
    for (const auto& it : items) {
        const Phase& ph = plan.phases[static_cast<std::size_t>(it.phase)];
        const Step& st = ph.steps[static_cast<std::size_t>(it.step)];
        const Server& server = servers[it.server];
        out.emplace_back(it.phase, valid_utf8(ph.title), bool(in_downtime[static_cast<std::size_t>(it.phase)]),
                         valid_utf8(server.name), role_name(server.role), st.id, valid_utf8(it.action), condition_text(st.when));
    }
    return out;
}

std::vector<TimelineEntry> timeline_entries(const std::vector<ReportRecord>& timeline,
                                            const std::map<std::string, DecisionRecord>& drops, const Plan& plan)
{
    auto step_id = [&](std::int32_t phase, std::int32_t step) {
        const Step* s = find_step(plan, {phase, step});  // the journal was checked against the plan at start
        return s ? s->id : std::string();
    };
    std::vector<DecisionRecord> pending;
    for (const auto& [node, d] : drops)
        pending.push_back(d);
    std::sort(pending.begin(), pending.end(), [](const auto& a, const auto& b) { return a.at_ms > b.at_ms; });
    std::vector<TimelineEntry> out;
    auto drops_until = [&](std::int64_t ms) {
        for (; !pending.empty() && pending.back().at_ms <= ms; pending.pop_back()) {
            const DecisionRecord& d = pending.back();
            out.emplace_back(valid_utf8(d.node), d.phase, step_id(d.phase, d.step), 0, "dropped", usec(d.at_ms), usec(d.at_ms),
                             "dropped by the operator: no barrier waited for it from then on");
        }
    };
    for (const auto& r : timeline) {
        drops_until(r.finished_ms - 1);
        out.emplace_back(valid_utf8(r.node), r.phase, step_id(r.phase, r.step), r.round, outcome_name(r.end.outcome),
                         usec(r.started_ms), usec(r.finished_ms), valid_utf8(r.end.detail));
    }
    drops_until(std::numeric_limits<std::int64_t>::max());
    return out;
}

std::vector<PreflightEntry> preflight_entries(const std::vector<PreflightResult>& results)
{
    std::vector<PreflightEntry> out;
    for (const auto& r : results)
        out.emplace_back(valid_utf8(r.node), valid_utf8(r.check), valid_utf8(r.title), verdict_name(r.verdict),
                         valid_utf8(r.text));
    return out;
}

EventEntry event_entry(const Event& e)
{
    return {event_name(e.kind),
            e.node,
            e.phase,
            e.phase_name,
            e.step,
            e.state,
            e.message,
            static_cast<std::uint64_t>(e.at_ms) * 1000};
}

}  // namespace chu::bus
