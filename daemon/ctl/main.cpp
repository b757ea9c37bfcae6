// chef-ha-upgrade-ctl: the operator's command for chef-ha-upgrade. Talks only to the local daemon, over
// D-Bus (net.chefhaupgrade.Upgrade1); on a follower, decisions are forwarded to the leader by the daemon.
#include "checks/package_facts.hpp"
#include "client.hpp"
#include "collect.hpp"
#include "logs.hpp"
#include "config/node_setup.hpp"
#include "gantt.hpp"
#include "text.hpp"
#include "views.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <tuple>
#include <unistd.h>
#include <vector>

using namespace chu::ctl;
using chu::Event;
using chu::EventKind;
using chu::LoadedSetup;
using chu::NodeSetup;

namespace {

struct Verb {
    const char* name;
    const char* usage;  // options after the verb
    const char* help;
};

const Verb verbs[] = {
    {"status", "[--json]",
     "Show the cluster: state, phase, progress, leader, downtime window and last error, then one line per node\n"
     "(role, state, phase, step, when the leader last heard from it).\n"
     "  --json   the same as one JSON object, for scripts"},
    {"watch", "[--until STATE...]",
     "Show the status and redraw it at every change (no polling) until the upgrade ends: exit 0 when it is\n"
     "complete, 1 when it was aborted (14 on a node that was dropped). A failed or paused cluster is shown and\n"
     "watched on: fix the cause, then retry, skip or abort from another terminal.\n"
     "  --until STATE...   also end when the cluster is in one of these states, with that state's exit status:\n"
     "                     complete 0, rehearsed 0, aborted 1, failed 10, stalled 11, awaiting-approval 12,\n"
     "                     paused 13, dropped 14, running 15, preflight 16, joining 17, idle 18"},
    {"events", "[--json] [--since-start]",
     "Follow the cluster's events as they happen, one line each (joined, phase-started, phase-complete,\n"
     "downtime-began, downtime-ended, step-failed, step-stalled, awaiting-approval, complete, aborted,\n"
     "node-lost, node-back, node-dropped, rehearsed), on any node, until the upgrade is complete or aborted (or a\n"
     "rehearsal done).\n"
     "  --json          one JSON object per line (the schema is in chef-ha-upgrade-ctl(8))\n"
     "  --since-start   first every event this node's daemon saw since it started"},
    {"preflight", "[--json]",
     "The preflight rehearsal's result, once it is done (chef-ha-upgrade-preflight.service started on every\n"
     "node: the cluster joins, runs the preflight checks everywhere and changes nothing): every node's every\n"
     "check, ok or the problem and its fix. Waits for the rehearsal to finish. Exit 0 when every check passed,\n"
     "1 when a problem was found. The table is kept by the leader; on another node it says what was found.\n"
     "  --json   the result as one JSON array of {node, check, title, verdict, text}"},
    {"plan", "[--json] [--config FILE]",
     "Dry run: every node's steps, phase by phase, and the downtime window (phases marked *: Chef does not\n"
     "serve). From the running daemon; when none runs (before the upgrade), from the configuration, as a\n"
     "start would load it: review it before sudo systemctl start chef-ha-upgrade.\n"
     "  --json          the plan as one JSON object (the schema is in chef-ha-upgrade-ctl(8))\n"
     "  --config FILE   read this configuration, not the daemon (default /etc/chef-ha-upgrade/chef-ha-upgrade.conf)"},
    {"start", "", "Start the upgrade (needed when [upgrade] auto_start = no)."},
    {"pause", "", "Pause the cluster: steps that run finish, no new step starts."},
    {"resume", "", "Resume a paused cluster."},
    {"retry", "", "Run the failed step again where it failed (or re-run a check the nodes disagreed on)."},
    {"skip", "[--force] [--yes]",
     "Count the failed step as done where it failed, after doing its work by hand (or accept a disagreement).\n"
     "Says what failed and asks you to type yes.\n"
     "  --force  skip a step whose plan names a risk in skipping it (the migration level); without it the\n"
     "           leader refuses and says the risk\n"
     "  --yes    do not ask (required when not run from a terminal)"},
    {"abort", "[--yes]",
     "Abort the upgrade: no further step starts on any node, and nothing is undone (while Chef is down, it\n"
     "stays down). Says since when Chef is down and asks you to type yes.\n"
     "  --yes    do not ask (required when not run from a terminal)"},
    {"interrupt", "[--yes]",
     "End the stalled commands of the current step (a command that changes the cluster runs past its plan's\n"
     "timeout and is never killed by a timer): SIGTERM, then SIGKILL 10 s later, to its process group. The step\n"
     "then counts as failed: retry, skip or abort as usual. Asks you to type yes.\n"
     "  --yes    do not ask (required when not run from a terminal)"},
    {"drop", "NODE [--force] [--yes]",
     "Take a frontend that is gone for good out of the upgrade: no barrier waits for it from then on, and it\n"
     "shows as dropped. Only a frontend (the upgrade needs both backends), and only while the leader does not\n"
     "hear it. If it comes back, it runs nothing more and its daemon stops; rebuild it after the upgrade (see\n"
     "the README). Asks you to type yes.\n"
     "  --force  drop it although it is heard from (not while it runs a step)\n"
     "  --yes    do not ask (required when not run from a terminal)"},
    {"approve", "[--yes]",
     "At the cleanup gate (state awaiting-approval), approve the cleanup once you have checked the cluster:\n"
     "chef-server-ctl cleanup then removes the old release's data on every node. Says what verify found and\n"
     "asks you to type yes.\n"
     "  --yes    do not ask (required when not run from a terminal)"},
    {"report", "[--json] [--svg FILE]",
     "The upgrade's timeline: per node, every step with its outcome, start and duration, and the downtime\n"
     "window. Kept by the leader: run it on the bootstrap backend.\n"
     "  --json       the report as one JSON object (the schema is in chef-ha-upgrade-ctl(8))\n"
     "  --svg FILE   also write the timeline as a Gantt chart (SVG) to FILE"},
    {"collect", "FILE.tar.gz",
     "Gather a support bundle: for every node the mesh reaches, its journal decoded, its log for the upgrade,\n"
     "its config, plan, agreed topology, versions and state dir listing; the leader's timeline as text and\n"
     "SVG; and the list of nodes not reached, with why. Never the cluster key or private-chef-secrets.json.\n"
     "Needs the daemon running on this node (and on the others, to reach them). Root only; FILE must not\n"
     "exist. Exit status 1 when a node was not reached (the bundle is written)."},
    {"logs", "NODE [--step STEP] [-f]",
     "A step's whole output on NODE, from any node: the output file of STEP (default: the step that ran last\n"
     "there), every run of it, each after a ==== line. Fetched over the mesh as collect does (the last 8 MiB\n"
     "of each file). Needs the daemon running here and on NODE. Root only.\n"
     "  --step STEP    that step's output (its id in the plan, as status and the journal name it)\n"
     "  -f, --follow   then fetch it again every 2 s and print what was added, until interrupted"},
    {"check-config", "[--json] [--config FILE]",
     "Check this node's configuration, topology and plan (chef-ha-upgraded --check-config) and show what this\n"
     "node will run. Needs no daemon. Exits 0 when it loads, 78 with the problem (named with file and line).\n"
     "  --json          the same as one JSON object (the schema is in chef-ha-upgrade-ctl(8))\n"
     "  --config FILE   the configuration to check (default /etc/chef-ha-upgrade/chef-ha-upgrade.conf)"},
};

struct Decision {
    const char* verb;
    const char* method;
    const char* what;  // completes "only root may ..."
};

const Decision decisions[] = {
    {"pause", "Pause", "pause the upgrade"},
    {"resume", "Resume", "resume the upgrade"},
    {"retry", "Retry", "retry a step"},
    {"abort", "Abort", "abort the upgrade"},
    {"approve", "ApproveCleanup", "approve the cleanup"},
    {"interrupt", "Interrupt", "interrupt a command"},
};

void usage(std::FILE* out)
{
    std::fprintf(out, "usage: chef-ha-upgrade-ctl [--help | --version] COMMAND [OPTIONS]\n\n"
                      "Operates chef-ha-upgrade on this node; on any node, decisions go to the leader.\n\ncommands:\n");
    for (const Verb& v : verbs)
        std::fprintf(out, "  %-13s %s\n", v.name, v.usage);
    std::fprintf(out, "\nchef-ha-upgrade-ctl COMMAND --help describes a command. Exit status: 0 done, 1 refused or failed,\n"
                      "2 usage, 3 chef-ha-upgrade not running, 4 permission denied, 78 a configuration that does not load\n"
                      "(plan, check-config); watch --until: the state's (see chef-ha-upgrade-ctl(8)).\n");
}

void verb_help(const Verb& v)
{
    std::printf("usage: chef-ha-upgrade-ctl %s %s\n\n%s\n", v.name, v.usage, v.help);
}

int usage_error(const std::string& message)
{
    std::fprintf(stderr, "chef-ha-upgrade-ctl: %s\n", message.c_str());
    usage(stderr);
    return exit_usage;
}

// Every state the daemon publishes, with the exit status that ends `watch` in it (2-4 are the ctl's own).
struct StateExit {
    const char* state;
    int code;
};

const StateExit state_exits[] = {
    {"complete", 0}, {"rehearsed", 0}, {"aborted", 1},  {"failed", 10},    {"stalled", 11}, {"awaiting-approval", 12},
    {"paused", 13},  {"dropped", 14},  {"running", 15}, {"preflight", 16}, {"joining", 17}, {"idle", 18},
};

const StateExit* state_exit(const std::string& state)
{
    for (const StateExit& e : state_exits)
        if (state == e.state)
            return &e;
    return nullptr;
}

std::string state_names()
{
    std::string out;
    for (const StateExit& e : state_exits)
        out += (out.empty() ? "" : " ") + std::string(e.state);
    return out;
}

// Decisions that cannot be taken back say what they will do and ask for a typed yes first.
bool asks(const std::string& verb)
{
    return verb == "abort" || verb == "skip" || verb == "approve" || verb == "interrupt" || verb == "drop";
}

// What `verb` will do, from the cluster as it is now.
std::string consequence(const std::string& verb, const std::string& node)
{
    if (verb == "interrupt")
        return "Interrupt: end the stalled command(s) of the current step (SIGTERM, then SIGKILL 10 s later); the step then "
               "counts as failed. A half-run migration may need repair by hand before a retry.";
    if (verb == "drop")
        return "Drop " + node +
               " from the upgrade: no barrier waits for it from then on, and it takes no further part; "
               "this cannot be undone.";
    Client client;
    const Status s = client.status();
    if (verb == "abort")
        return abort_text(s, now_us());
    if (verb == "skip")
        return skip_text(s);
    std::vector<TimelineLine> timeline;
    bool here = true;
    try {
        timeline = client.timeline();
    } catch (const CtlError& e) {
        if (e.code == exit_denied)  // asked nothing of a user the bus would refuse
            throw CtlError(exit_denied, "only root may approve the cleanup: run it with sudo");
        here = false;  // a follower: the leader keeps the timeline
    }
    return approve_text(s, timeline, here);
}

// Says what `verb` will do and asks for a typed yes: exit_ok to go on. Never without a terminal: --yes is
// for scripts, so that nothing is decided by whatever happens to be on stdin.
int ask(const std::string& verb, const std::string& node)
{
    std::fprintf(stderr, "%s\n", consequence(verb, node).c_str());
    if (!isatty(STDIN_FILENO)) {
        std::fprintf(stderr,
                     "chef-ha-upgrade-ctl: nothing done: %s asks for a typed yes, and stdin is not a terminal; add --yes to go "
                     "on without asking\n",
                     verb.c_str());
        return exit_usage;
    }
    std::fprintf(stderr, "Type yes to go on: ");
    std::string line;
    if (!std::getline(std::cin, line) || line != "yes") {
        std::fprintf(stderr, "nothing done\n");
        return exit_refused;
    }
    return exit_ok;
}

// The configuration as a start would load it, for plan and check-config without a daemon.
LoadedSetup load(const std::string& config)
{
    auto loaded = chu::load_node_setup(config);
    if (!loaded) {
        if (geteuid() != 0)  // the cluster's key, at least, is root's
            throw CtlError(exit_denied, loaded.error().message + " (run it with sudo: the configuration is root's)");
        throw CtlError(exit_config, loaded.error().message);
    }
    chu::read_package_facts(loaded->setup.config, loaded->setup.facts);
    return std::move(loaded.value());
}

int check_config(const std::string& config, bool json)
{
    if (json) {
        const std::string path = config.empty() ? default_config : config;
        auto loaded = chu::load_node_setup(path);
        if (!loaded) {
            std::fputs(config_error_json(path, loaded.error().message).c_str(), stdout);
            std::fprintf(stderr, "chef-ha-upgrade-ctl: %s\n", loaded.error().message.c_str());
            return exit_config;
        }
        chu::read_package_facts(loaded->setup.config, loaded->setup.facts);
        std::fputs(check_config_json(loaded.value(), path).c_str(), stdout);
        return exit_ok;
    }
    std::vector<const char*> argv{CHU_DAEMON_PATH, "--check-config"};
    if (!config.empty()) {
        argv.push_back("--config");
        argv.push_back(config.c_str());
    }
    argv.push_back(nullptr);
    execv(CHU_DAEMON_PATH, const_cast<char* const*>(argv.data()));
    std::fprintf(stderr, "chef-ha-upgrade-ctl: cannot run %s: %s\n", CHU_DAEMON_PATH, std::strerror(errno));
    return exit_refused;
}

// Every node's steps as GetPlan lists them (bus/bus_values.cpp, plan_entries), without a daemon: phase,
// step, then topology order, each resolved with this node's configuration and package.
std::vector<PlanLine> configured_plan(const NodeSetup& s)
{
    const std::vector<bool> in_downtime = chu::downtime_phases(s.plan);
    struct Item {
        int phase, step;
        std::size_t server;
        std::string action;
    };
    std::vector<Item> items;
    for (std::size_t i = 0; i < s.topology.servers.size(); ++i) {
        const chu::Server& server = s.topology.servers[i];
        auto schedule = chu::node_schedule(s.plan, server.role, s.config, s.facts);
        if (!schedule)
            throw CtlError(exit_config, "the plan cannot be resolved for " + server.name + ": " + schedule.error().message);
        for (const auto& step : schedule.value())
            items.push_back({step.phase, step.step, i, chu::describe(step.action)});
    }
    std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
        return std::tie(a.phase, a.step, a.server) < std::tie(b.phase, b.step, b.server);
    });
    std::vector<PlanLine> out;
    for (const auto& it : items) {
        const chu::Phase& ph = s.plan.phases[static_cast<std::size_t>(it.phase)];
        const chu::Step& st = ph.steps[static_cast<std::size_t>(it.step)];
        const chu::Server& server = s.topology.servers[it.server];
        out.push_back({it.phase, ph.title, bool(in_downtime[static_cast<std::size_t>(it.phase)]), server.name,
                       chu::role_name(server.role), st.id, it.action, chu::condition_text(st.when)});
    }
    return out;
}

// From the running daemon; without one (before the upgrade: the go/no-go), from the configuration.
int plan(bool json, std::string config)
{
    std::vector<PlanLine> lines;
    std::string versions;
    if (config.empty()) {
        try {
            Client client;
            versions = client.status().versions;
            lines = client.plan();
        } catch (const CtlError& e) {
            if (e.code != exit_not_running)
                throw;
            config = default_config;
        }
    }
    if (!config.empty()) {
        const LoadedSetup loaded = load(config);
        lines = configured_plan(loaded.setup);
        versions = chu::version_change(loaded.setup.facts);
    }
    if (json) {
        std::fputs(plan_json(lines, config.empty() ? "daemon" : "config", config, versions).c_str(), stdout);
        return exit_ok;
    }
    if (config.empty())
        std::printf("the plan of chef-ha-upgrade running on this node, as it loaded its configuration when it started\n");
    else
        std::printf("the plan from %s, as sudo systemctl start chef-ha-upgrade would run it (no daemon asked)\n", config.c_str());
    std::printf("versions on this node: %s\n", versions.c_str());
    std::fputs(plan_text(lines).c_str(), stdout);
    return exit_ok;
}

// The rehearsal's result where it is kept (its leader); nothing elsewhere.
std::vector<PreflightLine> preflight_of(Client& client, const Status& s)
{
    return s.rehearsal && s.node_name == s.leader ? client.preflight() : std::vector<PreflightLine>{};
}

bool finished(const Status& s)
{
    return s.state == "complete" || s.state == "aborted" || s.state == "rehearsed";
}

int preflight(bool json)
{
    try {
        Client().status();
    } catch (const CtlError& e) {
        if (e.code != exit_not_running)
            throw;
        throw CtlError(exit_not_running,
                       "no rehearsal runs on this node: sudo systemctl start chef-ha-upgrade-preflight (on every node)");
    }
    Client client;
    Status done;
    const bool tty = isatty(STDERR_FILENO);
    std::string shown;
    client.watch([&](const Status& s) {
        if (!s.rehearsal)
            throw CtlError(exit_refused, "this node runs the upgrade itself, not a preflight rehearsal (see "
                                         "chef-ha-upgrade-ctl status); a rehearsal is chef-ha-upgrade-preflight.service");
        const std::string line = "rehearsal: " + s.state + ", phase " + std::to_string(s.phase) + " " + s.phase_name;
        if (tty && line != shown && !finished(s))
            std::fprintf(stderr, "%s\n", line.c_str());
        shown = line;
        done = s;
        return !finished(s);
    });
    if (done.state == "aborted")
        throw CtlError(exit_refused, "the rehearsal was aborted: " + done.last_error);
    if (done.node_name != done.leader) {
        std::printf("%s\nthe table by node and check is kept by the leader %s: run sudo chef-ha-upgrade-ctl preflight there\n",
                    done.last_error.empty() ? "preflight rehearsal done: every check passed on every node"
                                            : ("preflight rehearsal done: " + done.last_error).c_str(),
                    done.leader.c_str());
        return done.last_error.empty() ? exit_ok : exit_refused;
    }
    const auto results = client.preflight();
    std::fputs(json ? (preflight_json(results) + "\n").c_str() : preflight_text(results, true).c_str(), stdout);
    const bool clean = std::none_of(results.begin(), results.end(), [](const PreflightLine& r) { return r.verdict != "ok"; });
    return clean ? exit_ok : exit_refused;
}

// Until the upgrade ends (complete, aborted, a rehearsal done, this node dropped) or reaches a state of `until`;
// exits with that state's status.
int watch(const std::vector<std::string>& until)
{
    Client client;
    int result = exit_ok;
    const bool tty = isatty(STDOUT_FILENO);
    client.watch([&](const Status& s) {
        // On a terminal the view is redrawn in place; in a log, each change follows the one before.
        std::printf("%s%s%s", tty ? "\033[H\033[J" : "", status_text(s, now_us()).c_str(), tty ? "" : "\n");
        std::fflush(stdout);
        const bool wanted = std::find(until.begin(), until.end(), s.state) != until.end();
        if (!finished(s) && s.state != "dropped" && !wanted)
            return true;
        std::printf("%s is %s\n", s.rehearsal ? "the rehearsal" : "the upgrade", s.state.c_str());
        const StateExit* e = state_exit(s.state);
        result = e ? e->code : exit_refused;
        return false;
    });
    return result;
}

int events(bool json, bool since_start)
{
    Client client;  // listening from here on: nothing falls between the replay and the live events
    const std::string source = client.status().node_name;
    bool ended = false;
    auto print = [&](const Event& e) {
        std::fputs(((json ? event_json(e, source) : event_text(e)) + "\n").c_str(), stdout);
        std::fflush(stdout);
        ended = e.kind == EventKind::complete || e.kind == EventKind::aborted || e.kind == EventKind::rehearsed;
        return !ended;
    };
    std::vector<Event> replayed;
    if (since_start)
        replayed = client.events();
    for (const Event& e : replayed)
        if (!print(e))
            return exit_ok;
    client.follow([&](const Event& e) {
        // A live event the replay already held: the same kind, node and moment.
        for (const Event& r : replayed)
            if (r.kind == e.kind && r.node == e.node && r.phase == e.phase && r.at_ms == e.at_ms)
                return true;
        return print(e);
    });
    return exit_ok;
}

int report(const std::string& svg_file, bool json)
{
    Client client;
    const auto timeline = client.timeline();
    const auto status = client.status();
    const auto plan = client.plan();
    const auto results = preflight_of(client, status);
    if (json) {
        std::fputs(report_json(status, plan, timeline, results).c_str(), stdout);
    } else {
        std::fputs(report_text(status, plan, timeline).c_str(), stdout);
        if (!results.empty())
            std::fputs(("\n" + preflight_text(results, status.state == "rehearsed")).c_str(), stdout);
    }
    if (svg_file.empty())
        return exit_ok;
    std::ofstream out(svg_file, std::ios::trunc);
    out << gantt_svg(status, plan, timeline);
    out.close();
    if (!out) {
        std::fprintf(stderr, "chef-ha-upgrade-ctl: cannot write %s: %s\n", svg_file.c_str(), std::strerror(errno));
        return exit_refused;
    }
    std::fprintf(json ? stderr : stdout, "\nGantt chart written to %s\n", svg_file.c_str());
    return exit_ok;
}

// The leader's answer to start, and when Chef will go down: the last moment to say no is before it.
int start()
{
    Client client;
    std::printf("%s\n", client.decide("Start", "start the upgrade").c_str());
    try {
        if (const std::string window = downtime_window(client.plan()); !window.empty())
            std::printf("downtime: %s: Chef's API stops serving when the first begins; follow it with "
                        "chef-ha-upgrade-ctl watch\n",
                        window.c_str());
    } catch (const CtlError&) {
        // started all the same; the plan is only what it says next
    }
    return exit_ok;
}

// A verb's options and operands.
struct Args {
    bool json = false, yes = false, since_start = false, force = false, follow = false;
    std::string svg, config, node, file, step;
    std::vector<std::string> until;
};

// Reads `args` into `out`; anything but parsed (-1) is the exit status (help shown, or a usage error).
int parse(const Verb& verb, const std::vector<std::string>& args, Args& out)
{
    const std::string name = verb.name;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        const bool has_value = i + 1 < args.size();
        if (a == "--help" || a == "-h") {
            verb_help(verb);
            return exit_ok;
        } else if ((name == "status" || name == "events" || name == "preflight" || name == "plan" || name == "report" ||
                    name == "check-config") &&
                   a == "--json") {
            out.json = true;
        } else if (name == "events" && a == "--since-start") {
            out.since_start = true;
        } else if (asks(name) && a == "--yes") {
            out.yes = true;
        } else if (name == "report" && a == "--svg" && has_value) {
            out.svg = args[++i];
        } else if ((name == "check-config" || name == "plan") && a == "--config" && has_value) {
            out.config = args[++i];
        } else if ((name == "drop" || name == "skip") && a == "--force") {
            out.force = true;
        } else if (name == "watch" && a == "--until") {
            const std::size_t before = out.until.size();
            for (; i + 1 < args.size() && !args[i + 1].empty() && args[i + 1][0] != '-'; ++i) {
                if (!state_exit(args[i + 1]))
                    return usage_error("watch --until: there is no state " + args[i + 1] + "; the states: " + state_names());
                out.until.push_back(args[i + 1]);
            }
            if (out.until.size() == before)
                return usage_error("watch --until needs one or more states: " + state_names());
        } else if (name == "collect" && out.file.empty() && !a.empty() && a[0] != '-') {
            out.file = a;
        } else if (name == "logs" && a == "--step" && has_value) {
            out.step = args[++i];
        } else if (name == "logs" && (a == "-f" || a == "--follow")) {
            out.follow = true;
        } else if ((name == "drop" || name == "logs") && out.node.empty() && !a.empty() && a[0] != '-') {
            out.node = a;
        } else {
            return usage_error("unexpected argument to " + name + ": " + a);
        }
    }
    return -1;
}

int run(const Verb& verb, const std::vector<std::string>& args)
{
    Args parsed;
    if (const int done = parse(verb, args, parsed); done >= 0)
        return done;
    const std::string& name = verb.name;
    if (name == "check-config")
        return check_config(parsed.config, parsed.json);
    if (name == "status") {
        Client client;
        const Status s = client.status();
        const auto results = preflight_of(client, s);
        std::fputs((parsed.json ? status_json(s, results) : status_text(s, now_us())).c_str(), stdout);
        if (!parsed.json && !results.empty())
            std::fputs(("\n" + preflight_text(results, s.state == "rehearsed")).c_str(), stdout);
        return exit_ok;
    }
    if (name == "preflight")
        return preflight(parsed.json);
    if (name == "watch")
        return watch(parsed.until);
    if (name == "events")
        return events(parsed.json, parsed.since_start);
    if (name == "plan")
        return plan(parsed.json, parsed.config);
    if (name == "report")
        return report(parsed.svg, parsed.json);
    if (name == "collect")
        return parsed.file.empty() ? usage_error("collect needs the file to write, e.g. support.tar.gz") : collect(parsed.file);
    if (name == "logs")
        return parsed.node.empty() ? usage_error("logs needs the node whose output to show, as the topology names it")
                                   : logs(parsed.node, parsed.step, parsed.follow);
    if (name == "start")
        return start();
    if (name == "drop" && parsed.node.empty())
        return usage_error("drop needs the node to drop, as the topology names it");
    if (asks(name) && !parsed.yes)
        if (const int asked = ask(name, parsed.node); asked != exit_ok)
            return asked;
    if (name == "drop") {
        std::printf("%s\n", Client().drop(parsed.node, parsed.force).c_str());
        return exit_ok;
    }
    if (name == "skip") {
        std::printf("%s\n", Client().skip(parsed.force).c_str());
        return exit_ok;
    }
    for (const Decision& d : decisions)
        if (name == d.verb) {
            std::printf("%s\n", Client().decide(d.method, d.what).c_str());
            return exit_ok;
        }
    return usage_error("unknown command " + name);
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc < 2)
        return usage_error("a command is needed");
    const std::string first = argv[1];
    if (first == "--help" || first == "-h" || first == "help") {
        usage(stdout);
        return exit_ok;
    }
    if (first == "--version") {
        std::printf("chef-ha-upgrade-ctl %s\n", CHU_VERSION);
        return exit_ok;
    }
    for (const Verb& verb : verbs)
        if (first == verb.name) {
            try {
                return run(verb, std::vector<std::string>(argv + 2, argv + argc));
            } catch (const CtlError& e) {
                std::fprintf(stderr, "chef-ha-upgrade-ctl: %s\n", e.what());
                return e.code;
            }
        }
    return usage_error("unknown command " + first);
}
