// The core tests' cluster and what they read of a node's decisions: be1 (the bootstrap, leader), be2 and fe1
// on the shipped chef-server-12 plan, each node's setup as the daemon makes it, and helpers that pick
// effects, records, reports and orders out of what a node decided. Shared by tests/unit/core/*_test.cpp
// that drive a Node (chu-core-fixture); the plan is read through the plan file's adapter, the one thing
// here outside the core.
#pragma once

#include "core/events.hpp"
#include "core/node.hpp"

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace chu::test {

// `node`'s setup in the 3-node cluster (be1, be2, fe1 in test.rb), the chef-server-12 plan made effective
// with `config` and a .deb package.
NodeSetup setup_for(const std::string& node, Config config = {});

template <class T>
std::vector<T> effects_of(const std::vector<Effect>& effects)
{
    std::vector<T> out;
    for (const auto& e : effects)
        if (auto* x = std::get_if<T>(&e))
            out.push_back(*x);
    return out;
}

std::vector<Record> records_of(const std::vector<Effect>& effects);

// (phase, step) of a step id in the chef-server-12 plan.
std::pair<int, int> find_step(const Plan& plan, const std::string& id);

// A follower whose journal says it finished every step before `id` on its role.
std::vector<Record> finished_before(const NodeSetup& s, Role role, const std::string& id);

Envelope from_leader(Message m);

// A step's order for round `round` (copy steps: with the archive's digest and size).
Order order_for(std::pair<int, int> ref, std::uint32_t round = 0, const std::string& archive = {});

StepResult result_of(std::pair<int, int> ref, std::uint32_t round, std::uint32_t attempt, Outcome outcome,
                     std::string detail = {});

std::vector<Report> reports_in(const std::vector<Effect>& effects);

std::vector<std::pair<std::string, Order>> orders_in(const std::vector<Effect>& effects);

// The moves of a machine's table (Worker::all_moves, Leader::all_moves) that no node took.
std::set<std::string> missing_moves(const std::set<std::string>& all, const std::set<std::string>& taken);

// How a node's step ends in a Drive: ok, with what a healthy cluster reads.
StepOutcome healthy(const NodeSetup& s, const std::string& node, const Order& o);

// A leader and its followers answering every order at once (the leader's own steps too), as `answer` says.
struct Drive {
    Node& leader;
    std::function<StepOutcome(const std::string& node, const Order& order)> answer;
    std::int64_t now = 100;
    std::vector<Effect> seen = {};
    std::set<std::string> silent = {};  // nodes gone: their orders are never answered

    // Runs until nothing more happens.
    void run();
};

// What a node of the same plan, topology and version says when it joins.
Presence hello_of(const NodeSetup& s);

// Events as "kind phase", to compare with a list.
std::vector<std::string> kinds(const std::vector<Event>& events);

}  // namespace chu::test
