// How a step ends on a simulated node, as Chef and the cluster's services would end it: faults that fail or
// hang a step until the operator fixes it, keepalived's view of the VIP, a node on another migration level,
// and cleanup's harmless chef-mover message.
#pragma once

#include "core/effects.hpp"
#include "random.hpp"

#include <map>
#include <string>
#include <tuple>

namespace chu::sim {

class Chef {
public:
    // Draws this run's faults (2% of a node's steps) and the cluster's odd ones.
    Chef(Random& random, const Topology& topology, const Plan& plan);
    // When a step started now ends by itself; never: it hangs until the operator interrupts it.
    std::int64_t start(const std::string& node, const RunStep& run, std::int64_t now);
    StepResult finish(const std::string& node, Role role, const RunStep& run, bool interrupted);
    // The operator retried or skipped a step: they fixed by hand what failed it.
    void fixed(const DecisionRecord& decision);

private:
    struct Fault {  // a step that keeps failing on a node until the operator fixes it
        int failures_left = 0;
        bool hang = false;  // a read-only step times out; a step that changes the cluster runs until interrupted
    };
    std::string value(const std::string& node, Role role, const Step& step) const;

    Random& random_;
    const Plan& plan_;
    std::map<std::tuple<std::string, int, int>, Fault> faults_;
    std::string keepalived_ = "master";
    bool bootstrap_holds_vip_ = true;  // at the start
    std::string odd_migration_node_;   // reports another migration level until the operator fixes it
};

}  // namespace chu::sim
