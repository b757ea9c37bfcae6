// Everything a node's core is given at start: who it is, the cluster, the plan, and what was read here.
#pragma once

#include "config.hpp"
#include "plan.hpp"
#include "topology.hpp"

#include <string>

namespace chu {

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
};

// A node's setup from its inputs, in NodeSetup's order, with the digests its join agrees on computed here
// so that every node (and every test) computes them alike. `plan`: the effective plan.
NodeSetup make_setup(Topology topology, Plan plan, Config config, std::string node, NodeFacts facts, std::string package_digest,
                     std::string key_id, std::string version);

}  // namespace chu
