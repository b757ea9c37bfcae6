// The invariants a simulated run must keep, and what they remember of it. Told of every effect a node
// carries out, it checks the plan's order (no step before the barrier opens, backends-serial order, roles,
// no finished step run again, each node's steps in plan order), that nothing is ordered after an abort, that
// only the operator interrupts a command; at the end, that a run without abort completed every step.
// The first violation is kept.
#pragma once

#include "core/effects.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>

namespace chu::sim {

class Checker {
public:
    // `now`: the simulated clock, read for the time of a violation.
    Checker(const Topology& topology, const Plan& plan, const std::int64_t& now);
    const std::string& problem() const { return problem_; }
    void violation(const std::string& what);

    // A record written whole to `node`'s journal.
    void wrote(const std::string& node, const Record& record);
    // `on_its_way`: the network did not lose it.
    void sent(const std::string& from, const Send& send, bool on_its_way);
    void started(const std::string& node, Role role, const RunStep& run);
    // The node ends its running command of that round.
    void interrupted(const std::string& node, const Interrupt& interrupt, std::uint32_t round);
    void completed(const Completed& completed);
    void saw_complete() { complete_ = true; }  // the leader's state says so
    bool complete() const { return complete_; }
    std::optional<std::int64_t> aborted_at() const { return aborted_at_; }
    // At the end of a run: `leader_state`, the leader's state ("down" if it is).
    void check_end(const std::string& leader_state);

private:
    using NodeStep = std::tuple<std::string, int, int>;  // node, phase, step
    const Step& step_of(int phase, int step) const { return plan_.phases[phase].steps[step]; }
    bool required(const std::string& node, Role role, int phase, int step) const;
    void check_order(const std::string& node, const Step& st, const RunStep& run);
    void check_barrier(const std::string& node, const Step& st, const RunStep& run);
    void check_serial(const std::string& node, Role role, const Step& st, const RunStep& run);

    const Topology& topology_;
    const Plan& plan_;
    const std::int64_t& now_;
    std::string problem_;
    std::set<NodeStep> finished_;  // journaled ok or skipped
    std::map<NodeStep, std::uint32_t> finished_round_;
    std::set<NodeStep> started_;
    std::map<NodeStep, std::int64_t> first_ordered_;
    std::map<std::string, std::pair<int, int>> last_start_;
    std::set<std::tuple<std::string, int, int, std::uint32_t>> interrupts_decided_;  // node, phase, step, round
    std::optional<std::int64_t> aborted_at_;
    bool complete_ = false;
};

}  // namespace chu::sim
