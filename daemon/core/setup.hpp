// Everything a node's core is given at start: who it is, the cluster, the plan, and what was read here.
#pragma once

#include "config.hpp"
#include "plan.hpp"
#include "topology.hpp"
#include "wire.hpp"

#include <string>

namespace chu {

// The upgrade, or a preflight rehearsal (rehearsal.hpp). Where the two differ the core asks this, by name.
struct RunMode {
    bool rehearsal = false;
    bool keeps_underway() const { return !rehearsal; }  // Underway: what brings the upgrade back after a reboot
    bool runs_hooks() const { return !rehearsal; }      // a rehearsal is not the upgrade: it notifies nobody
    bool starts_itself() const { return rehearsal; }    // it changes nothing: no operator's start
    bool holds_on_problems() const
    {
        return !rehearsal;
    }                                                      // a failed check or a disagreement holds the barrier;
                                                           // a rehearsal goes on and reports them all
    bool compares_packages() const { return !rehearsal; }  // at the join; a rehearsal makes it a check of its own
    State finished() const { return rehearsal ? State::rehearsed : State::complete; }
};

struct NodeSetup {
    Topology topology;
    Plan plan;  // the effective plan (join first, add-ons last)
    Config config;
    std::string node;
    NodeFacts facts;
    std::string topology_digest;
    std::string plan_digest;
    std::string package_digest;  // empty: no readable package on this node
    std::string key_id;
    std::string version;  // this daemon's: every node of a cluster runs the same
    RunMode mode() const { return RunMode{plan.rehearsal}; }
};

// A node's setup from its inputs, in NodeSetup's order, with the digests its join agrees on computed here
// so that every node (and every test) computes them alike. `plan`: the effective plan.
NodeSetup make_setup(Topology topology, Plan plan, Config config, std::string node, NodeFacts facts, std::string package_digest,
                     std::string key_id, std::string version);

}  // namespace chu
