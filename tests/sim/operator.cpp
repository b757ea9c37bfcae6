// The simulated operator's decisions.
#include "operator.hpp"

namespace chu::sim {

Operator::Operator(Random& random) : random_(random)
{
    abort_planned_ = random_.chance(0.04);
}

std::optional<Call> Operator::act(std::int64_t now, const NodeStatus* leader, const std::vector<Seen>& nodes)
{
    next_at_ = now + random_.ms(500, 20000);
    if (!leader)
        return std::nullopt;
    const auto op = decide(leader->state);
    if (!op)
        return std::nullopt;
    // From any node: a follower forwards the call to the leader.
    const Seen& via = nodes[random_.pick(0, nodes.size() - 1)];
    if (!via.up)
        return std::nullopt;
    return Call{via.name, Command{next_id_++, *op, {}, false}};
}

std::optional<Op> Operator::decide(State state)
{
    switch (state) {
    case State::failed: return random_.chance(0.8) ? Op::retry : Op::skip;
    case State::stalled:
        if (!random_.chance(0.5))
            return std::nullopt;  // an operator may wait a while before deciding it hangs
        return Op::interrupt;
    case State::awaiting_approval: return Op::approve;
    case State::paused: return Op::resume;
    case State::idle: return Op::start;
    case State::complete:
    case State::aborted: return std::nullopt;
    default:
        if (abort_planned_ && random_.chance(0.2))
            return Op::abort;
        if (random_.chance(0.1))
            return Op::pause;
        if (random_.chance(0.05))
            return Op::approve;  // too early: refused
        return std::nullopt;
    }
}

}  // namespace chu::sim
