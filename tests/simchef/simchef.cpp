// chu-simchef: a simulated Chef Server HA node, standing in for the real Chef commands in the integration
// tests, the demo and the container test. It keeps real state in files, logs every call, behaves like the
// real commands and refuses what a real node would break on. `verify` checks a run against the runbooks.
//
// As a Chef command. NODE/bin holds symlinks to this binary; the link's name is the personality:
// private-chef-ctl, chef-server-ctl (made by installing a 12 package), dpkg, dpkg-deb, rpm, opscode-manage-ctl,
// opscode-push-jobs-server-ctl, opscode-reporting-ctl (made by `chef-server-ctl install NAME`).
// NODE = dirname(dirname(argv[0])), the link itself, never its target: the daemon runs commands with a fixed
// environment, so argv[0] must be the full path. NODE/simchef.ini describes the node (no ini: exit 127).
// When NODE has no simchef.ini and argv[0] is a symlink to an absolute NODE2/bin/<command> (the container
// test's /usr/bin/chef-server-ctl -> /opt/opscode/bin/chef-server-ctl, as Chef installs it), NODE2 is the node.
//
// As itself:
//   chu-simchef init --node-dir D --name N --role bootstrap|secondary|frontend --world W --opscode-dir O
//                    --keepalived-dir K --upgrades-dir U --flavor ec11|cs12
//                    [--master bootstrap|secondary] [--migration-level TEXT]
//   chu-simchef make-package PATH.deb|PATH.rpm --version V
//   chu-simchef verify --world W --plan chef-server-12|enterprise-chef-11
//                      [--approval] [--allow-reruns] [--complete] [--dropped NODE,...]
//   --dropped: frontends the operator dropped, gone for good: no rule asks them to have done anything.
//
// WORLD/calls.log, one line per event, fields separated by one blank:
//   <epoch ms> <node> <role> begin - <program> <args...>              a call started
//   <epoch ms> <node> <role> end <exit status> <program> <args...>    it ended (no end line: it was killed)
//   <epoch ms> <node> <role> note <key>=<value> <program> <args...>   a fact of the call still running:
//       installed=<version>              dpkg/rpm installed the package
//       upgraded=<version>               upgrade finished (or found nothing left to do)
//       opscode=same:<sha256>|differs    a secondary's or frontend's upgrade compared its /etc/opscode
//                                        with the bootstrap's upgraded one
//       cleanup=done                     cleanup finished (exit 1 with only the expected chef-mover error)
//       manage-secret=<digest>           the /etc/opscode-manage/secrets.rb a manage configure ran with
//       secrets=missing:<service.key>    a node not the bootstrap lacked a secret its release generates:
//                                        Chef's H/A guard said FATAL (no success, whatever the exit status)
// <program> is the basename. Arguments are as given; a blank, a control byte or a backslash in one is
// written \xHH. Lines are appended whole, under flock, with O_APPEND: their order is the order of events.
// WORLD/violations.log: "<epoch ms> <node> <role> <what> -- <program> <args...>" per violation.
//
// The other world files: WORLD/nodes ("<name> <role>" per node, by init), WORLD/id (the secrets' seed),
// WORLD/lock, WORLD/keepalived/{<node>.state,<node>.status,<node>.requested,master,failover},
// WORLD/keepalived_cycle (EC11's keepalived sequence so far), WORLD/bootstrap-opscode.sha256
// and WORLD/bootstrap-NAME.sha256 (the bootstrap's trees after its upgrade / add-on install), and, written by
// tests: faults ("<node> fail|hang|timeout|lose-secret|slow:<ms> <count> <program> [args prefix...]": fail
// exits 1, hang waits to be killed, timeout is the command's own timeout as the real one reports it,
// lose-secret takes the newest secret of the installed release out of the node's private-chef-secrets.json
// (a bad edit or restore) and runs the command, slow:<ms> waits, then runs the command; # comments; use counts
// kept in
// faults.used), delay_ms, failover_ms, flip_master_after_secondary_upgrade,
// secondary_upgrade_needs_keepalived_cycle, dpkg_debug_lines (default 100), approved (epoch ms).
// NODE/version-manifest.txt is the installed Chef's, as omnibus writes /opt/opscode/version-manifest.txt;
// NODE/opt/chef-server, when a test makes it, is an open source Chef 11 left on the node.
#include "opscode.hpp"
#include "simchef.hpp"
#include "world.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

namespace simchef {

namespace {

const char* const usage = "usage: chu-simchef init --node-dir D --name N --role bootstrap|secondary|frontend --world W\n"
                          "                        --opscode-dir O --keepalived-dir K --upgrades-dir U --flavor ec11|cs12\n"
                          "                        [--master bootstrap|secondary] [--migration-level TEXT]\n"
                          "       chu-simchef make-package PATH.deb|PATH.rpm --version V\n"
                          "       chu-simchef verify --world W --plan chef-server-12|enterprise-chef-11\n"
                          "                          [--approval] [--allow-reruns] [--complete] [--dropped NODE,...]\n"
                          "       NODE/bin/<chef command> ARGS...   (symlinks made by init)\n";

bool is_ctl(const std::string& program)
{
    return program == "private-chef-ctl" || program == "chef-server-ctl";
}

std::string addon_of(const std::string& program)
{
    for (const auto& name : addon_names())
        if (program == name + "-ctl")
            return name;
    return "";
}

std::string escape(const std::string& arg)
{
    static const char hex[] = "0123456789abcdef";
    std::string out;
    for (const unsigned char c : arg) {
        if (c <= ' ' || c == 0x7f || c == '\\')
            out += std::string("\\x") + hex[c >> 4] + hex[c & 15];
        else
            out += static_cast<char>(c);
    }
    return out;
}

// The commands the add-on phases run, which may follow the cleanup; a cleanup re-run is the same step again.
bool allowed_after_cleanup(const Call& call)
{
    if (!addon_of(call.program).empty())
        return true;
    const std::string verb = call.args.empty() ? "" : call.args[0];
    return verb == "install" || verb == "reconfigure" || verb == "cleanup";
}

int dispatch(Call& call)
{
    if (call.state.cleaned && !allowed_after_cleanup(call))
        call.violation("a command after the cleanup that is not an add-on command");
    if (call.program == "dpkg")
        return run_dpkg(call);
    if (call.program == "rpm")
        return run_rpm(call);
    if (is_ctl(call.program))
        return run_ctl(call);
    return run_addon_ctl(call, addon_of(call.program));
}

int run_command(const std::string& argv0, const std::string& program, const std::vector<std::string>& args)
{
    if (!is_ctl(program) && program != "dpkg" && program != "rpm" && program != "dpkg-deb" && addon_of(program).empty()) {
        std::cerr << program << ": command not found (chu-simchef does not play it)\n";
        return 127;
    }
    if (argv0.find('/') == std::string::npos) {
        std::cerr << program << ": chu-simchef finds its node from argv[0]: run it as NODE/bin/" << program << "\n";
        return 127;
    }
    std::string node_dir = dir_of(dir_of(argv0));
    // An installed layout, as Chef's packages make it: /usr/bin/chef-server-ctl is a symlink to
    // /opt/opscode/bin/chef-server-ctl. A command reached through such a link belongs to the link's target.
    char target[4096];
    const ssize_t n = readlink(argv0.c_str(), target, sizeof target);
    if (!exists(node_dir + "/simchef.ini") && n > 0 && target[0] == '/')
        node_dir = dir_of(dir_of(std::string(target, static_cast<std::size_t>(n))));
    if (!exists(node_dir + "/simchef.ini")) {
        std::cerr << program << ": not a simulated Chef node: " << node_dir
                  << "/simchef.ini is missing (write it with chu-simchef init)\n";
        return 127;
    }
    Call call(load_node(node_dir), program, args);
    // What the daemon asks a package before anything runs (dpkg-deb --field, rpm -qp) changes nothing and runs
    // beside anything: not logged, since the log is the runbook's commands.
    if (program == "dpkg-deb" || (program == "rpm" && !args.empty() && args[0] == "-qp")) {
        call.state = load_state(call.node);
        return program == "rpm" ? run_rpm(call) : run_dpkg_deb(call);
    }
    const World world(call.node.world);
    {
        FileLock lock(world.lock_path());
        keepalived::settle(world);  // a failover that fell due while no command ran
    }
    call.begin();
    // The daemon runs one step at a time per node: two commands at once is a bug a real node would not survive.
    FileLock busy(node_dir + "/state/busy", false);
    if (!busy.held()) {
        const int status = call.refuse("[ERROR] another command is running on " + call.node.name);
        call.end(status);
        return status;
    }
    call.state = load_state(call.node);
    sleep_ms(world.milliseconds("delay_ms"));
    std::string fault;
    {
        FileLock lock(world.lock_path());
        fault = world.take_fault(call.node.name, program, args);
    }
    if (fault == "hang") {
        std::cout << "(simulated hang: waiting to be killed)" << std::endl;
        for (;;)
            pause();
    }
    if (fault == "lose-secret")
        drop_secret(call.node, call.state.installed);
    if (starts_with(fault, "slow:")) {
        // A migration that takes longer than the plan expects, then finishes: the runbooks' upgrade "times
        // out" on big databases (partybus runs every migration, pg_upgrade copies the whole database).
        std::cout << "(simulated slow command: " << fault.substr(5) << " ms before it starts)" << std::endl;
        sleep_ms(std::atoll(fault.c_str() + 5));
    }
    int status = 2;
    try {
        status = fault == "fail"      ? call.fail("[ERROR] simulated failure")
                 : fault == "timeout" ? own_timeout(call)
                                      : dispatch(call);
    } catch (const Failure& e) {
        std::cerr << "chu-simchef: " << e.what() << "\n";  // still an end line: the call was not killed
    }
    std::cout.flush();
    call.end(status);
    return status;
}

int run_tool(const std::vector<std::string>& args)
{
    if (args.empty())
        throw Usage("a subcommand is needed");
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (args[0] == "init")
        return init_node(rest);
    if (args[0] == "make-package")
        return make_package(rest);
    if (args[0] == "verify")
        return verify(rest);
    throw Usage("unknown subcommand " + args[0]);
}

}  // namespace

Call::Call(Node node_, std::string program_, std::vector<std::string> args_)
    : node(std::move(node_)), program(std::move(program_)), args(std::move(args_))
{}

std::string Call::line(const std::string& kind, const std::string& status) const
{
    std::string out = std::to_string(now_ms()) + " " + node.name + " " + node.role + " " + kind + " " + status + " " + program;
    for (const auto& arg : args)
        out += " " + escape(arg);
    return out + "\n";
}

void Call::begin()
{
    append_line(node.world + "/calls.log", line("begin", "-"));
}

void Call::end(int status)
{
    append_line(node.world + "/calls.log", line("end", std::to_string(status)));
}

void Call::note(const std::string& fact)
{
    append_line(node.world + "/calls.log", line("note", fact));
}

void Call::violation(const std::string& what)
{
    std::string text = what;
    std::replace(text.begin(), text.end(), '\n', ' ');
    std::string call_text = program;
    for (const auto& arg : args)
        call_text += " " + escape(arg);
    append_line(node.world + "/violations.log",
                std::to_string(now_ms()) + " " + node.name + " " + node.role + " " + text + " -- " + call_text);
}

int Call::refuse(const std::string& message)
{
    violation(message);
    return fail(message);
}

int Call::fail(const std::string& message)
{
    std::cout.flush();
    std::cerr << message << std::endl;
    return 1;
}

void Call::link_command(const std::string& name) const
{
    char target[4096];
    const ssize_t n = readlink((node.dir + "/bin/" + program).c_str(), target, sizeof target);
    if (n <= 0)
        throw Failure(node.dir + "/bin/" + program + " is not a symlink to chu-simchef");
    replace_symlink(std::string(target, static_cast<std::size_t>(n)), node.dir + "/bin/" + name);
}

}  // namespace simchef

int main(int argc, char** argv)
{
    using namespace simchef;
    const std::string argv0 = argc > 0 ? argv[0] : "chu-simchef";
    const std::vector<std::string> args(argv + std::min(argc, 1), argv + argc);
    const std::string program = base_of(argv0);
    try {
        if (program == "chu-simchef")
            return run_tool(args);
        return run_command(argv0, program, args);
    } catch (const Usage& e) {
        std::cerr << "chu-simchef: " << e.what() << "\n" << usage;
        return 2;
    } catch (const Failure& e) {
        std::cerr << "chu-simchef: " << e.what() << "\n";
        return 2;
    }
}
