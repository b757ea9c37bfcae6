// This node on the system bus: the contract in ipc/chef-ha-upgrade.xml, served from the daemon's sd-event
// loop. It only translates: properties come from the core's status, method calls go to the core as
// operator decisions and are answered when the core answers.
#pragma once

#include "core/events.hpp"
#include "core/node.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

struct sd_event;

namespace chu {

class BusService {
public:
    // Hands an operator decision to the core; the core's Answer (same id) comes back through answer().
    using OperatorCall = std::function<void(const Command& call)>;  // call.id: the answer's
    // The daemon's logger: a lost connection or a failed send is said, and the upgrade goes on.
    using Warn = std::function<void(const std::string&)>;
    // collect: a node's part of a support bundle, or why not (daemon/support).
    using Collected = std::function<void(Result<std::string> part)>;
    using CollectCall = std::function<void(const std::string& node, Collected done)>;

    // Connects to the system bus (DBUS_SYSTEM_BUS_ADDRESS is honoured), owns the bus name, registers the
    // object and serves it from `event`. Throws sdbus::Error when the bus or the name is unavailable.
    BusService(sd_event* event, const Node& core, const NodeSetup& setup, OperatorCall call, Warn warn);
    ~BusService();
    BusService(const BusService&) = delete;
    BusService& operator=(const BusService&) = delete;

    // Publishes the core's status (the daemon has it at hand for its status line and events); emits
    // PropertiesChanged for every property that changed.
    void publish(const NodeStatus& status, std::int64_t now_ms);
    // This node stopped acting (its journal cannot be written): State failed, LastError why, from now on.
    void halt(const std::string& reason);
    // Completes the pending method call `answer.id` (an error reply when !answer.ok).
    void answer(const Answer& answer);
    // Emits the completion signal.
    void completed(const Completed& completed);
    // Emits the Event signal.
    void event(const Event& event);
    // Serves CollectPart with `collect` (refused until then).
    void serve_collect(CollectCall collect);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace chu
