#include "events.hpp"

#include "json.hpp"
#include "outbox.hpp"

namespace chu {

namespace {

constexpr std::size_t history_limit = 10'000;

// The nodes in `state` ("fe1.example.com, fe2.example.com"), as the leader knows them.
std::string nodes_in(const NodeStatus& status, State state, std::string* step)
{
    std::string names;
    for (const auto& p : status.peers)
        if (static_cast<State>(p.state) == state) {
            names += (names.empty() ? "" : ", ") + p.name;
            if (step && step->empty())
                *step = p.step;
        }
    return names;
}

// The phase under way: none before the join and the start (the status already names the first phase).
std::int32_t under_way(const NodeStatus& s)
{
    return s.state == State::joining || s.state == State::idle ? 0 : s.phase;
}

}  // namespace

const char* event_name(EventKind kind)
{
    switch (kind) {
    case EventKind::joined: return "joined";
    case EventKind::phase_started: return "phase-started";
    case EventKind::phase_complete: return "phase-complete";
    case EventKind::downtime_began: return "downtime-began";
    case EventKind::downtime_ended: return "downtime-ended";
    case EventKind::step_failed: return "step-failed";
    case EventKind::step_stalled: return "step-stalled";
    case EventKind::awaiting_approval: return "awaiting-approval";
    case EventKind::complete: return "complete";
    case EventKind::aborted: return "aborted";
    case EventKind::node_lost: return "node-lost";
    case EventKind::node_back: return "node-back";
    case EventKind::rehearsed: return "rehearsed";
    case EventKind::node_dropped: return "node-dropped";
    }
    return "unknown";
}

std::optional<EventKind> event_named(std::string_view name)
{
    for (std::uint8_t k = 0; k <= static_cast<std::uint8_t>(last_event_kind); ++k)
        if (name == event_name(static_cast<EventKind>(k)))
            return static_cast<EventKind>(k);
    return std::nullopt;
}

std::string event_json(const Event& e, const std::string& source)
{
    return "{\"event\":" + json_string(event_name(e.kind)) + ",\"node\":" + json_string(e.node) +
           ",\"phase\":" + std::to_string(e.phase) + ",\"phase_name\":" + json_string(e.phase_name) +
           ",\"step\":" + json_string(e.step) + ",\"state\":" + json_string(e.state) + ",\"message\":" + json_string(e.message) +
           ",\"at_usec\":" + std::to_string(e.at_ms * 1000) + ",\"source\":" + json_string(source) + "}";
}

EventWatch::EventWatch(const NodeSetup& setup) : setup_(setup) {}

Event EventWatch::make(EventKind kind, const NodeStatus& status, std::int32_t phase, std::string message) const
{
    Event e;
    e.kind = kind;
    e.phase = phase;
    if (const Phase* p = find_phase(setup_.plan, phase))
        e.phase_name = p->title;
    e.state = state_name(status.state);
    e.message = std::move(message);
    return e;
}

std::vector<Event> EventWatch::next(NodeStatus status, std::int64_t now)
{
    std::vector<Event> out;
    if (last_) {
        phases(*last_, status, out);
        states(*last_, status, out);
    } else {
        reached_ = under_way(status);
        began_said_ = status.downtime_begin_ms != 0;
        ended_said_ = status.downtime_end_ms != 0;
    }
    peers(status, now, out);
    if (!last_)
        out.clear();  // where the watch starts: what is lost now was lost before
    last_ = std::move(status);
    for (auto& e : out) {
        e.at_ms = now;
        history_.push_back(e);
    }
    if (history_.size() > history_limit)
        history_.erase(history_.begin(), history_.begin() + static_cast<std::ptrdiff_t>(history_.size() - history_limit));
    return out;
}

// Phase by phase, as many as the cluster passed since the last wake; the join is phase 0.
void EventWatch::phases(const NodeStatus& b, const NodeStatus& s, std::vector<Event>& out)
{
    const std::int32_t count = s.phase_count - 1;
    if (b.state == State::joining && s.state != State::joining && s.state != State::aborted)
        out.push_back(
            make(EventKind::joined, s, 0,
                 "every node joined: " + std::to_string(s.peers.size()) + " nodes agree on topology, plan, package and key"));
    auto ended = [&](std::int32_t p) {
        if (ended_said_ || s.downtime_end_ms == 0)
            return;
        ended_said_ = true;
        out.push_back(
            make(EventKind::downtime_ended, s, p,
                 "downtime ended after " + duration_text(s.downtime_end_ms - s.downtime_begin_ms) + ": Chef serves again"));
    };
    auto complete = [&](std::int32_t p) {
        out.push_back(
            make(EventKind::phase_complete, s, p, "phase " + std::to_string(p) + "/" + std::to_string(count) + " complete"));
        if (phase_at(setup_.plan, p).downtime_ends)
            ended(p);
    };
    for (std::int32_t p = std::max(reached_, 0); p < under_way(s); ++p) {
        if (p >= 1)
            complete(p);
        out.push_back(make(EventKind::phase_started, s, p + 1,
                           "phase " + std::to_string(p + 1) + "/" + std::to_string(count) + " started"));
    }
    reached_ = std::max(reached_, under_way(s));
    if (s.downtime_begin_ms != 0 && !began_said_) {
        began_said_ = true;
        out.push_back(make(EventKind::downtime_began, s, s.phase, "downtime began: Chef no longer serves the API"));
    }
    if ((s.state == State::complete || s.state == State::rehearsed) && b.state != s.state)
        complete(s.phase);
    ended(s.phase);  // a follower may learn of it a beat after the phase that ended it
}

void EventWatch::states(const NodeStatus& b, const NodeStatus& s, std::vector<Event>& out) const
{
    if (s.state == b.state)
        return;
    switch (s.state) {
    case State::failed: {
        Event e = make(EventKind::step_failed, s, s.phase, s.last_error);
        e.node = nodes_in(s, State::failed, &e.step);
        e.step = e.step.empty() ? s.step_id : e.step;
        out.push_back(std::move(e));
        break;
    }
    case State::stalled: {
        Event e = make(EventKind::step_stalled, s, s.phase, s.last_error);
        e.node = nodes_in(s, State::stalled, &e.step);
        out.push_back(std::move(e));
        break;
    }
    case State::awaiting_approval: {
        Event e = make(EventKind::awaiting_approval, s, s.phase,
                       "the cluster waits for the operator's approval: chef-ha-upgrade-ctl approve");
        e.step = s.step_id;
        out.push_back(std::move(e));
        break;
    }
    case State::complete: out.push_back(make(EventKind::complete, s, s.phase, "upgrade complete on every node")); break;
    case State::aborted: out.push_back(make(EventKind::aborted, s, s.phase, "the upgrade was aborted")); break;
    case State::rehearsed:
        out.push_back(make(EventKind::rehearsed, s, s.phase,
                           s.last_error.empty() ? "preflight rehearsal: every check passed on every node" : s.last_error));
        break;
    case State::dropped: {  // this node itself
        Event e = make(EventKind::node_dropped, s, s.phase, s.last_error);
        e.node = s.node;
        out.push_back(std::move(e));
        break;
    }
    default: break;
    }
}

// A node is lost once not heard for the peer timeout. A follower that does not hear the leader says so of
// the leader, and judges no other node meanwhile: its view of them is the leader's, and stale.
void EventWatch::peers(const NodeStatus& s, std::int64_t now, std::vector<Event>& out)
{
    // `why` is said only when a node's judgement changes: the core judges after every input.
    auto judge = [&](const std::string& name, bool lost, auto why) {
        bool& was = lost_[name];
        if (lost == was)
            return;
        was = lost;
        Event e = make(lost ? EventKind::node_lost : EventKind::node_back, s, s.phase, lost ? why() : name + " heard again");
        e.node = name;
        out.push_back(std::move(e));
    };
    if (s.node != s.leader) {
        leader_heard_ = leader_heard_ || (s.leader_reachable && s.state != State::joining);
        if (leader_heard_)
            judge(s.leader, !s.leader_reachable, [&] { return "the leader " + s.leader + " is not reachable"; });
        if (!s.leader_reachable)
            return;
    }
    const std::int64_t timeout = setup_.config.cluster.peer_timeout_ms;
    for (const auto& p : s.peers) {
        if (p.name == s.node || p.name == s.leader)
            continue;
        if (static_cast<State>(p.state) != State::dropped) {
            judge(p.name, p.last_heard_ms != 0 && now - p.last_heard_ms > timeout,
                  [&] { return p.name + " not heard for " + duration_text(now - p.last_heard_ms); });
        } else if (dropped_.insert(p.name).second) {
            Event e = make(EventKind::node_dropped, s, s.phase,
                           p.name + " dropped from the upgrade by the operator: no barrier waits for it");
            e.node = p.name;
            out.push_back(std::move(e));
        }
    }
}

}  // namespace chu
