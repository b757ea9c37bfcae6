// private-chef-ctl and chef-server-ctl as an HA node runs them, and the add-ons' NAME-ctl.
#include "opscode.hpp"
#include "simchef.hpp"
#include "world.hpp"

#include <dirent.h>

#include <algorithm>
#include <functional>
#include <iostream>

namespace simchef {

namespace {

const std::vector<std::string> backend_services = {"bookshelf",        "keepalived",    "nginx",      "oc_bifrost",
                                                   "oc_id",            "opscode-erchef", "opscode-expander",
                                                   "opscode-solr4",    "postgresql",    "rabbitmq",   "redis_lb"};
const std::vector<std::string> frontend_services = {"nginx", "oc_bifrost", "oc_id", "opscode-erchef"};
const char* const chef_mover_error = "[ERROR] opscode-chef-mover is not running";

const std::vector<std::string>& services_of(const Node& node)
{
    return node.backend() ? backend_services : frontend_services;
}

bool is_service(const Node& node, const std::string& name)
{
    const auto& all = services_of(node);
    return std::find(all.begin(), all.end(), name) != all.end();
}

bool running(const Call& call, const std::string& service)
{
    if (service == "keepalived")
        return keepalived::is_up(World(call.node.world), call.node.name);
    return !call.state.stopped.count(service);
}

void set_running(Call& call, const std::vector<std::string>& services, bool up)
{
    for (const auto& service : services) {
        if (service == "keepalived") {
            const World world(call.node.world);
            FileLock lock(world.lock_path());
            if (up)
                keepalived::start(world, call.node.name);
            else
                keepalived::stop(world, call.node.name);
        } else if (up) {
            call.state.stopped.erase(service);
        } else {
            call.state.stopped.insert(service);
        }
    }
    call.save();
}

long pid_of(const Call& call, const std::string& service)
{
    return 1000 + static_cast<long>(std::hash<std::string>{}(call.node.name + service) % 30000);
}

// Installed but not upgraded: the services on disk are newer than their configuration.
bool upgrade_pending(const NodeState& state)
{
    return compare_versions(state.installed, state.configured) > 0;
}

int refuse_before_upgrade(Call& call)
{
    return call.refuse("[ERROR] " + product_of(call.state.installed) + " " + call.state.installed +
                       " is installed but " + call.state.configured + " is configured: run `" + call.program +
                       " upgrade` first");
}

int reconfigure(Call& call)
{
    if (upgrade_pending(call.state))
        return refuse_before_upgrade(call);
    std::cout << "Starting Chef Client, version 11.18.12\n"
                 "resolving cookbooks for run list: [\"private-chef::default\"]\n"
                 "Synchronizing Cookbooks:\n  - private-chef\n  - runit\n  - enterprise\n"
                 "Compiling Cookbooks...\nConverging 318 resources\n";
    set_running(call, services_of(call.node), true);
    std::cout << "Chef Client finished, 6/318 resources updated\n"
              << product_of(call.state.configured) << " Reconfigured!\n";
    return 0;
}

int stop(Call& call, std::vector<std::string> services)
{
    if (services.empty()) {
        // Chef Server 12's stop leaves keepalived running: the backend stays the active one.
        for (const auto& service : services_of(call.node))
            if (service != "keepalived" || major_version(call.state.installed) < 12)
                services.push_back(service);
    }
    for (const auto& service : services)
        if (!is_service(call.node, service))
            return call.fail("fail: " + service + ": no such service on this " + (call.node.backend() ? "backend" : "frontend"));
    set_running(call, services, false);
    for (const auto& service : services)
        std::cout << "ok: down: " << service << ": 0s, normally up\n";
    return 0;
}

// start and restart: services up.
int start(Call& call, std::vector<std::string> services)
{
    const bool keepalived_only = services == std::vector<std::string>{"keepalived"};
    if (!keepalived_only && call.node.role == "secondary")
        return call.refuse("[ERROR] Do not run this command on the secondary: its services run on the active backend only");
    if (!keepalived_only && upgrade_pending(call.state))
        return refuse_before_upgrade(call);
    if (services.empty())
        services = services_of(call.node);
    for (const auto& service : services)
        if (!is_service(call.node, service))
            return call.fail("fail: " + service + ": no such service on this " + (call.node.backend() ? "backend" : "frontend"));
    set_running(call, services, true);
    for (const auto& service : services)
        std::cout << "ok: run: " << service << ": (pid " << pid_of(call, service) << ") 0s\n";
    return 0;
}

int status(const Call& call)
{
    bool all = true;
    for (const auto& service : services_of(call.node)) {
        const bool up = running(call, service);
        const long pid = pid_of(call, service);
        if (up)
            std::cout << "run: " << service << ": (pid " << pid << ") 3601s; ";
        else
            std::cout << "down: " << service << ": 12s, normally up; ";
        std::cout << "run: log: (pid " << pid - 1 << ") 86400s\n";
        all = all && up;
    }
    return all ? 0 : 1;
}

int ha_status(Call& call)
{
    if (!call.node.backend())
        return call.fail("[ERROR] ha-status: this frontend is not part of the HA backend pair");
    const World world(call.node.world);
    const bool up = keepalived::is_up(world, call.node.name);
    const bool master = keepalived::master(world) == call.node.name;
    std::cout << "[" << (up ? "OK" : "WARN") << "] keepalived runit process is " << (up ? "running" : "down") << "\n"
              << "[OK] keepalived cluster status is " << (master ? "master" : "backup") << "\n"
              << "[OK] DRBD disk state is UpToDate/UpToDate\n"
              << "[OK] DRBD role is " << (master ? "Primary/Secondary" : "Secondary/Primary") << "\n"
              << "[OK] the backend VIP is " << (master ? "on this node" : "on the other backend") << "\n";
    return 0;
}

int upgrade(Call& call)
{
    NodeState& state = call.state;
    const bool pending = upgrade_pending(state);
    if (!pending && !state.upgraded)
        return call.refuse("[ERROR] nothing to upgrade: " + product_of(state.installed) + " " + state.installed +
                           " is already configured; install the new package first");
    const World world(call.node.world);
    const bool bootstrap = call.node.role == "bootstrap";
    if (!bootstrap) {
        // With any other /etc/opscode than the bootstrap's upgraded one, this node's services break.
        const std::string theirs = trim(read_file(world.path("bootstrap-opscode.sha256")));
        const std::string mine = tree_digest(call.node.opscode_dir);
        if (theirs.empty() || theirs != mine) {
            call.note("opscode=differs");
            return call.refuse("[ERROR] /etc/opscode differs from the bootstrap's: copy it first");
        }
        call.note("opscode=same:" + mine);
    }
    if (!pending) {
        // A re-run (the runbook: "re-run the command until it finishes successfully").
        std::cout << "Nothing to upgrade: " << product_of(state.configured) << " " << state.configured
                  << " is at the latest migration\n";
        call.note("upgraded=" + state.configured);
        return 0;
    }
    if (bootstrap) {
        const std::string master = keepalived::master(world);
        if (master != call.node.name)
            return call.refuse("[ERROR] this backend is not the keepalived master (" + master +
                               " is): the upgrade must run on the active backend");
        std::vector<std::string> up;
        for (const auto& service : services_of(call.node))
            if (service != "keepalived" && running(call, service))
                up.push_back(service);
        if (major_version(state.installed) >= 12 && !up.empty())
            return call.refuse("[ERROR] services still running: " + join(up) + ": run `" + call.program +
                               " stop` first");
    }
    std::cout << "Upgrading " << product_of(state.configured) << " " << state.configured << " to "
              << product_of(state.installed) << " " << state.installed << "\n";
    for (int i = 1; i <= 12; ++i)
        std::cout << "[partybus] Running migration " << i << " of 12\n";
    std::cout.flush();
    sleep_ms(50);  // an upgrade takes a moment: long enough to be seen running
    if (bootstrap) {
        upgrade_opscode(call.node, state.installed);
        write_file(world.path("bootstrap-opscode.sha256"), tree_digest(call.node.opscode_dir) + "\n");
    }
    if (call.node.backend()) {
        // The upgrade reconfigures keepalived, which comes up and may take over (the runbooks' "in some instances").
        FileLock lock(world.lock_path());
        keepalived::start(world, call.node.name,
                          call.node.role == "secondary" && world.has("flip_master_after_secondary_upgrade"));
    }
    write_file(call.node.upgrades_dir + "/migration-level", migration_level(state.installed) + "\n");
    state.configured = state.installed;
    state.upgraded = true;
    call.save();
    call.note("upgraded=" + state.configured);
    std::cout << product_of(state.configured) << " Upgraded!\n";
    return 0;
}

int cleanup(Call& call)
{
    std::cout << "Cleaning up old services, data and configuration\n";
    if (!call.state.upgraded) {
        const std::string what = "[ERROR] this node is not upgraded: cleanup would remove the data its services still use";
        call.violation(what);
        call.fail(what);
        return call.fail(chef_mover_error);
    }
    std::cout << "Removing the old services: opscode-account opscode-chef couchdb\n"
                 "Removing /var/opt/opscode/couchdb\nRemoving /var/opt/opscode/opscode-account\n";
    call.state.cleaned = true;
    call.save();
    call.note("cleanup=done");
    return call.fail(chef_mover_error);  // the runbooks: expected, not an actual error
}

bool has_package(const std::string& dir, const std::string& addon)
{
    DIR* d = opendir(dir.c_str());
    if (!d)
        return false;
    bool found = false;
    while (const dirent* e = readdir(d))
        found = found || starts_with(e->d_name, addon);
    closedir(d);
    return found;
}

int install(Call& call, const std::vector<std::string>& rest)
{
    const bool with_path = rest.size() == 3 && rest[1] == "--path";
    if (rest.size() != 1 && !with_path)
        return call.fail("Usage: chef-server-ctl install NAME [--path DIR]");
    const std::string& addon = rest[0];
    const auto& known = addon_names();
    if (std::find(known.begin(), known.end(), addon) == known.end())
        return call.fail("[ERROR] " + addon + " is not a Chef Server add-on (" + join(known, ", ") + ")");
    if (!call.state.upgraded || major_version(call.state.configured) < 12)
        return call.refuse("[ERROR] add-ons install on an upgraded Chef Server 12: run `chef-server-ctl upgrade` first");
    if (with_path && !has_package(rest[2], addon))
        return call.fail("[ERROR] no " + addon + " package in " + rest[2]);
    std::cout << (with_path ? "Installing " + addon + " from " + rest[2] : "Downloading " + addon + " from packages.chef.io")
              << "\n" << addon << " installed\n";
    call.link_command(addon + "-ctl");
    call.state.addons.insert(addon);
    call.save();
    if (call.node.role == "bootstrap") {
        const World world(call.node.world);
        write_file(world.path("bootstrap-" + addon + ".sha256"), write_addon_config(call.node, addon) + "\n");
    }
    return 0;
}

}  // namespace

const std::vector<std::string>& addon_names()
{
    static const std::vector<std::string> names = {"opscode-manage", "opscode-push-jobs-server", "opscode-reporting"};
    return names;
}

int run_ctl(Call& call)
{
    if (call.program == "chef-server-ctl" && major_version(call.state.installed) < 12) {
        std::cerr << "chef-server-ctl: command not found (the Chef Server 12 package is not installed)\n";
        return 127;
    }
    const std::string verb = call.args.empty() ? "" : call.args[0];
    const std::vector<std::string> rest(call.args.begin() + (call.args.empty() ? 0 : 1), call.args.end());
    if (verb == "reconfigure" && rest.empty())
        return reconfigure(call);
    if (verb == "stop" && rest.size() <= 1)
        return stop(call, rest);
    if ((verb == "start" || verb == "restart") && rest.size() <= 1)
        return start(call, rest);
    if (verb == "status" && rest.empty())
        return status(call);
    if (verb == "ha-status" && rest.empty())
        return ha_status(call);
    if (verb == "upgrade" && rest.empty())
        return upgrade(call);
    if (verb == "cleanup" && rest.empty())
        return cleanup(call);
    if (verb == "install" && call.program == "chef-server-ctl")
        return install(call, rest);
    return call.fail(call.program + ": unknown command: " + join(call.args) +
                     "\nUsage: " + call.program + " reconfigure|stop|start|restart|status|ha-status|upgrade|cleanup");
}

int run_addon_ctl(Call& call, const std::string& addon)
{
    if (!call.state.addons.count(addon)) {
        std::cerr << call.program << ": command not found (" << addon << " is not installed)\n";
        return 127;
    }
    if (call.args != std::vector<std::string>{"reconfigure"})
        return call.fail("Usage: " + call.program + " reconfigure");
    if (call.node.role != "bootstrap") {
        // Where the bootstrap has /etc/NAME, every other node must run with its copy.
        const std::string theirs = trim(read_file(World(call.node.world).path("bootstrap-" + addon + ".sha256")));
        if (!theirs.empty() && theirs != tree_digest(addon_dir(call.node, addon)))
            return call.refuse("[ERROR] /etc/" + addon + " differs from the bootstrap's: copy it first");
    }
    std::cout << "Starting Chef Client, version 12.0.3\nConverging 64 resources\n" << addon << " Reconfigured!\n";
    return 0;
}

}  // namespace simchef
