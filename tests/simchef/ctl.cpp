// private-chef-ctl and chef-server-ctl as an HA node runs them, and the add-ons' NAME-ctl.
#include "opscode.hpp"
#include "simchef.hpp"
#include "world.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include <algorithm>
#include <fstream>
#include <functional>
#include <iostream>

namespace simchef {

namespace {

// Sources, cited below by these short names:
//   ha.rb       private-chef-ctl-commands/ha.rb: opscode-omnibus 11.1.8 and 12.0.8, chef-server 12.1.2-12.4.1
//   upgrade.rb  the same folder's upgrade.rb at 11.1.8 and 12.0.8-12.4.1
//   cleanup.rb  the same folder's cleanup.rb at 11.1.8 and 12.0.8
//   omnibus-ctl chef/omnibus-ctl lib/omnibus-ctl.rb: 0.0.7 in EC 11.1.8, 0.3.4 in 12.0.8, 0.3.6 in 12.1.2,
//               0.4.2 in 12.2.0-12.4.1 (omnibus-software's default_version, chef-server's override)
//   sv.c        runit 2.1.1 src/sv.c (omnibus-software builds runit 2.1.1), which every service command runs

bool is_service(const Call& call, const std::string& name)
{
    const auto all = enabled_services(call.node, call.state);
    return std::find(all.begin(), all.end(), name) != all.end();
}

bool running(const Call& call, const std::string& service)
{
    const World world(call.node.world);
    if (service == "keepalived")
        return keepalived::is_up(world, call.node.name);
    if (service == chef_mover || leftover(call.node, call.state, service))
        return false;
    return !call.state.stopped.count(service) &&
           (!moves_with_vip(call.node, service) || keepalived::master(world) == call.node.name);
}

long pid_of(const Call& call, const std::string& service)
{
    return 1000 + static_cast<long>(std::hash<std::string>{}(call.node.name + service) % 30000);
}

// sv.c's status of one service: "run: NAME: (pid P) Ns" / "down: NAME: Ns", then ", normally down" for a
// running service with a down file, ", normally up" for a stopped one without.
std::string sv_state(const Call& call, const std::string& service, bool up, const std::string& seconds)
{
    const bool down = down_file(call.node, call.state, service);
    if (up)
        return "run: " + service + ": (pid " + std::to_string(pid_of(call, service)) + ") " + seconds +
               (down ? ", normally down" : "");
    return "down: " + service + ": " + seconds + (down ? "" : ", normally up");
}

// Where the secondary's keepalived, once started again, takes the VIP (WORLD/flip_master_after_secondary_upgrade,
// used once): the runbooks' "in some instances" after the secondary's upgrade.
bool takes_over(const Call& call)
{
    const World world(call.node.world);
    if (call.node.role != "secondary" || !call.state.upgraded || !world.has("flip_master_after_secondary_upgrade"))
        return false;
    std::remove(world.path("flip_master_after_secondary_upgrade").c_str());
    return true;
}

void set_running(Call& call, const std::vector<std::string>& services, bool up)
{
    for (const auto& service : services) {
        if (service == "keepalived") {
            const World world(call.node.world);
            FileLock lock(world.lock_path());
            if (up)
                keepalived::start(world, call.node.name, takes_over(call));
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

// A reconfigure leaves every enabled service as it is, running or down: component_runit_service enables
// each with runit's :enable, which for an enabled service is "already enabled - nothing to do" (runit
// cookbook libraries/provider_runit_service.rb, 1.3.0 in 11.1.8, 1.6.0 from 12.2.0), and recipes/keepalived.rb
// restarts keepalived only when keepalived.conf changes (`notifies :restart`, 12.0.8-12.4.1), which it does
// not between these releases. A stopped keepalived stays stopped; a running one keeps its state files.
int reconfigure(Call& call)
{
    if (upgrade_pending(call.state))
        return refuse_before_upgrade(call);
    if (call.node.backend()) {
        // cluster.sh.erb lists the services keepalived moves, globbing keepalive_me when the template is rendered:
        // an add-on's services count only from the reconfigure after the add-on's own (install_server_ha_drbd).
        const World world(call.node.world);
        std::vector<std::string> moved;
        for (const auto& service : enabled_services(call.node, call.state))
            if (keepalive_me(call.node, call.state, service))
                moved.push_back(service);
        for (const auto& service : words(read_file(world.path("keepalived/" + call.node.name + ".addon-services"))))
            moved.push_back(service);
        write_file(world.path("keepalived/" + call.node.name + ".services"), join(moved) + "\n");
    }
    print_reconfigure(call.state.configured);
    return 0;
}

// The services a whole-server stop or start acts on (omnibus-ctl run_sv_command). From 0.3.4 (Chef Server
// 12) global_service_command_permitted skips keepalived ("only ... status") and lets removed services (the
// previous release's, left until cleanup) answer stop only; 0.0.7 (EC11) acts on every enabled service.
// The mover stays down: "defined, but dead". 1.4's services that EC11 leaves "remain down/unavailable and can
// be safely ignored" (chef-web-docs upgrade_server_ha_notes, release_oec_11-1): the sim starts none of them.
std::vector<std::string> whole_server(const Node& node, const NodeState& state, const std::string& verb)
{
    const bool cs12 = chef_server_12(state.installed);
    std::vector<std::string> out;
    for (const auto& service : enabled_services(node, state)) {
        const bool old = leftover(node, state, service);
        if ((service == "keepalived" && cs12) || service == chef_mover || (old && (verb != "stop" || !cs12)))
            continue;
        out.push_back(service);
    }
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
        services = whole_server(call.node, call.state, "stop");
    for (const auto& service : services)
        if (!is_service(call, service))
            return no_such_service(call, service);
    set_running(call, services, false);
    for (const auto& service : services)
        std::cout << "ok: " << sv_state(call, service, false, "0s") << "\n";  // sv.c, the check after `sv stop`
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
        services = whole_server(call.node, call.state, "start");
    for (const auto& service : services)
        if (!is_service(call, service))
            return no_such_service(call, service);
    set_running(call, services, true);
    for (const auto& service : services)
        std::cout << "ok: " << sv_state(call, service, true, "0s") << "\n";  // sv.c
    return 0;
}

// One sv status line per service, "run: nginx: (pid 4314) 174s; run: log: (pid 3907) 186s" and "down:
// opscode-chef-mover: 220s, normally up; run: log: (pid 3756) 221s" (both verbatim in
// chef-boneyard/opscode-omnibus#480). A down service is sv's LSB status 3. Every enabled service, but from
// omnibus-ctl 0.3.4 (Chef Server 12) neither hidden services (the mover) nor removed ones (the previous
// release's, until cleanup); EC11's 0.0.7 lists them all. The exit status is the first non-zero one in EC11,
// their sum in Chef Server 12. `status SERVICE` shows that one, hidden or not.
int status(Call& call, const std::vector<std::string>& only)
{
    const bool cs12 = chef_server_12(call.state.installed);
    int exit_status = 0;
    std::vector<std::string> listed = only.empty() ? enabled_services(call.node, call.state) : only;
    for (const auto& service : listed) {
        if (!is_service(call, service))
            return no_such_service(call, service);
        if (cs12 && only.empty() && (service == chef_mover || leftover(call.node, call.state, service)))
            continue;
        const bool up = running(call, service);
        std::cout << sv_state(call, service, up, up ? "3601s" : "220s") << "; run: log: (pid " << pid_of(call, service) - 1
                  << ") 86400s\n";
        if (!up)
            exit_status = cs12 ? exit_status + 3 : (exit_status == 0 ? 3 : exit_status);
    }
    return exit_status;
}

// ha.rb: every check on stdout, then "\n[ERROR] ERRORS WERE DETECTED.\n\n" or "\n[OK] all checks passed.\n\n",
// exit status the last error code set (7 for a service, which is checked last). It walks every enabled
// service (sv/*, linked in service/): one with keepalive_me is checked against the VIP ("[ERROR] NAME is not
// running correctly, and I am master. ", trailing blank and all), any other must run ("[ERROR] NAME is not
// running."): keepalived itself, and the mover, enabled and down by design on the bootstrap whether or not it
// is master (chef/chef#3566 = chef/chef-server#361, 12.0.8) until 12.3.0 skips hidden services
// (chef/chef-server#536). The previous release's services are walked too until cleanup removes them.
// EC11's ha.rb checks DRBD first.
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
    for (const auto& service : enabled_services(call.node, call.state)) {
        if (service == chef_mover && compare_versions(version, "12.3.0") >= 0)
            continue;  // hidden services are skipped from 12.3.0 (chef/chef-server#536)
        const bool up = running(call, service);
        if (!keepalive_me(call.node, call.state, service)) {
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

// EC 11.1.8's recipes/partybus.rb 'migration-level file sanity check', verbatim, which fails the reconfigure
// every upgrade runs first. It runs only after pg_upgrade (`subscribes ... private-chef_pg_upgrade`), that is
// on a backend going from Private Chef 1.4 to EC 11 (PostgreSQL's data directory moves), and only when the
// file is missing (`not_if 'test -f ...'`). 12.0-12.4 keep the block, but PostgreSQL stays 9.2, so it never runs.
int migration_level_sanity_check(Call& call)
{
    const std::string path = "/var/opt/opscode/upgrades/migration-level";  // the recipe's own literal
    std::cout
        << "Recipe: private-chef::partybus\n"
           "  * ruby_block[migration-level file sanity check] action run\n"
           "================================================================================\n"
           "Error executing action `run` on resource 'ruby_block[migration-level file sanity check]'\n"
           "================================================================================\n\n"
           "RuntimeError\n------------\nERROR:\nThe "
        << path
        << " file is missing or corrupt!  Please read "
           "http://docs.opscode.com/upgrade_server_ha_notes.html#pre-flight-check and correct this file before proceeding\n\n"
           "* If this is a new installation:\n  run: \"cd /opt/opscode/embedded/service/partybus ; "
           "/opt/opscode/embedded/bin/bundle exec bin/partybus init\"\n"
           "* If you have upgraded a previous installation:\n  copy the "
        << path
        << " file from a not-yet-upgraded FrontEnd node\n\n"
           "[2014-06-02T10:00:00+00:00] FATAL: Chef::Exceptions::ChildConvergeError: Chef run process exited "
           "unsuccessfully (exit code 1)\n";
    call.violation("private-chef-ctl upgrade found no migration-level file");
    return 1;
}

// partybus (partybus/lib/partybus/migrations.rb, the same at 11.1.8, 12.0.8 and 12.4.1) reads the level with
// JSON.parse and takes a parse error for 0.0; bin/partybus opens the file with File::CREAT first, so a missing
// one reads as empty. At level 0 it runs every migration again from 1.1.
bool level_readable(const std::string& text)
{
    const std::string t = trim(text);
    return t.size() > 2 && t.front() == '{' && t.back() == '}' && t.find("\"major\"") != std::string::npos &&
           t.find("\"minor\"") != std::string::npos;
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

void print_partybus(int current, int latest)
{
    // partybus (lib/partybus.rb, migrations.rb at 12.0.8): every line "[private-chef-upgrade] - ".
    std::cout << "[private-chef-upgrade] - Latest Migration Available: 1." << latest << "\n"
              << "[private-chef-upgrade] - Current Migration Version: " << (current ? "1." + std::to_string(current) : "0.0")
              << "\n";  // a level it could not read is [0, 0] (migrations.rb)
    for (int n = current + 1; n <= latest; ++n)
        std::cout << "[private-chef-upgrade] - Starting Migration 1." << n << "\n"
                  << "[private-chef-upgrade] - Finished Migration 1." << n << " in 1 seconds\n";
}

// The Chef run's H/A guard (libraries/private_chef.rb generate_hex_if_bootstrap, 11.1.8-12.6.0): a node that
// is not the bootstrap, whose private-chef-secrets.json lacks a secret its release generates, logs this and
// exits 44, which fails the reconfigure (`exit! 1`). That is Chef's own check that /etc/opscode was copied.
void print_secrets_guard()
{
    std::cout << "[2015-09-21T10:00:00+00:00] FATAL: Attempt to create secrets on non-bootstrap node in an H/A topology, "
                 "please copy /etc/opscode/* around instead.\n";
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
        // A fact for the verifier: did this node get the bootstrap's upgraded /etc/opscode before its upgrade?
        const std::string theirs = trim(read_file(world.path("bootstrap-opscode.sha256")));
        const std::string mine = tree_digest(call.node.opscode_dir);
        call.note(!theirs.empty() && theirs == mine ? "opscode=same:" + mine : "opscode=differs");
    }
    const std::string level_file = call.node.upgrades_dir + "/migration-level";
    bool found = false;
    const std::string level = read_file(level_file, &found);
    if (!pending) {
        // A re-run (the runbook: "re-run the command until it finishes successfully"): nothing left to migrate.
        print_partybus(latest_migration(state.configured), latest_migration(state.configured));
        std::cout << "Chef Server Upgraded!\n";
        call.note("upgraded=" + state.configured);
        return 0;
    }
    // upgrade.rb: reconfigure(false) first.
    if (!found && !cs12 && call.node.backend() && major_version(state.configured) < 11)
        return migration_level_sanity_check(call);
    const auto missing = bootstrap ? std::vector<std::string>{} : missing_secrets(call.node, state.installed);
    if (!missing.empty()) {
        call.note("secrets=missing:" + missing.front());
        print_secrets_guard();
        // omnibus-ctl 0.4.2 (12.2.0-12.4.1): exit! only sets a flag, and upgrade.rb's partybus_upgrade goes on to
        // migrate and print "Chef Server Upgraded!" with exit 0; 0.0.7 and 0.3.x exit 1 there and then.
        if (compare_versions(state.installed, "12.2.0") < 0)
            return 1;
        print_partybus(latest_migration(state.configured), latest_migration(state.installed));
        write_file(level_file, migration_level(state.installed) + "\n");
        std::cout << "Chef Server Upgraded!\n";
        return 0;
    }
    if (needs_keepalived_cycle(call)) {
        print_partybus(latest_migration(state.configured), latest_migration(state.installed));
        std::cout << "ERROR: Database is not running.\nPlease start the database and re-run private-chef-ctl upgrade.\n";
        return 1;
    }
    if (bootstrap && keepalived::master(world) != call.node.name) {
        // partybus migration_api/v1.rb must_be_data_master.
        std::cout << "****\nERROR:\n****\nThe bootstrap server must be the HA-master at the time of upgrade.\n";
        return 1;
    }
    print_reconfigure(state.installed);
    if (cs12)
        move_private_chef_rb(call.node);
    if (cs12 && bootstrap) {
        // upgrade.rb 12.0.8 partybus_upgrade: `private-chef-ctl stop`, then `start postgresql`, then partybus,
        // with the services its reconfigure just enabled.
        NodeState reconfigured = state;
        reconfigured.configured = state.installed;
        reconfigured.upgraded = true;
        std::vector<std::string> up;
        for (const auto& service : whole_server(call.node, reconfigured, "stop"))
            if (service != "postgresql")
                up.push_back(service);
        set_running(call, up, false);
    } else if (!cs12) {
        std::cout << "Sleeping for 2 minutes before migration\n";  // upgrade.rb 11.1.8 (not slept here)
    }
    if (!level_readable(level))
        call.violation("partybus read the migration level as 0 (" + (found ? "\"" + trim(level) + "\"" : std::string("no file")) +
                       ") and ran every migration again from 1.1");
    print_partybus(level_readable(level) ? latest_migration(state.configured) : 0, latest_migration(state.installed));
    std::cout.flush();
    sleep_ms(50);  // an upgrade takes a moment: long enough to be seen running
    if (bootstrap) {
        upgrade_opscode(call.node, state.installed);
        write_file(world.path("bootstrap-opscode.sha256"), tree_digest(call.node.opscode_dir) + "\n");
    }
    write_file(level_file, migration_level(state.installed) + "\n");
    const std::string from = state.configured;
    state.configured = state.installed;
    state.upgraded = true;
    call.save();
    // EC 11.1.8's reconfigure restarts keepalived, whose cluster.sh template changed since 1.4 (recipes/keepalived.rb
    // `notifies :restart`), and it may take over. Chef Server 12's leaves it as it is (see reconfigure).
    if (call.node.backend() && major_version(from) < 11) {
        FileLock lock(world.lock_path());
        keepalived::start(world, call.node.name, takes_over(call));
    }
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
    // post_11_upgrade_cleanup.rb / post_12_upgrade_cleanup.rb: one private_chef_package_cleaner per service of
    // the previous release (12's removed_services, EC11's 1.4 services).
    for (const auto& service : enabled_services(call.node, call.state))
        if (leftover(call.node, call.state, service))
            std::cout << "  * private_chef_package_cleaner[" << service << "] action clean\n";
    std::cout << "Chef Client finished, 9/28 resources updated\n";
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
    if (verb == "stop") {
        // sv.c: a service still up after SVWAIT prints "timeout: " and its status, with ", want down", and
        // counts 1; omnibus-ctl adds up (12) or keeps the first (EC11) of the services' statuses, so the stop
        // exits 1. It happens on any node: chef/chef-server#1690 shows sv timing out on rabbitmq; the sim's slow
        // service is the one named, else rabbitmq where the node runs it, else opscode-erchef. The others are down.
        const auto services = call.args.size() > 1 ? std::vector<std::string>(call.args.begin() + 1, call.args.end())
                                                   : whole_server(call.node, call.state, "stop");
        const std::string slow = call.args.size() > 1           ? call.args[1]
                                 : is_service(call, "rabbitmq") ? "rabbitmq"
                                                                : "opscode-erchef";
        std::vector<std::string> others;
        for (const auto& service : services)
            if (service != slow)
                others.push_back(service);
        set_running(call, others, false);
        for (const auto& service : others)
            std::cout << "ok: " << sv_state(call, service, false, "0s") << "\n";
        if (others.size() < services.size())
            std::cout << "timeout: " << sv_state(call, slow, true, "765s") << ", want down\n";
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
    if (addon == "opscode-manage" || addon == "chef-manage") {
        // "This updates the Chef server and creates the /etc/opscode-manage/secrets.rb file" (install_server_ha_drbd):
        // each frontend makes its own, at random, unless one is there; the docs copy one frontend's to the others.
        const std::string secrets = addon_dir(call.node, "opscode-manage") + "/secrets.rb";
        if (!exists(secrets)) {
            make_dirs(dir_of(secrets));
            std::string random = "manage-" + call.node.name + "-";
            std::ifstream urandom("/dev/urandom", std::ios::binary);
            for (int i = 0; i < 16; ++i)
                random += "0123456789abcdef"[urandom.get() & 15];
            write_file(secrets, "secret_key_base \"" + random + "\"\n", 0600);
        }
        call.note("manage-secret=" + tree_digest(dir_of(secrets)).substr(0, 16));
    }
    if (addon == "opscode-push-jobs-server" && call.node.backend()) {
        // Its server runs as opscode-pushy-server, with keepalive_me on a backend, like Chef's own services
        // (install_server_ha_drbd: "chef-server-ctl restart opscode-pushy-server").
        const std::string path = World(call.node.world).path("keepalived/" + call.node.name + ".addon-services");
        if (read_file(path).find("opscode-pushy-server") == std::string::npos)
            write_file(path, "opscode-pushy-server\n");
    }
    std::cout << "Starting Chef Client, version 12.0.3\nConverging 64 resources\n" << addon << " Reconfigured!\n";
    return 0;
}

}  // namespace simchef
