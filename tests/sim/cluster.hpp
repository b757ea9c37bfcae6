// Which cluster a seed upgrades (2 backends and 1 to 18 frontends, either plan, random add-ons, parallelism,
// cleanup mode, retries and timeouts), and the setup each of its nodes boots with.
#pragma once

#include "core/setup.hpp"
#include "random.hpp"

#include <string>

namespace chu::sim {

struct Cluster {
    Topology topology;
    Plan plan;
    Config config;
};

// Throws std::runtime_error when the repository's topology text or plan files do not load: no seed could run.
Cluster draw_cluster(Random& random);
// What a node's core starts from, as the daemon assembles it from its files.
NodeSetup setup_of(const Cluster& cluster, const std::string& node);

}  // namespace chu::sim
