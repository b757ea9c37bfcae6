// The cluster's events, for the operator's scripts and notification hooks: what changed between two views
// of the cluster's status, as this node sees it after each wake. Every node computes them from its own
// status (a follower's comes from the leader's heartbeats), so `chef-ha-upgrade-ctl events` works on any
// node; the leader runs the hooks.
#pragma once

#include "setup.hpp"
#include "status.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace chu {

enum class EventKind : std::uint8_t {
    joined,
    phase_started,
    phase_complete,
    downtime_began,
    downtime_ended,
    step_failed,
    step_stalled,
    awaiting_approval,
    complete,
    aborted,
    node_lost,
    node_back,
    rehearsed,    // a preflight rehearsal ran every check on every node (its message: what it found)
    node_dropped  // the operator dropped a frontend gone for good: no barrier waits for it
};
constexpr EventKind last_event_kind = EventKind::node_dropped;
const char* event_name(EventKind kind);  // "phase-started"
std::optional<EventKind> event_named(std::string_view name);

struct Event {
    EventKind kind = EventKind::joined;
    std::string node;  // the node it is about; "" for the whole cluster
    std::int32_t phase = 0;
    std::string phase_name;
    std::string step;   // the step's id in the plan, where one is meant
    std::string state;  // the cluster's State after it
    std::string message;
    std::int64_t at_ms = 0;
};

// One JSON object on one line (the schema in chef-ha-upgrade-ctl(8)); `source` is the node that saw it.
std::string event_json(const Event& event, const std::string& source);

class EventWatch {
public:
    explicit EventWatch(const NodeSetup& setup);
    // The events between the status seen last and this one, in the order they happened, stamped `now`
    // (the daemon passes the moment the core decided, not when the effects were carried out). The first
    // status is where the watch starts: it gives none.
    std::vector<Event> next(NodeStatus status, std::int64_t now);
    // Every event since this daemon started, oldest first (at most the last 10,000).
    const std::vector<Event>& history() const { return history_; }

private:
    void phases(const NodeStatus& before, const NodeStatus& after, std::vector<Event>& out);
    void states(const NodeStatus& before, const NodeStatus& after, std::vector<Event>& out) const;
    void peers(const NodeStatus& after, std::int64_t now, std::vector<Event>& out);
    Event make(EventKind kind, const NodeStatus& status, std::int32_t phase, std::string message) const;

    const NodeSetup& setup_;
    std::optional<NodeStatus> last_;
    std::int32_t reached_ = 0;  // the highest phase said started: a follower's view may step back a phase
    bool began_said_ = false;   // the downtime's start, said (or before the watch started)
    bool ended_said_ = false;
    bool leader_heard_ = false;         // a follower: the leader was reachable once (never heard is not lost)
    std::map<std::string, bool> lost_;  // node -> not heard for the peer timeout
    std::set<std::string> dropped_;     // nodes said dropped
    std::vector<Event> history_;
};

}  // namespace chu
