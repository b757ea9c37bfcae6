// The simulated operator's decisions.
#include "operator.hpp"

namespace chu::sim {

Operator::Operator(Random& random) : random_(random)
{
    abort_planned_ = random_.chance(0.04);
    drops_left_ = random_.chance(0.08) ? random_.pick(1, 3) : 0;
}

std::optional<Call> Operator::act(std::int64_t now, const NodeStatus* leader, const std::vector<Seen>& nodes)
{
    next_at_ = now + random_.ms(500, 20000);
    if (!leader)
        return std::nullopt;
    auto command = drop(leader->state, nodes);
    if (!command) {
        const auto op = decide(leader->state);
        if (!op)
            return std::nullopt;
        command = Command{0, *op, {}, false};
    }
    // From any node: a follower forwards the call to the leader.
    const Seen& via = nodes[random_.pick(0, nodes.size() - 1)];
    if (!via.up)
        return std::nullopt;
    command->id = next_id_++;
    return Call{via.name, *command};
}

// A frontend gone for good holds every barrier, so the operator drops one they see down (refused while the
// leader heard it lately); now and then, with force, one that is up but runs no step.
std::optional<Command> Operator::drop(State state, const std::vector<Seen>& nodes)
{
    if (drops_left_ == 0 || (state != State::running && state != State::failed && state != State::stalled))
        return std::nullopt;
    std::vector<const Seen*> down, idle;
    for (const auto& n : nodes)
        if (n.role == Role::frontend && !n.gone && (!n.up || !n.running))
            (n.up ? idle : down).push_back(&n);
    const bool force = down.empty();
    const auto& candidates = force ? idle : down;
    if (candidates.empty() || !random_.chance(force ? 0.03 : 0.5))
        return std::nullopt;
    --drops_left_;
    const Seen& n = *candidates[random_.pick(0, candidates.size() - 1)];
    return Command{0, Op::drop, n.name, force || random_.chance(0.2)};
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
