// The invariants a simulated run must keep, and what they remember of it. Told of every effect a node
// carries out, it checks the plan's order (no step before the barrier opens, backends-serial order, roles,
// no finished step run again, each node's steps in plan order; a dropped node's steps no longer count);
// that nothing is ordered after an abort, nor on a node after its drop; and what each effect promises: only
// the operator interrupts a command; Underway once per boot, before the node commits; every operator call
// answered once, in time; Notify's hook on the leader only, stamped now; Completed once per boot, dropped
// only if the leader dropped it; Stop only after that. At the end: a run without abort completed every
// step. The first violation is kept.
#pragma once

#include "cluster.hpp"
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
    // `now`: the simulated clock.
    Checker(const Cluster& cluster, const std::int64_t& now);
    const std::string& problem() const { return problem_; }
    void violation(const std::string& what);

    // A node's daemon starts; it goes down (crashed, or stopped for good): the calls made on it are forgotten.
    void booted(const std::string& node);
    void went_down(const std::string& node);
    // The operator makes a call on `node`.
    void called(const std::string& node, std::uint64_t id);
    // Every call still pending is answered within the bound.
    void check_calls();

    // A record written whole to `node`'s journal.
    void wrote(const std::string& node, const Record& record);
    // `on_its_way`: the network did not lose it.
    void sent(const std::string& from, const Send& send, bool on_its_way);
    void started(const std::string& node, Role role, const RunStep& run);
    // The node ends its running command of that round.
    void interrupted(const std::string& node, const Interrupt& interrupt, std::uint32_t round);
    void underway(const std::string& node);
    void answered(const std::string& node, const Answer& answer);
    void notified(const std::string& node, const Notify& notify);
    void completed(const std::string& node, const Completed& completed);
    void stopped(const std::string& node);
    void saw_complete() { complete_ = true; }  // the leader's state says so
    bool complete() const { return complete_; }
    std::optional<std::int64_t> aborted_at() const { return aborted_at_; }
    // At the end of a run: `leader_state`, the leader's state ("down" if it is).
    void check_end(const std::string& leader_state);

private:
    using NodeStep = std::tuple<std::string, int, int>;  // node, phase, step
    struct Boot {                                        // what a node's daemon carried since it started
        bool underway = false;
        bool completed = false;
        bool said_dropped = false;
        std::map<std::uint64_t, std::int64_t> calls;  // the operator's, not answered yet: id -> answered by then
    };
    const Step& step_of(int phase, int step) const { return plan_.phases[phase].steps[step]; }
    bool required(const std::string& node, Role role, int phase, int step) const;
    void check_order(const std::string& node, const Step& st, const RunStep& run);
    void check_barrier(const std::string& node, const Step& st, const RunStep& run);
    void check_serial(const std::string& node, Role role, const Step& st, const RunStep& run);

    const Topology& topology_;
    const Plan& plan_;
    const std::int64_t& now_;
    const std::int64_t answer_within_ms_;
    std::string problem_;
    std::map<std::string, Boot> boots_;  // the nodes that are up
    std::set<NodeStep> finished_;        // journaled ok or skipped
    std::map<NodeStep, std::uint32_t> finished_round_;
    std::set<NodeStep> started_;
    std::map<NodeStep, std::int64_t> first_ordered_;
    std::map<std::string, std::pair<int, int>> last_start_;
    std::set<std::tuple<std::string, int, int, std::uint32_t>> interrupts_decided_;  // node, phase, step, round
    std::set<std::string> dropped_;                                                  // as the leader journaled it
    std::optional<std::int64_t> aborted_at_;
    bool complete_ = false;
};

}  // namespace chu::sim
