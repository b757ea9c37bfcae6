// Assembles what a node's core needs from the files on this node: config, topology, plan and local facts.
#pragma once

#include "config/cluster_key.hpp"
#include "core/node.hpp"

#include <optional>
#include <string>

namespace chu {

constexpr int exit_config_error = 78;  // EX_CONFIG: systemd must not restart on it
constexpr int exit_data_error = 65;    // EX_DATAERR: the journal is damaged; no restart either

struct LoadedSetup {
    NodeSetup setup;
    std::vector<ScheduledStep> schedule;  // this node's steps, in order
    std::optional<ClusterKey> key;        // none when [cluster] insecure = yes
};

// Everything but the package digest, which reads the whole package (done once, at daemon start).
Result<LoadedSetup> load_node_setup(const std::string& config_path);

// This host's fully qualified name, as `server` entries name nodes.
std::string host_fqdn();

}  // namespace chu
