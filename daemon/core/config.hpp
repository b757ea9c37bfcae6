// The daemon's settings, as read from chef-ha-upgrade.conf and its conf.d drop-ins.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace chu {

enum class CleanupMode { manual, automatic };

struct Config {
    struct Cluster {
        std::string topology = "/etc/opscode/private-chef.rb";
        std::string node;  // empty: this host's FQDN
        std::uint16_t port = 9683;
        std::string key_file;  // empty: derived from <opscode_dir>/private-chef-secrets.json
        bool insecure = false;
        unsigned heartbeat_ms = 1000;
        unsigned peer_timeout_ms = 5000;
    } cluster;

    struct Upgrade {
        std::string plan = "chef-server-12";  // a plan name (in plans_dir) or a path
        std::string package;
        std::string package_sha256;
        bool auto_start = true;
        CleanupMode cleanup = CleanupMode::manual;
        unsigned max_parallel = 0;       // frontends at once; 0 = all
        unsigned failover_wait_s = 120;  // how long to wait for the bootstrap to become keepalived master
        std::vector<std::string> addons;
        std::string addons_path;       // empty: chef-server-ctl install downloads
        bool accept_licenses = false;  // pass --accept-license to the add-ons' reconfigure ({accept_license})
    } upgrade;

    struct Commands {
        std::string chef_server_ctl = "/usr/bin/chef-server-ctl";
        std::string private_chef_ctl = "/usr/bin/private-chef-ctl";
        std::string dpkg = "/usr/bin/dpkg";
        std::string rpm = "/usr/bin/rpm";
        std::string dpkg_deb = "/usr/bin/dpkg-deb";  // reads a .deb's name and version (rpm -qp does for a .rpm)
        std::string make = "/usr/bin/make";
        std::string ruby = "/opt/opscode/embedded/bin/ruby";  // Chef's own: reads the topology file as Chef does
        unsigned timeout_s = 0;                               // 0: each step's timeout from the plan
        unsigned retries = 3;
    } commands;

    struct Hooks {
        std::string dir = "/etc/chef-ha-upgrade/hooks.d";  // executables run on the leader at every event
        unsigned timeout_s = 30;                           // a hook that runs longer is killed
    } hooks;

    struct Paths {
        std::string opscode_dir = "/etc/opscode";
        std::string state_dir = "/var/lib/chef-ha-upgrade";
        std::string plans_dir = "/usr/share/chef-ha-upgrade/plans";
        std::string keepalived_dir = "/var/opt/opscode/keepalived";
        std::string upgrades_dir = "/var/opt/opscode/upgrades";
        std::string data_dir = "/var/opt/opscode";  // where the upgrade writes (pg_upgrade copies the database)
        std::string version_manifest = "/opt/opscode/version-manifest.txt";  // what is installed
        std::string open_source_chef_dir = "/opt/chef-server";               // must not exist: the upgrade would prompt
    } paths;
};

// In the state dir from the join until the upgrade completes or is aborted: units/ start the service at
// boot only while it exists, so a reboot mid-upgrade resumes and nothing else ever starts one; the ctl
// reads it to say whether an upgrade is under way when the daemon is not running.
constexpr const char* underway_marker = "upgrade-underway";

}  // namespace chu
