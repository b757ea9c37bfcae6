// Assembles what a node's core needs from the files on this node: config, topology, plan and local facts.
#pragma once

#include "config/cluster_key.hpp"
#include "core/node.hpp"

#include <optional>
#include <string>

namespace chu {

constexpr int exit_config_error = 78;  // EX_CONFIG: systemd must not restart on it
constexpr int exit_data_error = 65;    // EX_DATAERR: the journal is damaged; no restart either

// The topology as agreed at join, kept in the state dir: Chef Server 12's upgrade moves private-chef.rb to
// chef-server.rb (leaving a link), and the copy of /etc/opscode replaces it; from the join on, this copy is
// the cluster's topology, after any restart too.
std::string kept_topology_path(const Config& config);

struct LoadedSetup {
    NodeSetup setup;
    std::vector<ScheduledStep> schedule;  // this node's steps, in order
    std::optional<ClusterKey> key;        // none when [cluster] insecure = yes
    std::string topology_text;            // as read, for the copy kept at join
    std::string ruby_note;                // set when no Chef Ruby could check the reader's reading
};

// Everything but the package digest, which reads the whole package (done once, at daemon start).
Result<LoadedSetup> load_node_setup(const std::string& config_path);

// Keeps `loaded.topology_text` at kept_topology_path() unless a copy is there already.
Status keep_topology(const LoadedSetup& loaded);

// This host's fully qualified name, as `server` entries name nodes.
std::string host_fqdn();

// This daemon's version (version_name.cpp).
const char* daemon_version();

}  // namespace chu
