#include "outlook.hpp"

#include "outbox.hpp"
#include "words.hpp"

#include <algorithm>

namespace chu {

namespace {

constexpr const char* ctl = "sudo chef-ha-upgrade-ctl ";

std::vector<std::string> peers_in(const NodeStatus& s, State state)
{
    std::vector<std::string> names;
    for (const auto& p : s.peers)
        if (static_cast<State>(p.state) == state && p.name != s.node)
            names.push_back(p.name);
    return names;
}

bool leader_lost(const NodeStatus& s)
{
    return s.node != s.leader && !s.leader_reachable;
}

// "waiting for fe2.example.com (lost): ..." for each lost node, "" when none is.
std::string lost_next(const NodeStatus& s)
{
    std::string out;
    for (const auto& p : s.peers) {
        if (static_cast<State>(p.state) != State::lost || p.name == s.node)
            continue;
        out += (out.empty() ? "" : "; ") + ("waiting for " + p.name + " (lost): ");
        out += static_cast<Role>(p.role) == Role::frontend
                   ? "bring it back, or drop it: " + std::string(ctl) + "drop " + p.name
                   : "bring it back (sudo systemctl start chef-ha-upgrade there); a backend cannot be dropped";
    }
    return out;
}

// What a state alone says is next; "" where the status's nodes decide it (next_action).
const char* next_by_state(State state)
{
    switch (state) {
    case State::idle: return "start the upgrade: sudo chef-ha-upgrade-ctl start";
    case State::preflight: return "nothing: the preflight checks run";
    case State::running: return "nothing: the phase runs";
    case State::paused: return "resume the upgrade: sudo chef-ha-upgrade-ctl resume";
    case State::awaiting_approval: return "approve the cleanup once the cluster is checked: sudo chef-ha-upgrade-ctl approve";
    case State::complete: return "nothing: the upgrade is complete on every node";
    case State::rehearsed: return "nothing more runs: the preflight rehearsal is done (the last error says what it found)";
    case State::dropped: return "nothing: the operator dropped this node from the upgrade; its daemon stops";
    case State::joining:
    case State::failed:
    case State::stalled:
    case State::aborted:
    case State::lost: break;
    }
    return "";
}

std::string next_by_nodes(const NodeStatus& s)
{
    switch (s.state) {
    case State::joining: {
        const auto missing = peers_in(s, State::joining);
        return missing.empty() ? "nothing: the nodes are joining"
                               : "waiting for " + join_names(missing) +
                                     " to join: start chef-ha-upgrade there (sudo systemctl start chef-ha-upgrade), or fix "
                                     "what the last error says";
    }
    case State::failed: {
        const auto failed = peers_in(s, State::failed);
        return failed.empty() ? "make the nodes agree (the last error says how), then retry: " + std::string(ctl) + "retry"
                              : "retry the failed step once fixed (on " + join_names(failed) +
                                    "; the last error says what failed): " + ctl + "retry";
    }
    case State::stalled:
        return "wait for the command stalled on " + join_names(peers_in(s, State::stalled)) +
               " to end; if it really hangs, end it: " + ctl + "interrupt";
    case State::aborted:
        return s.downtime_begin_ms != 0 && s.downtime_end_ms == 0
                   ? "nothing more runs: the upgrade was aborted inside the downtime, so Chef may not serve: check it with "
                     "chef-server-ctl status"
                   : "nothing more runs: the upgrade was aborted";
    default: return next_by_state(s.state);
    }
}

const char* unestimated_because(const NodeStatus& s)
{
    if (leader_lost(s))
        return "the leader is not reachable";
    if (!peers_in(s, State::lost).empty())
        return "a node is lost";
    switch (s.state) {
    case State::failed: return "a step has failed";
    case State::stalled: return "a step runs past its expected time";
    case State::paused: return "the upgrade is paused";
    case State::awaiting_approval: return "the cluster waits for the operator's approval";
    case State::aborted: return "the upgrade is aborted";
    default: return "";
    }
}

}  // namespace

std::string elapsed_text(std::int64_t ms)
{
    const std::int64_t s = std::max<std::int64_t>(ms, 0) / 1000;
    if (s < 60)
        return std::to_string(s) + " s";
    if (s < 3600)
        return std::to_string(s / 60) + " min";
    return std::to_string(s / 3600) + " h" + (s % 3600 >= 60 ? " " + std::to_string(s % 3600 / 60) + " min" : "");
}

std::string peer_state_text(State state, std::int64_t silent_ms)
{
    return state == State::lost ? "lost (not heard for " + elapsed_text(silent_ms) + ")" : state_name(state);
}

std::string time_text(const RunningStep& r, std::int64_t now)
{
    return elapsed_text(now - r.started_ms) + " (expected ≤ " + duration_text(r.expected_ms) + ")";
}

std::string running_step_text(const RunningStep& r, std::int64_t now)
{
    if (r.stalled)
        return "stalled on " + r.node + ": running for " + duration_text(now - r.started_ms) + ", longer than the " +
               duration_text(r.expected_ms) + " expected";
    return r.node + ": " + r.action + ", " + time_text(r, now);
}

std::string lost_wait_text(const std::string& node, Role role, std::int64_t silent_ms)
{
    const std::string what = "waiting for " + node + " (" + role_name(role) + (role == Role::frontend ? "" : " backend") +
                             ", lost: not heard for " + elapsed_text(silent_ms) + "): ";
    if (role == Role::frontend)
        return what + "bring it back, or if it is gone for good drop it from the upgrade: " + ctl + "drop " + node;
    return what + "bring it back (sudo systemctl start chef-ha-upgrade there); a backend cannot be dropped: the upgrade "
                  "needs both";
}

std::vector<std::int64_t> expected_shares(const Step& step, const std::vector<Role>& roles, unsigned max_parallel)
{
    const auto timeout = static_cast<std::int64_t>(step.timeout_s) * 1000;
    const auto frontends = static_cast<std::int64_t>(std::count(roles.begin(), roles.end(), Role::frontend));
    const auto backends = static_cast<std::int64_t>(roles.size()) - frontends;
    const std::int64_t fe_waves = frontends == 0 ? 0 : max_parallel == 0 ? 1 : (frontends + max_parallel - 1) / max_parallel;
    std::vector<std::int64_t> shares(roles.size(), 0);
    if (step.kind == StepKind::gate || roles.empty())
        return shares;
    const bool serial = step.order == NodeOrder::backends_serial;
    const std::int64_t waves = serial ? backends + fe_waves : std::max<std::int64_t>(backends > 0 ? 1 : 0, fe_waves);
    for (std::size_t i = 0; i < roles.size(); ++i)
        shares[i] = !serial                      ? waves * timeout / static_cast<std::int64_t>(roles.size())
                    : roles[i] == Role::frontend ? fe_waves * timeout / frontends
                                                 : timeout;
    return shares;
}

std::string downtime_outlook(const NodeStatus& s, std::int64_t now)
{
    if (s.downtime_begin_ms == 0 || s.downtime_end_ms != 0)
        return {};
    if (s.downtime_expected_end_ms != 0)
        return s.downtime_expected_end_ms <= now ? "expected to end about now"
                                                 : "expected to end within " + elapsed_text(s.downtime_expected_end_ms - now);
    const std::string why = unestimated_because(s);
    return why.empty() ? std::string() : "its end cannot be estimated while " + why;
}

std::string next_action(const NodeStatus& s)
{
    if (s.state == State::dropped || s.state == State::complete || s.state == State::rehearsed || s.state == State::aborted)
        return next_by_nodes(s);
    if (leader_lost(s))
        return "wait for the leader " + s.leader +
               ", not reachable from this node: check chef-ha-upgrade there (sudo systemctl status chef-ha-upgrade) and "
               "that the nodes reach each other";
    if (std::string lost = lost_next(s); !lost.empty())
        return lost;
    return next_by_nodes(s);
}

std::string status_line(const NodeStatus& s, std::int64_t now)
{
    std::string line = std::string(role_name(s.role)) + " " + s.node + ": " + state_name(s.state);
    if (s.state != State::joining && s.state != State::idle)
        line += ", phase " + std::to_string(s.phase) + "/" + std::to_string(s.phase_count - 1) + " " + s.phase_name + ", " +
                std::to_string(s.progress) + "%";
    if (!s.step.empty() && s.state != State::complete && s.state != State::aborted)
        line += ": " + s.step + (s.attempt > 1 ? " (attempt " + std::to_string(s.attempt) + ")" : "");
    if (!s.last_error.empty())
        line += "; " + s.last_error.substr(0, 200);
    if (const std::string downtime = downtime_outlook(s, now); !downtime.empty())
        line += "; downtime " + downtime;
    if (s.last_error.empty() && !s.next.empty() && s.next.rfind("nothing", 0) != 0)  // the error says what to do
        line += "; next: " + s.next;
    return line;
}

}  // namespace chu
