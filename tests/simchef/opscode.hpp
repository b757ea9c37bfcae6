// The contents of a simulated node's /etc/opscode and /etc/NAME (opscode.cpp).
#pragma once

#include "simchef.hpp"

#include <string>
#include <vector>

namespace simchef {

// A realistic small /etc/opscode as `version` leaves it, the same on every node of the world
// (private-chef.rb excepted: the harness writes the topology).
void write_opscode(const Node& node, const std::string& version);
// The secrets `version`'s Chef run needs that this node's private-chef-secrets.json lacks: on a node other
// than the bootstrap, the run stops with FATAL for the first (generate_hex_if_bootstrap's H/A guard).
std::vector<std::string> missing_secrets(const Node& node, const std::string& version);
// Takes the newest secret `version` generates out of the node's private-chef-secrets.json (a test's fault).
void drop_secret(const Node& node, const std::string& version);
// What the bootstrap's upgrade to `version` changes in its /etc/opscode.
void upgrade_opscode(const Node& node, const std::string& version);
// The partybus migration a version's upgrade ends at (major 1), and the migration level file it leaves in
// upgrades_dir/migration-level.
int latest_migration(const std::string& version);
std::string migration_level(const std::string& version);
// /etc/NAME: beside /etc/opscode.
std::string addon_dir(const Node& node, const std::string& addon);
// The bootstrap's /etc/NAME as `chef-server-ctl install NAME` leaves it; returns its tree digest.
std::string write_addon_config(const Node& node, const std::string& addon);

}  // namespace simchef
