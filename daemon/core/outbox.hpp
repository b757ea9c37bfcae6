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
    // A state machine's move, as "worker running -> stalled": kept for the tests that cover every move. One
    // that its table does not allow is a bug in the core, logged and kept for the simulation.
    void moved(std::string text) { moves_.insert(std::move(text)); }
    void bug(std::string text);
    // Once per daemon run: the node commits (Underway), the upgrade ended (Completed).
    void completed(State outcome, std::string summary);
    bool empty() const { return effects_.empty(); }

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
    bool completed_said_ = false;
};

// "45 s", "3 min 5 s", "2 h 14 min": how an operator reads a running time.
std::string duration_text(std::int64_t ms);

// A state machine's legal moves, as a table. go() makes a move and reports one outside the table as a bug.
template <class S>
struct Move {
    S from;
    S to;
};

template <class S, std::size_t N, class Name>
void go(Outbox& out, const char* machine, const Move<S> (&table)[N], Name name, S& state, S to)
{
    const std::string text = std::string(machine) + " " + name(state) + " -> " + name(to);
    const bool legal =
        std::any_of(std::begin(table), std::end(table), [&](const Move<S>& m) { return m.from == state && m.to == to; });
    if (legal)
        out.moved(text);
    else
        out.bug(text);
    state = to;
}

// Every move of a table, named as go() names them.
template <class S, std::size_t N, class Name>
std::set<std::string> move_names(const char* machine, const Move<S> (&table)[N], Name name)
{
    std::set<std::string> out;
    for (const auto& m : table)
        out.insert(std::string(machine) + " " + name(m.from) + " -> " + name(m.to));
    return out;
}

}  // namespace chu
