// One simulated run of a whole cluster of cores in one process, for one seed: its nodes (each a core, its
// journal's bytes and the command it runs), the Ports through which the daemon's own loop (core/carry)
// carries each node's effects, crashes part-way through them and restarts from the journal, the replay
// check at every crash whose journal holds all the node applied, a dropped node's stop for good, and the
// main loop that moves the clock to whatever happens next (a delivery, a step's end, a node's timer, the
// operator).
#pragma once

#include "checker.hpp"
#include "chef.hpp"
#include "cluster.hpp"
#include "core/carry.hpp"
#include "network.hpp"
#include "operator.hpp"
#include "random.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace chu::sim {

// What a run did, summed over seeds for the summary.
struct Tally {
    std::uint64_t replay_checks = 0;
    std::uint64_t crashes_mid_effects = 0, crashes_between = 0;
    std::array<std::uint64_t, effect_kinds> effects{};                                  // carried, by kind (Effect::index())
    std::array<std::uint64_t, static_cast<std::size_t>(last_event_kind) + 1> events{};  // Notify, by kind
    std::set<std::string> moves;                                                        // every state machine move the nodes took
    void add(const Tally& other);
};

class Simulation {
public:
    Simulation(std::uint64_t seed, bool trace);
    // Empty when every invariant held, else the first that broke.
    std::string run();
    const Tally& tally() const { return tally_; }

private:
    struct SimNode {
        std::string name;
        Role role = Role::frontend;
        std::unique_ptr<Node> core;
        std::string journal;  // the bytes on disk
        bool up = true;
        std::optional<RunStep> running;
        std::int64_t running_until = 0;
        bool interrupted = false;  // the operator ended the running command
        bool stopping = false;     // it carried a Stop: nothing after it is carried out, and it goes down for good
        bool gone = false;         // down for good: the operator dropped it
    };
    class NodePorts;

    void say(const std::string& s) const;
    SimNode& node(const std::string& name) { return nodes_[index_.at(name)]; }
    SimNode& leader() { return node(cluster_.topology.bootstrap().name); }
    const Step& step_of(int phase, int step) const { return cluster_.plan.phases[phase].steps[step]; }
    void boot(SimNode& n);
    void crash(SimNode& n, const char* why, bool journal_whole = true);
    void stop(SimNode& n, bool journal_whole);
    void down(SimNode& n);
    void check_replay(const SimNode& n);
    bool crashes_now();
    void carry_out(SimNode& n);
    void start_step(SimNode& n, RunStep run);
    void finish_step(SimNode& n);
    void operator_acts();
    void deliver();
    bool go_on() const;
    void turn();
    void end();

    std::uint64_t seed_;
    bool trace_;
    Random random_;
    std::int64_t now_ = 0;
    Cluster cluster_;
    Network network_;
    double crash_rate_ = 0;
    Chef chef_;
    Operator operator_;
    Checker checker_;
    std::vector<SimNode> nodes_;
    std::map<std::string, std::size_t> index_;
    std::int64_t next_state_check_ = 0;
    Tally tally_;
};

}  // namespace chu::sim
