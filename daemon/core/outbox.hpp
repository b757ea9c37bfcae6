// Where a node's state machines put what they decide: effects for the adapters, messages for this node's
// own other half, and records, which are journaled first and then applied (the one path from a record to
// state, live and in replay alike).
#pragma once

#include "effects.hpp"

#include <algorithm>
#include <functional>
#include <iterator>
#include <set>
#include <string>
#include <vector>

namespace chu {

class Outbox {
public:
    // `keeps`: this run keeps what brings it back after a reboot (Underway); a rehearsal keeps nothing.
    Outbox(std::string self, bool keeps, std::function<void(const Record&)> apply)
        : self_(std::move(self)), apply_(std::move(apply)), keeps_(keeps)
    {}

    void send(const std::string& to, Message message);
    void record(const Record& record);
    void log(Log::Level level, std::string text, std::int32_t phase = -1, std::string step = {});
    void push(Effect effect) { effects_.push_back(std::move(effect)); }
    // A state machine's move, as "worker running -> stalled (past-timeout)": kept for the tests that cover
    // every move. One its table does not have is a bug in the core: from then on the node carries out
    // nothing it decided but the Halt that says why (tests and the simulation fail on any).
    void moved(std::string text) { moves_.insert(std::move(text)); }
    void bug(std::string text);
    // Once per daemon run: the node commits (Underway), the upgrade ended (Completed).
    void completed(State outcome, std::string summary);
    bool empty() const { return effects_.empty() && bugs_.empty(); }

    std::vector<Effect> take_effects();
    std::vector<Message> take_local();
    const std::vector<std::string>& bugs() const { return bugs_; }
    const std::set<std::string>& moves() const { return moves_; }

private:
    std::string self_;
    std::function<void(const Record&)> apply_;
    std::vector<Effect> effects_;
    std::vector<Message> local_;  // messages the leader and its own worker send each other, without the network
    std::vector<std::string> bugs_;
    std::set<std::string> moves_;
    bool keeps_ = true;
    bool underway_said_ = false;
    bool halt_said_ = false;
    bool completed_said_ = false;
};

// "45 s", "3 min 5 s", "2 h 14 min": how an operator reads a running time.
std::string duration_text(std::int64_t ms);

// A state machine's table: every row is a move and the event that makes it. go() makes the row for the
// state it is in and the event; an event with no row there is a bug: the move is not made, and the node
// halts (Outbox::bug) rather than act on a state its tables do not know.
template <class S, class E>
struct Move {
    S from;
    E on;
    S to;
};

template <class S, class E>
struct MachineNames {
    const char* machine;  // "worker"
    const char* (*state)(S);
    const char* (*event)(E);
    std::string text(S from, const char* to, E on) const
    {
        return std::string(machine) + " " + state(from) + " -> " + to + " (" + event(on) + ")";
    }
};

template <class S, class E, std::size_t N>
void go(Outbox& out, const Move<S, E> (&table)[N], const MachineNames<S, E>& names, S& state, E on)
{
    for (const auto& m : table)
        if (m.from == state && m.on == on) {
            out.moved(names.text(m.from, names.state(m.to), on));
            state = m.to;
            return;
        }
    out.bug(names.text(state, "?", on));
}

// Every move of a table, named as go() names them.
template <class S, class E, std::size_t N>
std::set<std::string> move_names(const Move<S, E> (&table)[N], const MachineNames<S, E>& names)
{
    std::set<std::string> out;
    for (const auto& m : table)
        out.insert(names.text(m.from, names.state(m.to), m.on));
    return out;
}

}  // namespace chu
