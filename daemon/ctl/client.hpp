// chef-ha-upgrade-ctl's only way to the daemon: net.chefhaupgrade.Upgrade1 on the system bus, through the
// proxy generated from ipc/chef-ha-upgrade.xml. Bus errors become a CtlError the operator can act on.
#pragma once

#include "cluster.hpp"
#include "core/events.hpp"

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

namespace chu::ctl {

// The daemon's configuration, where the ctl reads it without a daemon (plan, check-config, the hints).
constexpr const char* default_config = "/etc/chef-ha-upgrade/chef-ha-upgrade.conf";

// Exit statuses of chef-ha-upgrade-ctl (see chef-ha-upgrade-ctl(8)).
enum Exit : int {
    exit_ok = 0,
    exit_refused = 1,  // the daemon refused or failed, the upgrade was aborted, or abort was not confirmed
    exit_usage = 2,
    exit_not_running = 3,
    exit_denied = 4,
    exit_config = 78,  // plan and check-config: the configuration does not load (as chef-ha-upgraded --check-config)
};

// Why chef-ha-upgrade does not answer on this node, and what to look at: "chef-ha-upgrade is not running on
// this node" and, from the state directory, whether an upgrade is under way, over (and when), or never ran.
std::string not_running(const std::string& state_dir);

struct CtlError : std::runtime_error {
    CtlError(Exit code, const std::string& message) : std::runtime_error(message), code(code) {}
    Exit code;
};

class Client {
public:
    // Throws CtlError when the system bus cannot be reached.
    Client();
    ~Client();

    Status status();
    // Calls a decision method (Start, Pause, ...) and returns the leader's answer. `what` completes
    // "only root may ..." when the bus denies the call.
    std::string decide(const std::string& method, const std::string& what);
    std::string skip(bool force);  // force: skip a step whose plan names a risk in skipping it
    std::string drop(const std::string& node, bool force);
    // A node's part of a support bundle (an uncompressed tar); CtlError when that node is not reachable.
    std::string collect_part(const std::string& node);
    std::vector<PlanLine> plan();
    std::vector<TimelineLine> timeline();
    std::vector<PreflightLine> preflight();  // a rehearsal's result, on its leader
    // Calls `changed` with the status now and after every PropertiesChanged, until it returns false.
    // Throws CtlError when the daemon leaves the bus.
    void watch(const std::function<bool(const Status&)>& changed);
    // Every event the daemon emitted since it started (GetEvents).
    std::vector<Event> events();
    // Calls `seen` with every Event signal from now on (the Client listens from its construction, so
    // nothing is lost after an events() call), until it returns false.
    void follow(const std::function<bool(const Event&)>& seen);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace chu::ctl
