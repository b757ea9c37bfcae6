// The simulated operator: at random times it reads the leader's state and decides as a person would (start,
// approve, resume, retry or skip a failure, interrupt a stall; now and then pause, approve too early, abort,
// or drop a frontend that is down), and makes the call on any node, which forwards it to the leader if it
// is a follower.
#pragma once

#include "core/status.hpp"
#include "random.hpp"

#include <optional>
#include <string>
#include <vector>

namespace chu::sim {

struct Seen {  // a node as the operator sees it from outside
    std::string name;
    Role role = Role::frontend;
    bool up = false;       // its daemon runs
    bool running = false;  // a step's command runs there
    bool gone = false;     // stopped for good: it was dropped
};

struct Call {
    std::string via;  // the node the call is made on
    Command command;
};

class Operator {
public:
    explicit Operator(Random& random);  // draws whether this run's operator aborts, and how many frontends it drops
    // When the operator looks next.
    std::int64_t next_at() const { return next_at_; }
    // At next_at(): what the operator does, seeing the leader's status (nullptr: the leader is down).
    std::optional<Call> act(std::int64_t now, const NodeStatus* leader, const std::vector<Seen>& nodes);

private:
    std::optional<Op> decide(State state);
    std::optional<Command> drop(State state, const std::vector<Seen>& nodes);

    Random& random_;
    bool abort_planned_ = false;
    std::uint64_t drops_left_ = 0;
    std::int64_t next_at_ = 0;
    std::uint64_t next_id_ = 1;
};

}  // namespace chu::sim
