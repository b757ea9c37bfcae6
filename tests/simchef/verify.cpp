// `chu-simchef verify`: checks a run's calls.log and violations.log against the runbooks' ordering rules.
// One line per rule: "ok   RULE", or "FAIL RULE:" followed by the offending log lines, indented.
#include "simchef.hpp"
#include "world.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>

namespace simchef {

namespace {

constexpr std::size_t never = SIZE_MAX;

// One call as the log shows it. Positions are line numbers of calls.log: the order of events.
struct Logged {
    std::string node, role, program, command;  // command: the arguments as logged
    std::size_t begin = 0;
    std::size_t end = never;  // a killed call (no end line) ended before the next call on its node began
    long long begin_ms = 0;
    int status = -1;  // -1: killed
    std::vector<std::string> facts;
    std::string begin_line, end_line;

    bool ctl() const { return program == "private-chef-ctl" || program == "chef-server-ctl"; }
    bool is(const std::string& args) const { return ctl() && command == args; }
    bool install() const { return program == "dpkg" || program == "rpm"; }
    bool upgrade() const { return is("upgrade"); }
    bool start() const { return is("start") || is("restart"); }
    // Exit 0 after Chef's H/A guard said FATAL (12.2-12.4's upgrade) is no success.
    bool ok() const { return status == 0 && !has("secrets=missing"); }
    bool has(const std::string& fact_prefix) const
    {
        return std::any_of(facts.begin(), facts.end(), [&](const auto& f) { return starts_with(f, fact_prefix); });
    }
    // cleanup is done when it exits 1 with only the chef-mover message, which it notes.
    bool succeeded() const { return ok() || (status >= 0 && has("cleanup=done")); }
};

struct Run {
    std::vector<Logged> calls;
    std::vector<std::pair<std::string, std::string>> nodes;  // name, role
    std::vector<std::string> violations, unreadable;
    std::map<std::string, std::size_t> cleanup_begin;  // node: where its first cleanup began
    std::string dropped;                               // NODE,...: gone for good, dropped by the operator

    bool was_dropped(const std::string& node) const { return ("," + dropped + ",").find("," + node + ",") != std::string::npos; }
};

// WORLD/gone, "<epoch ms> <node>" a line, is written by whoever kills a node for good (the fault
// matrix's drop): its command died with it, so a call of it that never ended ended then.
void end_calls_of_gone_nodes(Run& run, const World& world, const std::vector<long long>& stamps)
{
    std::istringstream gone(read_file(world.path("gone")));
    for (std::string line; std::getline(gone, line);) {
        const auto w = words(line);
        if (w.size() != 2)
            continue;
        const long long at = std::atoll(w[0].c_str());
        std::size_t moment = 1;
        while (moment < stamps.size() && stamps[moment] < at)
            ++moment;
        for (auto& c : run.calls)
            if (c.node == w[1] && c.end == never)
                c.end = std::max(moment, c.begin + 1);
    }
}

Run read_run(const World& world)
{
    Run run;
    std::map<std::string, std::vector<std::size_t>> open;  // per node, calls without an end line yet
    std::istringstream in(read_file(world.path("calls.log")));
    std::size_t number = 0;
    std::vector<long long> stamps{0};  // by line number: when it was logged
    for (std::string line; std::getline(in, line);) {
        ++number;
        const auto w = words(line);
        stamps.push_back(w.empty() ? 0 : std::atoll(w[0].c_str()));
        if (w.size() < 6 || (w[3] != "begin" && w[3] != "end" && w[3] != "note")) {
            run.unreadable.push_back(line);
            continue;
        }
        const std::string command = join({w.begin() + 6, w.end()});
        auto& mine = open[w[1]];
        if (w[3] == "begin") {
            Logged c;
            c.node = w[1];
            c.role = w[2];
            c.program = w[5];
            c.command = command;
            c.begin = number;
            c.begin_ms = std::atoll(w[0].c_str());
            c.begin_line = line;
            mine.push_back(run.calls.size());
            run.calls.push_back(c);
            continue;
        }
        const auto it = std::find_if(mine.rbegin(), mine.rend(), [&](std::size_t i) {
            return run.calls[i].program == w[5] && run.calls[i].command == command;
        });
        if (it == mine.rend()) {
            run.unreadable.push_back(line);
            continue;
        }
        Logged& c = run.calls[*it];
        if (w[3] == "note") {
            c.facts.push_back(w[4]);
            continue;
        }
        c.end = number;
        c.status = std::atoi(w[4].c_str());
        c.end_line = line;
        mine.erase(std::next(it).base());
    }
    // A killed call was gone before the next one on its node began: the sim refuses a call while one runs.
    for (auto& c : run.calls)
        for (const auto& d : run.calls)
            if (c.end == never && d.node == c.node && d.begin > c.begin) {
                c.end = d.begin;
                break;
            }
    end_calls_of_gone_nodes(run, world, stamps);
    for (const auto& c : run.calls)
        if (c.is("cleanup") && !run.cleanup_begin.count(c.node))
            run.cleanup_begin[c.node] = c.begin;
    std::istringstream violations(read_file(world.path("violations.log")));
    for (std::string line; std::getline(violations, line);)
        if (!trim(line).empty())
            run.violations.push_back(line);
    run.nodes = world.nodes();
    return run;
}

using Which = std::function<bool(const Logged&)>;

std::size_t first_begin(const Run& run, const Which& which)
{
    std::size_t first = never;
    for (const auto& c : run.calls)
        if (which(c))
            first = std::min(first, c.begin);
    return first;
}

// Where the first call that matches and succeeded ended.
std::size_t first_success_end(const Run& run, const Which& which)
{
    std::size_t first = never;
    for (const auto& c : run.calls)
        if (which(c) && c.ok())
            first = std::min(first, c.end);
    return first;
}

bool ended_before(const Logged& c, std::size_t moment)
{
    return c.end < moment;
}

// Commands of the add-on phases: install, NAME-ctl, and the reconfigures that follow the node's cleanup.
bool addon(const Run& run, const Logged& c)
{
    if (!c.ctl() && !c.install())
        return true;
    const auto cleanup = run.cleanup_begin.find(c.node);
    return starts_with(c.command, "install ") ||
           (c.is("reconfigure") && cleanup != run.cleanup_begin.end() && c.begin > cleanup->second);
}

class Report {
public:
    void rule(const std::string& name, const std::vector<std::string>& offending)
    {
        if (offending.empty()) {
            std::cout << "ok   " << name << "\n";
            return;
        }
        failed_ = true;
        std::cout << "FAIL " << name << ":\n";
        const std::size_t shown = std::min<std::size_t>(offending.size(), 24);
        for (std::size_t i = 0; i < shown; ++i)
            std::cout << "    " << offending[i] << "\n";
        if (shown < offending.size())
            std::cout << "    ... and " << offending.size() - shown << " more\n";
    }
    bool failed() const { return failed_; }

private:
    bool failed_ = false;
};

void add(std::vector<std::string>& out, const Logged& c)
{
    out.push_back(c.begin_line);
    out.push_back(c.end_line.empty() ? "    (never ended: killed)" : c.end_line);
}

// Every call that matches `which` ended before `moment`.
std::vector<std::string> all_ended_before(const Run& run, const Which& which, std::size_t moment)
{
    std::vector<std::string> out;
    for (const auto& c : run.calls)
        if (which(c) && !ended_before(c, moment))
            add(out, c);
    return out;
}

// Every registered node of `role` has a successful call matching `which` that ended before `moment`; a
// dropped node need not: it is gone, and its services with it (chu-simchef models the node, not the VM).
void each_did_before(std::vector<std::string>& out, const Run& run, const std::string& role, const Which& which,
                     std::size_t moment, const std::string& what)
{
    for (const auto& [name, r] : run.nodes) {
        if (r != role || run.was_dropped(name))
            continue;
        const std::string& node = name;  // clang (C++17) cannot capture a structured binding
        const bool done = std::any_of(run.calls.begin(), run.calls.end(), [&](const Logged& c) {
            return c.node == node && which(c) && c.ok() && ended_before(c, moment);
        });
        if (!done)
            out.push_back(name + ": " + what);
    }
}

std::vector<std::string> keepalived_stopped_on_secondary_before_install(const Run& run)
{
    const std::size_t first_install = first_begin(run, [](const Logged& c) { return c.install(); });
    const auto stop_keepalived = [](const Logged& c) { return c.is("stop keepalived"); };
    std::vector<std::string> out;
    for (const auto& c : run.calls)
        if (stop_keepalived(c) && c.role != "secondary")
            add(out, c);
    if (first_install == never)
        return out;
    for (const auto& c : run.calls)
        if (stop_keepalived(c) && c.role == "secondary" && c.begin < first_install && !ended_before(c, first_install))
            add(out, c);
    each_did_before(out, run, "secondary", stop_keepalived, first_install,
                    "keepalived not stopped before the first install began");
    return out;
}

// Each secondary's or frontend's upgrade that succeeded saw the bootstrap's upgraded /etc/opscode.
void opscode_copied(std::vector<std::string>& out, const Logged& c)
{
    if (c.ok() && !c.has("opscode=same"))
        add(out, c);
}

std::vector<std::string> cleanup_last(const Run& run)
{
    std::vector<std::string> out;
    std::vector<bool> shown(run.calls.size());
    for (const auto& cleanup : run.calls) {
        if (!cleanup.is("cleanup"))
            continue;
        for (std::size_t i = 0; i < run.calls.size(); ++i) {
            const Logged& c = run.calls[i];
            if (!c.is("cleanup") && !addon(run, c) && !ended_before(c, cleanup.begin) && !shown[i]) {
                shown[i] = true;
                add(out, c);
            }
        }
    }
    return out;
}

std::vector<std::string> cleanup_after_approval(const Run& run, const World& world)
{
    bool found = false;
    const std::string approved = trim(read_file(world.path("approved"), &found));
    if (!found)
        return {world.path("approved") + " is missing: nobody approved the cleanup"};
    std::vector<std::string> out;
    for (const auto& c : run.calls)
        if (c.is("cleanup") && c.begin_ms < std::atoll(approved.c_str()))
            add(out, c);
    return out;
}

std::vector<std::string> no_success_twice(const Run& run)
{
    std::map<std::string, std::vector<const Logged*>> successes;
    for (const auto& c : run.calls) {
        // Run twice by design: the keepalived fix sequence, a reconfigure per add-on, and manage's configure
        // again once one frontend's secrets.rb was copied to the others.
        const bool manage = c.program == "opscode-manage-ctl" || c.program == "chef-manage-ctl";
        const bool twice_by_design =
            c.is("stop keepalived") || c.is("restart keepalived") || (c.is("reconfigure") && addon(run, c)) || manage;
        if (c.succeeded() && !twice_by_design)
            successes[c.node + " " + c.program + " " + c.command].push_back(&c);
    }
    std::vector<std::string> out;
    for (const auto& [command, calls] : successes)
        if (calls.size() > 1)
            for (const Logged* c : calls)
                add(out, *c);
    return out;
}

// Every node upgraded and cleaned up, but those the operator dropped (gone for good, rebuilt afterwards);
// the bootstrap keepalived master and, on both backends, keepalived running (a cluster with its standby) and
// knowing every add-on service it must move.
std::vector<std::string> complete(const Run& run, const World& world)
{
    std::string version;
    for (const auto& c : run.calls)
        for (const auto& fact : c.facts)
            if (starts_with(fact, "installed=") && compare_versions(fact.substr(10), version) > 0)
                version = fact.substr(10);
    if (version.empty())
        return {"no package was installed anywhere"};
    std::vector<std::string> out;
    std::string bootstrap;
    for (const auto& [name, role] : run.nodes) {
        if (run.was_dropped(name))
            continue;
        const auto did = [&, name = name](const std::string& fact, bool need_ok) {
            return std::any_of(run.calls.begin(), run.calls.end(), [&](const Logged& c) {
                return c.node == name && c.status >= 0 && (c.ok() || !need_ok) &&
                       std::find(c.facts.begin(), c.facts.end(), fact) != c.facts.end();
            });
        };
        if (!did("installed=" + version, true))
            out.push_back(name + ": the package " + version + " was not installed");
        if (!did("upgraded=" + version, true))
            out.push_back(name + ": not upgraded to " + version);
        if (!did("cleanup=done", false))
            out.push_back(name + ": no cleanup finished");
        if (role == "bootstrap")
            bootstrap = name;
        if (role != "frontend" && !keepalived::is_up(world, name))
            out.push_back(name + ": keepalived is not running at the end: the cluster has no standby");
        const auto moved = words(read_file(world.path("keepalived/" + name + ".services")));
        for (const auto& service : words(read_file(world.path("keepalived/" + name + ".addon-services"))))
            if (std::find(moved.begin(), moved.end(), service) == moved.end())
                out.push_back(name + ": keepalived's scripts do not know " + service +
                              ": no chef-server-ctl reconfigure after the add-on's own");
    }
    // Every frontend's manage runs with one secrets.rb, the last configure after it came (install_server_ha_drbd).
    std::map<std::string, std::string> manage;  // frontend: the secret its last manage configure used
    for (const auto& c : run.calls)
        for (const auto& fact : c.facts)
            if (starts_with(fact, "manage-secret=") && c.ok() && !run.was_dropped(c.node))
                manage[c.node] = fact.substr(14);
    for (const auto& [node, secret] : manage)
        if (secret != manage.begin()->second)
            out.push_back(node + ": its manage runs with another /etc/opscode-manage/secrets.rb than " + manage.begin()->first +
                          "'s: copy one frontend's to the others, then reconfigure manage again");
    const std::string master = keepalived::master(world);
    if (master != bootstrap)
        out.push_back("keepalived master at the end: " + master + ", not the bootstrap " + bootstrap);
    return out;
}

void chef_server_12_rules(const Run& run, Report& report)
{
    const std::size_t first_install = first_begin(run, [](const Logged& c) { return c.install(); });
    const std::size_t first_stop = first_begin(run, [](const Logged& c) { return c.is("stop") || c.is("stop keepalived"); });

    report.rule("reconfigure-before-stop",
                all_ended_before(
                    run,
                    [&](const Logged& c) {
                        // Phase 2's reconfigures: those before the node's own install.
                        return c.is("reconfigure") &&
                               c.begin < first_begin(
                                             run, [&](const Logged& d) { return d.install() && d.node == c.node; });
                    },
                    first_stop));

    auto frontend_stop = [](const Logged& c) { return c.role == "frontend" && c.is("stop"); };
    auto stopped = all_ended_before(run, frontend_stop, first_install);
    if (first_install != never)
        each_did_before(stopped, run, "frontend", frontend_stop, first_install, "not stopped before the first install began");
    report.rule("frontends-stopped-before-install", stopped);

    report.rule("keepalived-stopped-on-secondary-before-install", keepalived_stopped_on_secondary_before_install(run));

    std::vector<std::string> bootstrap_stopped;
    for (const auto& u : run.calls) {
        if (u.role != "bootstrap" || !u.upgrade())
            continue;
        const std::size_t installed =
            first_success_end(run, [&](const Logged& c) { return c.role == "bootstrap" && c.install() && c.end < u.begin; });
        const bool stopped_after_install = std::any_of(run.calls.begin(), run.calls.end(), [&](const Logged& s) {
            return s.role == "bootstrap" && s.is("stop") && s.ok() && installed != never && s.begin > installed &&
                   s.end < u.begin;
        });
        if (!stopped_after_install)
            add(bootstrap_stopped, u);
    }
    report.rule("bootstrap-stopped-before-its-upgrade", bootstrap_stopped);

    const std::size_t bootstrap_upgraded =
        first_success_end(run, [](const Logged& c) { return c.role == "bootstrap" && c.upgrade(); });
    std::vector<std::string> upgraded_first;
    for (const auto& c : run.calls) {
        if (c.role == "bootstrap" || !c.upgrade())
            continue;
        if (c.begin < bootstrap_upgraded)
            add(upgraded_first, c);
        else
            opscode_copied(upgraded_first, c);
    }
    report.rule("bootstrap-upgraded-first-and-opscode-copied", upgraded_first);

    std::size_t last_upgrade_end = 0;
    for (const auto& c : run.calls)
        if (c.upgrade())
            last_upgrade_end = std::max(last_upgrade_end, c.end);
    std::vector<std::string> started;
    for (const auto& c : run.calls)
        if (c.start() && (c.role == "secondary" || (c.role == "frontend" && c.begin < last_upgrade_end)))
            add(started, c);
    report.rule("start-never-on-secondary-and-frontends-after-upgrades", started);
}

void enterprise_chef_11_rules(const Run& run, Report& report)
{
    const std::size_t secondary_keepalived_stopped =
        first_begin(run, [](const Logged& c) { return c.role == "secondary" && c.is("stop keepalived"); });
    auto frontend_stop = [](const Logged& c) { return c.role == "frontend" && c.is("stop"); };
    auto stopped = all_ended_before(run, frontend_stop, secondary_keepalived_stopped);
    if (secondary_keepalived_stopped != never)
        each_did_before(stopped, run, "frontend", frontend_stop, secondary_keepalived_stopped,
                        "not stopped before keepalived stopped on the secondary");
    report.rule("frontends-stopped-before-secondary-keepalived", stopped);

    report.rule("keepalived-stopped-on-secondary-before-install", keepalived_stopped_on_secondary_before_install(run));

    const std::size_t bootstrap_upgrade = first_begin(run, [](const Logged& c) { return c.role == "bootstrap" && c.upgrade(); });
    report.rule("installs-before-bootstrap-upgrade", all_ended_before(
                                                         run, [](const Logged& c) { return c.install(); }, bootstrap_upgrade));

    const std::size_t bootstrap_upgraded =
        first_success_end(run, [](const Logged& c) { return c.role == "bootstrap" && c.upgrade(); });
    std::vector<std::string> secondary;
    for (const auto& c : run.calls) {
        if (c.role != "secondary" || !c.upgrade())
            continue;
        if (c.begin < bootstrap_upgraded)
            add(secondary, c);
        else
            opscode_copied(secondary, c);
    }
    report.rule("bootstrap-upgraded-before-secondary-and-opscode-copied", secondary);

    const std::size_t secondary_upgraded =
        first_success_end(run, [](const Logged& c) { return c.role == "secondary" && c.upgrade(); });
    std::vector<std::string> frontends;
    for (const auto& c : run.calls) {
        if (c.role == "frontend" && c.upgrade()) {
            if (c.begin < secondary_upgraded)
                add(frontends, c);
            else
                opscode_copied(frontends, c);
        } else if (c.start()) {
            const std::size_t own_upgrade =
                first_success_end(run, [&](const Logged& u) { return u.node == c.node && u.upgrade(); });
            if (c.role != "frontend" || c.begin < own_upgrade)
                add(frontends, c);
        }
    }
    report.rule("frontends-upgraded-after-secondary-then-started", frontends);
}

}  // namespace

int verify(const std::vector<std::string>& args)
{
    const Options options = parse_options(args, {"world", "plan", "dropped"}, {"approval", "allow-reruns", "complete"});
    if (!options.positional.empty())
        throw Usage("verify takes options only, not \"" + options.positional[0] + "\"");
    const std::string plan = options.required("plan");
    if (plan != "chef-server-12" && plan != "enterprise-chef-11")
        throw Usage("--plan must be chef-server-12 or enterprise-chef-11");
    const World world(options.required("world"));
    if (!world.has("calls.log"))
        throw Failure(world.path("calls.log") + " is missing: nothing ran");
    Run run = read_run(world);
    if (options.values.count("dropped"))
        run.dropped = options.get("dropped");

    Report report;
    report.rule("log-readable", run.unreadable);
    if (plan == "chef-server-12")
        chef_server_12_rules(run, report);
    else
        enterprise_chef_11_rules(run, report);
    report.rule("cleanup-last", cleanup_last(run));
    if (options.flags.count("approval"))
        report.rule("cleanup-after-approval", cleanup_after_approval(run, world));
    report.rule("no-violations", run.violations);
    if (!options.flags.count("allow-reruns"))
        report.rule("no-success-twice", no_success_twice(run));
    if (options.flags.count("complete"))
        report.rule("complete", complete(run, world));
    return report.failed() ? 1 : 0;
}

}  // namespace simchef
