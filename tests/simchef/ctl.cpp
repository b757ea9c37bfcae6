// private-chef-ctl and chef-server-ctl as an HA node runs them, and the add-ons' NAME-ctl.
#include "opscode.hpp"
#include "simchef.hpp"
#include "world.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include <algorithm>
#include <functional>
#include <iostream>

namespace simchef {

namespace {

// Sources, cited below by these short names:
//   ha.rb       chef-boneyard/opscode-omnibus files/private-chef-ctl-commands/ha.rb at 12.0.8 (and 11.1.8 for EC11)
//   upgrade.rb  the same folder's upgrade.rb at 11.1.8 and 12.0.8
//   cleanup.rb  the same folder's cleanup.rb at 11.1.8 and 12.0.8
//   omnibus-ctl chef/omnibus-ctl lib/omnibus-ctl.rb: 0.0.8 in EC11, 0.3.1 in Chef Server 12.0
//   sv.c        runit 2.1.1 src/sv.c (omnibus-software builds runit 2.1.1), which every service command runs
const std::vector<std::string> backend_services = {"bookshelf",     "keepalived",         "nginx",          "oc_bifrost",
                                                   "oc_id",         "opscode-chef-mover", "opscode-erchef", "opscode-expander",
                                                   "opscode-solr4", "postgresql",         "rabbitmq",       "redis_lb"};
const std::vector<std::string> frontend_services = {"nginx", "oc_bifrost", "oc_id", "opscode-erchef"};
// opscode-omnibus recipes/opscode-chef-mover.rb: "We want the service defined, but dead" (action :down).
const char* const chef_mover = "opscode-chef-mover";

const std::vector<std::string>& services_of(const Node& node)
{
    return node.backend() ? backend_services : frontend_services;
}

bool is_service(const Node& node, const std::string& name)
{
    const auto& all = services_of(node);
    return std::find(all.begin(), all.end(), name) != all.end();
}

// Services keepalived moves with the VIP (they have a keepalive_me file): on a backend they run only while
// it is master. cluster.sh (templates/default/cluster.sh.erb at 12.0.8) starts them on the master transition
// and graceful-kills them on the backup one.
bool moves_with_vip(const Node& node, const std::string& service)
{
    return node.backend() && service != "keepalived" && service != chef_mover;
}

bool running(const Call& call, const std::string& service)
{
    const World world(call.node.world);
    if (service == "keepalived")
        return keepalived::is_up(world, call.node.name);
    if (service == chef_mover)
        return false;
    return !call.state.stopped.count(service) &&
           (!moves_with_vip(call.node, service) || keepalived::master(world) == call.node.name);
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

bool chef_server_12(const std::string& version)
{
    return major_version(version) >= 12;
}

// Installed but not upgraded: the services on disk are newer than their configuration.
bool upgrade_pending(const NodeState& state)
{
    return compare_versions(state.installed, state.configured) > 0;
}

// The sim's own refusal (no real message exists): services whose code is newer than their data would not
// start, or would damage the database; the runbooks upgrade before anything else runs.
int refuse_before_upgrade(Call& call)
{
    return call.refuse("[ERROR] " + product_of(call.state.installed) + " " + call.state.installed + " is installed but " +
                       call.state.configured + " is configured: run `" + call.program + " upgrade` first");
}

// omnibus-ctl's reconfigure ends with "#{display_name} Reconfigured!": the display name is "opscode" in EC11
// and Chef Server 12.0-12.1, "Chef Server" from 12.2 (omnibus/files/private-chef-ctl-commands/chef-server-ctl).
void print_reconfigure(const std::string& version)
{
    std::cout << "Starting Chef Client, version 11.18.12\n"
                 "resolving cookbooks for run list: [\"private-chef::default\"]\n"
                 "Synchronizing Cookbooks:\n  - private-chef\n  - runit\n  - enterprise\n"
                 "Compiling Cookbooks...\nConverging 318 resources\n"
                 "Chef Client finished, 6/318 resources updated\n"
              << (compare_versions(version, "12.2.0") >= 0 ? "Chef Server" : "opscode") << " Reconfigured!\n";
}

// recipes/keepalived.rb (12.0.8) restarts keepalived only when keepalived.conf changes (`notifies :restart`)
// and component_runit_service brings it up when it is down: a reconfigure of an unchanged configuration
// leaves a running keepalived, and the state files its cluster.sh wrote, alone.
int reconfigure(Call& call)
{
    if (upgrade_pending(call.state))
        return refuse_before_upgrade(call);
    std::vector<std::string> up = services_of(call.node);
    if (call.node.backend() && keepalived::is_up(World(call.node.world), call.node.name))
        up.erase(std::remove(up.begin(), up.end(), "keepalived"), up.end());
    set_running(call, up, true);
    print_reconfigure(call.state.configured);
    return 0;
}

// A whole-server stop, start or restart leaves keepalived alone in Chef Server 12 (omnibus-ctl 0.1.1+,
// commit 64e2088, OC-11574: "Do not interact with keepalived by default"); EC11's omnibus-ctl 0.0.8 does not.
std::vector<std::string> whole_server(const Call& call)
{
    std::vector<std::string> out;
    for (const auto& service : services_of(call.node))
        if ((service != "keepalived" || !chef_server_12(call.state.installed)) && service != chef_mover)
            out.push_back(service);
    return out;
}

int no_such_service(Call& call, const std::string& service)
{
    // omnibus-ctl: an unknown service name is not a command it knows.
    return call.fail("I don't know that command.\n" + call.program + " " + join(call.args) + ": no service " + service);
}

int stop(Call& call, std::vector<std::string> services)
{
    if (services.empty())
        services = whole_server(call);
    for (const auto& service : services)
        if (!is_service(call.node, service))
            return no_such_service(call, service);
    set_running(call, services, false);
    for (const auto& service : services)
        std::cout << "ok: down: " << service << ": 0s, normally up\n";  // sv.c, the check after `sv stop`
    return 0;
}

// start and restart: services up.
int start(Call& call, std::vector<std::string> services)
{
    const bool keepalived_only = services == std::vector<std::string>{"keepalived"};
    // Seed 001: "Do not run this command on the secondary back-end server!" Nothing in Chef refuses it: a real
    // secondary would start the services that belong to the master. The sim refuses and logs a violation.
    if (!keepalived_only && call.node.role == "secondary")
        return call.refuse("[ERROR] Do not run this command on the secondary: its services run on the active backend only");
    if (!keepalived_only && upgrade_pending(call.state))
        return refuse_before_upgrade(call);
    if (services.empty())
        services = whole_server(call);
    for (const auto& service : services)
        if (!is_service(call.node, service))
            return no_such_service(call, service);
    set_running(call, services, true);
    for (const auto& service : services)
        std::cout << "ok: run: " << service << ": (pid " << pid_of(call, service) << ") 0s\n";  // sv.c
    return 0;
}

// One sv status line per service, "run: nginx: (pid 4314) 174s; run: log: (pid 3907) 186s" and "down:
// opscode-chef-mover: 220s, normally up; run: log: (pid 3756) 221s" (both verbatim in
// chef-boneyard/opscode-omnibus#480). A down service is sv's LSB status 3. Chef Server 12 hides the mover
// from a whole-server status (omnibus-ctl 0.2.1 hidden_services, opscode-omnibus#480); EC11 lists it. The
// exit status is the first non-zero one in EC11 (omnibus-ctl 0.0.8), their sum in Chef Server 12 (0.3).
// `status SERVICE` shows that one, hidden or not.
int status(Call& call, const std::vector<std::string>& only)
{
    const bool cs12 = chef_server_12(call.state.configured);
    int exit_status = 0;
    std::vector<std::string> listed = only.empty() ? services_of(call.node) : only;
    std::sort(listed.begin(), listed.end());
    for (const auto& service : listed) {
        if (!is_service(call.node, service))
            return no_such_service(call, service);
        if (cs12 && service == chef_mover && only.empty())
            continue;
        const long pid = pid_of(call, service);
        const bool up = running(call, service);
        if (up)
            std::cout << "run: " << service << ": (pid " << pid << ") 3601s; ";
        else
            std::cout << "down: " << service << ": 220s, normally up; ";
        std::cout << "run: log: (pid " << pid - 1 << ") 86400s\n";
        if (!up)
            exit_status = cs12 ? exit_status + 3 : (exit_status == 0 ? 3 : exit_status);
    }
    return exit_status;
}

// ha.rb: every check on stdout, then "\n[ERROR] ERRORS WERE DETECTED.\n\n" or "\n[OK] all checks passed.\n\n",
// exit status the last error code set (7 for a service, which is checked last). Until 12.3.0 the mover,
// enabled and down by design, is "[ERROR] opscode-chef-mover is not running." on the master (chef/chef#3566
// = chef/chef-server#361, 12.0.8; fixed by chef/chef-server#536 in 12.3.0, which skips hidden services);
// the backup's output in chef/chef-server#360 has no mover line. EC11's ha.rb checks DRBD first.
int ha_status(Call& call)
{
    if (!call.node.backend()) {
        std::cout << "[ERROR] keepalived HA services not enabled, please configure keepalived according to documentation.\n";
        return 1;
    }
    const World world(call.node.world);
    const bool master = keepalived::master(world) == call.node.name;
    const std::string version = call.state.configured;
    int error = 0;
    if (!chef_server_12(version))
        std::cout << "[OK] DRBD disk replication enabled.\n[OK] DRBD partition /dev/sdb found.\n"
                     "[OK] DRBD device /dev/drbd0 found.\n";
    std::cout << "[OK] keepalived HA services enabled.\n";
    const std::string requested = keepalived::requested(world, call.node.name);
    const std::string current = keepalived::current(world, call.node.name);
    if (requested != current) {
        std::cout << "[WARN] inconsistent cluster status, requested: " << requested << ", current: " << current
                  << ", failover running?\n";
        error = 2;
    } else {
        std::cout << "[OK] cluster status = " << current << "\n";
    }
    std::cout << (master ? "[OK] found VIP IP address and I am master\n"
                         : "[OK] did not find VIP IP address and I am not master\n")
              << "[OK] found VRRP communications interface eth1\n";
    std::vector<std::string> listed = backend_services;
    std::sort(listed.begin(), listed.end());
    for (const auto& service : listed) {
        const bool up = running(call, service);
        if (service == chef_mover) {
            if (master && compare_versions(version, "12.3.0") < 0) {
                std::cout << "[ERROR] opscode-chef-mover is not running.\n";
                error = 7;
            }
        } else if (!moves_with_vip(call.node, service)) {
            std::cout << "[" << (up ? "OK" : "ERROR") << "] " << service << " is " << (up ? "" : "not ") << "running.\n";
            error = up ? error : 7;
        } else if (master) {
            std::cout << (up ? "[OK] " + service + " is running correctly, and I am master.\n"
                             : "[ERROR] " + service + " is not running correctly, and I am master. \n");
            error = up ? error : 7;
        } else {
            std::cout << (up ? "[ERROR] " + service + " is running, and I am not master.\n"
                             : "[OK] " + service + " is not running, and I am not master.\n");
            error = up ? 7 : error;
        }
    }
    std::cout << (error ? "\n[ERROR] ERRORS WERE DETECTED.\n\n" : "\n[OK] all checks passed.\n\n");
    return error;
}

// Chef Server 12's first reconfigure (recipes/default.rb at 12.0.8, commit 503b9f2d): a real private-chef.rb
// and no (or an empty) chef-server.rb: "Moving to /etc/opscode/chef-server.rb for configuration", then
// FileUtils.mv(private-chef.rb, chef-server.rb) and ln_s(chef-server.rb, private-chef.rb).
void move_private_chef_rb(const Node& node)
{
    const std::string old_path = node.opscode_dir + "/private-chef.rb", new_path = node.opscode_dir + "/chef-server.rb";
    struct stat st {};
    if (lstat(old_path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || !trim(read_file(new_path)).empty())
        return;
    std::cout << "[2014-09-02T10:00:00+00:00] WARN: Moving to /etc/opscode/chef-server.rb for configuration - "
                 "/etc/opscode/private-chef.rb is deprecated.\n";
    // Chef links the absolute path; relative here, so that every simulated node's copy resolves in its own tree.
    if (std::rename(old_path.c_str(), new_path.c_str()) != 0 || symlink("chef-server.rb", old_path.c_str()) != 0)
        throw Failure("cannot move " + old_path + " to " + new_path);
}

// opscode-omnibus#302 (recipes/partybus.rb, in the reconfigure that every upgrade runs first), verbatim.
int missing_migration_level(Call& call)
{
    const std::string path = call.node.upgrades_dir + "/migration-level";
    return call.refuse("The " + path +
                       " file is missing or corrupt!  Please read "
                       "http://docs.getchef.com/install_server_pre.html and correct this file before proceeding\n"
                       "* If this is a new installation:\n  run: \"cd /opt/opscode/embedded/service/partybus ; "
                       "/opt/opscode/embedded/bin/bundle exec bin/partybus init\"\n"
                       "* If you have upgraded a previous installation:\n  copy the " +
                       path + " file from a not-yet-upgraded FrontEnd node");
}

// upgrade.rb 12.0.8: an /opt/chef-server directory means "open source Chef 11": it asks on stdin, which is
// /dev/null under the daemon, and `STDIN.gets.chomp` raises on EOF (chef/chef-server#143).
int open_source_prompt(Call& call)
{
    std::cout << "Open source Chef 11 server detected.\nWould you like to upgrade? [yN]" << std::endl;
    call.violation("chef-server-ctl upgrade took the open source Chef 11 path: /opt/chef-server exists");
    std::cerr << "/opt/opscode/embedded/service/omnibus-ctl/upgrade.rb:96:in `block in load_file': undefined method "
                 "`chomp' for nil:NilClass (NoMethodError)\n";
    return 1;
}

void print_partybus(const std::string& from, const std::string& to)
{
    // partybus (lib/partybus.rb, migrations.rb at 12.0.8): every line "[private-chef-upgrade] - ".
    const int current = latest_migration(from), latest = latest_migration(to);
    std::cout << "[private-chef-upgrade] - Latest Migration Available: 1." << latest << "\n"
              << "[private-chef-upgrade] - Current Migration Version: 1." << current << "\n";
    for (int n = current + 1; n <= latest; ++n)
        std::cout << "[private-chef-upgrade] - Starting Migration 1." << n << "\n"
                  << "[private-chef-upgrade] - Finished Migration 1." << n << " in 1 seconds\n";
}

// The sim's own refusal: the runbooks copy the bootstrap's /etc/opscode to every node before its upgrade;
// with other secrets a real node's services fail later and less clearly.
int refuse_other_opscode(Call& call)
{
    call.note("opscode=differs");
    return call.refuse("[ERROR] /etc/opscode differs from the bootstrap's: copy it first");
}

// Seed 000's "in some instances": with WORLD/secondary_upgrade_needs_keepalived_cycle, an EC11 secondary's
// upgrade fails until keepalived was stopped on the secondary, restarted on the bootstrap, then restarted on
// the secondary, in that order (WORLD/keepalived_cycle counts the three). What it prints is partybus's
// failure when it finds no database to talk to (partybus migration_api/v1.rb at 11.1.8).
void note_keepalived_cycle(const Call& call, const std::string& verb)
{
    const World world(call.node.world);
    FileLock lock(world.lock_path());
    const long long step = world.milliseconds("keepalived_cycle");
    const bool secondary = call.node.role == "secondary";
    long long next = step;
    if (verb == "stop" && secondary)
        next = 1;
    else if (verb == "restart" && !secondary && step == 1)
        next = 2;
    else if (verb == "restart" && secondary && step == 2)
        next = 3;
    write_file(world.path("keepalived_cycle"), std::to_string(next) + "\n");
}

bool needs_keepalived_cycle(const Call& call)
{
    const World world(call.node.world);
    return !chef_server_12(call.state.installed) && call.node.role == "secondary" &&
           world.has("secondary_upgrade_needs_keepalived_cycle") && world.milliseconds("keepalived_cycle") != 3;
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
    const bool cs12 = chef_server_12(state.installed);
    if (cs12)
        std::cout << "Upgrading with options #<OpenStruct skip_confirmation=false, chef11_server_url=\"https://localhost\", "
                     "chef12_server_url=\"https://localhost\", upload_threads=10, chef11_admin_client_name=\"admin\", "
                     "chef11_admin_client_key=\"/etc/chef-server/admin.pem\">\n";
    if (cs12 && exists(call.node.dir + "/opt/chef-server"))
        return open_source_prompt(call);
    if (!bootstrap) {
        const std::string theirs = trim(read_file(world.path("bootstrap-opscode.sha256")));
        const std::string mine = tree_digest(call.node.opscode_dir);
        if (theirs.empty() || theirs != mine)
            return refuse_other_opscode(call);
        call.note("opscode=same:" + mine);
    }
    const std::string level_file = call.node.upgrades_dir + "/migration-level";
    if (!exists(level_file)) {
        if (cs12)
            return missing_migration_level(call);
        // EC11 has no such check: partybus reads level 0 and runs every migration again (#302's reason).
        call.violation("partybus found no migration-level file: it runs every migration again");
    }
    if (!pending) {
        // A re-run (the runbook: "re-run the command until it finishes successfully"): nothing left to migrate.
        print_partybus(state.configured, state.configured);
        std::cout << "Chef Server Upgraded!\n";
        call.note("upgraded=" + state.configured);
        return 0;
    }
    if (needs_keepalived_cycle(call)) {
        print_partybus(state.configured, state.installed);
        std::cout << "ERROR: Database is not running.\nPlease start the database and re-run private-chef-ctl upgrade.\n";
        return 1;
    }
    if (bootstrap && keepalived::master(world) != call.node.name) {
        // partybus migration_api/v1.rb must_be_data_master.
        std::cout << "****\nERROR:\n****\nThe bootstrap server must be the HA-master at the time of upgrade.\n";
        return 1;
    }
    print_reconfigure(state.installed);  // upgrade.rb runs reconfigure(false) first
    if (cs12)
        move_private_chef_rb(call.node);
    if (cs12 && bootstrap) {
        // upgrade.rb 12.0.8 partybus_upgrade: `private-chef-ctl stop`, then `start postgresql`, then partybus.
        std::vector<std::string> up;
        for (const auto& service : whole_server(call))
            if (service != "postgresql")
                up.push_back(service);
        set_running(call, up, false);
    } else if (!cs12) {
        std::cout << "Sleeping for 2 minutes before migration\n";  // upgrade.rb 11.1.8 (not slept here)
    }
    print_partybus(state.configured, state.installed);
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
    write_file(level_file, migration_level(state.installed) + "\n");
    state.configured = state.installed;
    state.upgraded = true;
    call.save();
    call.note("upgraded=" + state.configured);
    std::cout << "Chef Server Upgraded!\n";  // upgrade.rb, both versions
    return 0;
}

// cleanup.rb: a chef-solo (EC11) / chef-client -z (12) run of the post-upgrade cleanup recipes, exit 0 or 1
// and no message of its own. Those recipes never name opscode-chef-mover: the mover error the runbooks call
// expected here comes from ha-status and status, not from cleanup itself.
int cleanup(Call& call)
{
    std::cout << "Starting Chef Client, version 11.18.12\nresolving cookbooks for run list: "
                 "[\"private-chef::post_12_upgrade_cleanup\"]\nConverging 28 resources\n";
    if (!call.state.upgraded) {
        const std::string what = "[ERROR] this node is not upgraded: cleanup would remove the data its services still use";
        call.violation(what);
        return call.fail(what);
    }
    std::cout << "  * private_chef_package_cleaner[opscode-account] action clean\n"
                 "  * private_chef_package_cleaner[couchdb] action clean\n"
                 "  * private_chef_package_cleaner[opscode-webui] action clean\n"
                 "Chef Client finished, 9/28 resources updated\n";
    call.state.cleaned = true;
    call.save();
    call.note("cleanup=done");
    return 0;
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
    std::string addon = rest[0];
    const auto& known = addon_names();
    if (std::find(known.begin(), known.end(), addon) == known.end())
        return call.fail(addon + " does not appear to be a valid addon name. Valid names include: " + join(known, ", "));
    if (!call.state.upgraded || major_version(call.state.configured) < 12)
        return call.refuse("[ERROR] add-ons install on an upgraded Chef Server 12: run `chef-server-ctl upgrade` first");
    // install.rb at 12.4.0 (commit b2669a35): the old name installs the new package; opscode-manage-ctl stays
    // as a link to chef-manage-ctl (chef/chef-web-docs#395).
    const bool renamed = addon == "opscode-manage" && compare_versions(call.state.configured, "12.4.0") >= 0;
    if (renamed) {
        std::cerr << "opscode-manage has been renamed to chef-manage, installing chef-manage instead.\n";
        addon = "chef-manage";
    }
    if (with_path && !has_package(rest[2], addon))
        return call.fail("[ERROR] no " + addon + " package in " + rest[2]);
    std::cout << (with_path ? "Installing " + addon + " from " + rest[2] : "Downloading " + addon + " from packages.chef.io")
              << "\n-- Installed Add-On Package: " << addon << "\n";
    call.link_command(addon + "-ctl");
    call.state.addons.insert(addon);
    if (renamed) {
        call.link_command("opscode-manage-ctl");
        call.state.addons.insert("opscode-manage");
    }
    call.save();
    if (call.node.role == "bootstrap") {
        const World world(call.node.world);
        write_file(world.path("bootstrap-" + addon + ".sha256"), write_addon_config(call.node, addon) + "\n");
    }
    return 0;
}

}  // namespace

// The runbooks' "if the upgrade process times out, re-run the command": the command's own timeout, which
// exits non-zero and leaves the node half done; a re-run finishes it.
int own_timeout(Call& call)
{
    const std::string verb = call.args.empty() ? "" : call.args[0];
    if (verb == "stop" && call.node.backend()) {
        // sv.c: a service that does not go down within its wait prints "timeout: " and its status line and adds
        // 1 to the exit status (chef/chef-server#1220: "timeout: run: rabbitmq: (pid …) 765s, want down";
        // chef/chef-server#1690 shows the same for a restart); the others are down.
        std::vector<std::string> others;
        for (const auto& service : whole_server(call))
            if (service != "rabbitmq")
                others.push_back(service);
        set_running(call, others, false);
        for (const auto& service : others)
            std::cout << "ok: down: " << service << ": 0s, normally up\n";
        std::cout << "timeout: run: rabbitmq: (pid " << pid_of(call, "rabbitmq") << ") 765s, want down\n";
        return 1;
    }
    // A resource's shell-out past its time inside the Chef run (chef/chef-server#1643: "ERROR: Command timed
    // out after 600s: Command exceeded allowed execution time, process terminated"), which fails the run.
    std::cout << "Mixlib::ShellOut::CommandTimeout: Command timed out after 600s:\n"
                 "Command exceeded allowed execution time, process terminated\n";
    return 1;
}

const std::vector<std::string>& addon_names()
{
    static const std::vector<std::string> names = {"opscode-manage", "opscode-push-jobs-server", "opscode-reporting",
                                                   "chef-manage"};
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
    if (verb == "stop" && rest.size() <= 1) {
        const int status = stop(call, rest);
        if (status == 0 && rest == std::vector<std::string>{"keepalived"})
            note_keepalived_cycle(call, verb);
        return status;
    }
    if ((verb == "start" || verb == "restart") && rest.size() <= 1) {
        const int status = start(call, rest);
        if (status == 0 && rest == std::vector<std::string>{"keepalived"})
            note_keepalived_cycle(call, verb);
        return status;
    }
    if (verb == "status" && rest.size() <= 1)
        return status(call, rest);
    if (verb == "ha-status" && rest.empty())
        return ha_status(call);
    if (verb == "upgrade" && rest.empty())
        return upgrade(call);
    if (verb == "cleanup" && rest.empty())
        return cleanup(call);
    if (verb == "install" && call.program == "chef-server-ctl")
        return install(call, rest);
    return call.fail(call.program + ": unknown command: " + join(call.args) + "\nUsage: " + call.program +
                     " reconfigure|stop|start|restart|status|ha-status|upgrade|cleanup");
}

int run_addon_ctl(Call& call, const std::string& addon)
{
    if (!call.state.addons.count(addon)) {
        std::cerr << call.program << ": command not found (" << addon << " is not installed)\n";
        return 127;
    }
    const bool accepted = call.args == std::vector<std::string>{"reconfigure", "--accept-license"};
    if (call.args != std::vector<std::string>{"reconfigure"} && !accepted)
        return call.fail("Usage: " + call.program + " reconfigure [--accept-license]");
    // omnibus-ctl 0.5.0 check_license_acceptance (commit 35ddd63), which chef-manage 2.3 and later ship: without
    // a terminal and without --accept-license it says so on stdout and exits 1 (express42/testo#6).
    const bool licensed = call.state.addons.count("chef-manage") != 0;  // opscode-manage-ctl is its link then
    if (licensed && !accepted && !exists(call.node.dir + "/chef-manage.license.accepted")) {
        std::cout << "To use this software, you must agree to the terms of the software license agreement.\n"
                     "Please view and accept the software license agreement, or pass --accept-license.\n";
        return 1;
    }
    if (licensed && accepted)
        write_file(call.node.dir + "/chef-manage.license.accepted", "");  // /var/opt/chef-manage/.license.accepted
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
