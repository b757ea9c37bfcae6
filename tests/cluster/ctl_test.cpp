// chef-ha-upgrade-ctl as an operator and a script use it, against real daemons on loopback: the go/no-go plan
// without a daemon, the decisions that ask for a typed yes, watch --until, the JSON outputs (checked with jq),
// times in ISO 8601, and the bash completion of drop.
#include "cluster.hpp"
#include "require_cluster.hpp"

#include "core/wire.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <regex>
#include <thread>

using namespace chu::test;
using namespace std::chrono_literals;
using Catch::Contains;

namespace {

const std::string ctl_path = Cluster::build_dir() + "/daemon/ctl/chef-ha-upgrade-ctl";

// How a script or a cron job runs the ctl: stdin closed, or /dev/null; never a terminal.
enum class Stdin { closed, dev_null };

// Runs the ctl against `node`'s bus; its exit status, stdout and stderr together in `out`.
int ctl_without_terminal(const Cluster& c, const std::string& node, const std::vector<std::string>& args, Stdin in,
                         std::string* out)
{
    std::vector<std::string> argv{ctl_path};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv;
    for (auto& a : argv)
        cargv.push_back(a.data());
    cargv.push_back(nullptr);
    std::string bus = "DBUS_SYSTEM_BUS_ADDRESS=" + c.bus_address_of(node), path = "PATH=/usr/bin:/bin", lang = "LANG=C.UTF-8";
    char* envp[] = {bus.data(), path.data(), lang.data(), nullptr};
    const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int pipefd[2];
    REQUIRE(null_fd >= 0);
    REQUIRE(pipe2(pipefd, O_CLOEXEC) == 0);
    const pid_t pid = fork();
    if (pid == 0) {  // only async-signal-safe calls: the test has threads
        dup2(pipefd[1], 1);
        dup2(pipefd[1], 2);
        if (in == Stdin::closed)
            close(0);
        else
            dup2(null_fd, 0);
        execve(cargv[0], cargv.data(), envp);
        _exit(127);
    }
    close(pipefd[1]);
    close(null_fd);
    std::string text;
    char buf[4096];
    for (ssize_t n; (n = read(pipefd[0], buf, sizeof buf)) != 0;)
        if (n > 0)
            text.append(buf, static_cast<std::size_t>(n));
        else if (errno != EINTR)
            break;
    close(pipefd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    *out = text;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// jq -e FILTER over `json`, written beside the world; true when the filter holds.
bool jq(const Cluster& c, const std::string& json, const std::string& filter)
{
    const std::string file = c.world() + "/checked.json";
    std::ofstream(file, std::ios::trunc) << json;
    std::string said;
    const bool held = run_program({"/usr/bin/jq", "-e", filter, file}, {}, &said) == 0;
    if (!held)
        UNSCOPED_INFO("jq " << filter << " said: " << said << "\nover: " << json);
    return held;
}

const std::regex iso_time(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d)");

bool has_iso_time(const std::string& text)
{
    return std::regex_search(text, iso_time);
}

// The bash completion's candidates for `line` (its last word being completed), with bash-completion's own
// helpers stubbed: what the script adds is under test, not the package it runs under.
std::string complete(const Cluster& c, const std::string& node, const std::string& line)
{
    const std::string script = "_init_completion() { words=(\"${COMP_WORDS[@]}\"); cword=$COMP_CWORD; "
                               "cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}; }\n"
                               "_filedir() { :; }\n"
                               "source " +
                               Cluster::source_dir() +
                               "/packaging/bash-completion/chef-ha-upgrade-ctl\n"
                               "COMP_WORDS=(" +
                               line +
                               ")\nCOMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n"
                               "_chef_ha_upgrade_ctl\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n";
    std::string out;
    CHECK(run_program(
              {"/bin/bash", "-c", script},
              {"PATH=" + Cluster::build_dir() + "/daemon/ctl:/usr/bin:/bin", "DBUS_SYSTEM_BUS_ADDRESS=" + c.bus_address_of(node)},
              &out) == 0);
    return out;
}

}  // namespace

TEST_CASE("with no daemon running, plan and check-config read the configuration, as text and as JSON, and a bad one "
          "exits 78",
          "[cluster][ctl]")
{
    Cluster c({});  // buses, no daemons
    const std::string be2 = "be2.example.com", config = c.config_of(be2);

    std::string plan;
    REQUIRE(c.ctl(be2, {"plan", "--config", config}, &plan) == 0);
    INFO(plan);
    CHECK_THAT(plan, Contains("the plan from " + config));
    CHECK_THAT(plan, Contains("versions on this node: installed 11.1.8 → package 12.0.8-1 (chef-server-core)"));
    CHECK_THAT(plan, Contains("downtime:  phase 3 (stop frontends) to phase 11 (start the bootstrap and the frontends)"));
    CHECK_THAT(plan, Contains("* phase 3: stop frontends") && Contains("  phase 2: reconfigure"));
    for (const auto& n : c.nodes())
        CHECK_THAT(plan, Contains(n.name));

    REQUIRE(c.ctl(be2, {"plan", "--json", "--config", config}, &plan) == 0);
    CHECK(jq(c, plan,
             ".source == \"config\" and .config == \"" + config +
                 "\" and ([.steps[].node] | unique | length) == 4 and "
                 "([.steps[] | select(.downtime) | .phase] | min) == 3 and ([.steps[] | select(.downtime) | .phase] | max) == 11 "
                 "and ([.steps[] | select(.step == \"upgrade-bootstrap\") | .node] == [\"be1.example.com\"]) and "
                 "all(.steps[]; has(\"phase_title\") and has(\"role\") and has(\"action\") and has(\"condition\"))"));

    // Without --config and with no daemon, plan reads the default configuration: never "not running".
    std::string fallback;
    CHECK(c.ctl(be2, {"plan"}, &fallback) != 3);
    CHECK_THAT(fallback, Contains("/etc/chef-ha-upgrade/chef-ha-upgrade.conf"));

    std::string checked;
    REQUIRE(c.ctl(be2, {"check-config", "--json", "--config", config}, &checked) == 0);
    CHECK(jq(c, checked,
             ".valid and .node.name == \"be2.example.com\" and .node.role == \"secondary\" and .leader == \"be1.example.com\" "
             "and .topology.frontends == 2 and .plan.name == \"chef-server-12\" and .plan.last_phase == 13 and "
             "(.versions | startswith(\"installed 11.1.8\")) and .insecure == false and (.schedule | length) > 0 and "
             "([.schedule[] | select(.downtime) | .phase] | min) == 4"));

    const std::string bad = c.world() + "/bad.conf";
    std::ofstream(bad) << "[upgrade]\nbogus = 1\n";
    REQUIRE(c.ctl(be2, {"check-config", "--json", "--config", bad}, &checked) == 78);
    const std::string json_only = checked.substr(checked.find("{\"valid\""));  // after stderr's message
    CHECK(jq(c, json_only, ".valid == false and .config == \"" + bad + "\" and (.error | test(\"bogus\"))"));
    CHECK(c.ctl(be2, {"plan", "--config", bad}, &checked) == 78);
    CHECK_THAT(checked, Contains("bogus"));

    // Every verb that needs the daemon says where to look, with sudo.
    std::string status;
    CHECK(c.ctl(be2, {"status"}, &status) == 3);
    CHECK_THAT(status, Contains("not running on this node") && Contains("sudo systemctl status chef-ha-upgrade") &&
                           Contains("sudo journalctl -u chef-ha-upgrade"));

    // watch --until takes every state the daemon publishes, and nothing else.
    for (int s = 0; s <= static_cast<int>(chu::last_state); ++s) {
        const std::string state = chu::state_name(static_cast<chu::State>(s));
        if (state == "lost")
            continue;  // a peer's state only, never the cluster's
        std::string out;
        INFO(state);
        CHECK(c.ctl(be2, {"watch", "--until", state}, &out) == 3);  // accepted; no daemon to watch
    }
    CHECK(c.ctl(be2, {"watch", "--until", "finished"}, &status) == 2);
    CHECK_THAT(status, Contains("there is no state finished"));
    CHECK(c.ctl(be2, {"watch", "--until"}, &status) == 2);
}

TEST_CASE("logs shows a failed step's output from another node; abort, skip and approve say what they will do and need "
          "--yes without a terminal, watch --until failed exits "
          "10, and report --json and events carry the times",
          "[cluster][ctl]")
{
    ClusterSpec spec;
    spec.retries = 0;
    Cluster c(spec);
    const std::string leader = c.leader(), fe1 = "fe1.example.com", be2 = "be2.example.com";
    c.add_fault("fe2.example.com fail 1 chef-server-ctl upgrade");  // phase 10, inside the downtime window
    c.start_all();
    REQUIRE_CLUSTER(c, c.wait_for([&] { return c.view(fe1).reachable; }, 30s));

    int watch_status = -1;
    std::string watched;
    struct Joined {  // joined whatever happens, before the cluster is torn down
        std::thread thread;
        ~Joined() { thread.join(); }
    } watcher{std::thread([&] {
        watch_status = run_program({"/usr/bin/timeout", "120", ctl_path, "watch", "--until", "failed", "awaiting-approval"},
                                   {"DBUS_SYSTEM_BUS_ADDRESS=" + c.bus_address_of(fe1)}, &watched);
    })};
    REQUIRE_CLUSTER(c, c.wait_for_state(leader, "failed", 120s));
    watcher.thread.join();
    watcher.thread = std::thread([] {});
    CHECK(watch_status == 10);
    CHECK_THAT(watched, Contains("the upgrade is failed"));
    REQUIRE_CLUSTER(c, c.wait_for_state(fe1, "failed", 10s));
    std::string out;

    // The failed command's whole output, one command away from another node.
    std::string logs;
    CHECK(c.ctl(fe1, {"logs", "fe2.example.com"}, &logs) == 0);
    CHECK_THAT(logs, Contains("==> fe2.example.com: output/10-upgrade-frontend.log <==") && Contains("==== ") &&
                         Contains("chef-server-ctl upgrade"));
    std::string same;
    CHECK(c.ctl(be2, {"logs", "fe2.example.com", "--step", "upgrade-frontend"}, &same) == 0);
    CHECK(same == logs);
    CHECK(c.ctl(fe1, {"logs", "fe2.example.com", "--step", "cleanup"}, &out) == 1);
    CHECK_THAT(out, Contains("fe2.example.com has no output file of step cleanup yet"));

    // No terminal: nothing is decided, and the refusal says what it would have done and names --yes.
    CHECK(ctl_without_terminal(c, fe1, {"abort"}, Stdin::closed, &out) == 2);
    CHECK_THAT(out, Contains("Chef has been down since ") && Contains("add --yes"));
    CHECK(has_iso_time(out));
    CHECK(ctl_without_terminal(c, fe1, {"skip"}, Stdin::dev_null, &out) == 2);
    CHECK_THAT(out, Contains("Failed on: fe2.example.com") && Contains("step upgrade-frontend") && Contains("add --yes"));
    CHECK(c.view(leader).state == "failed");
    CHECK(ctl_without_terminal(c, leader, {"retry"}, Stdin::closed, &out) == 0);  // retry asks nothing

    REQUIRE_CLUSTER(c, c.wait_for_state(leader, "awaiting-approval", 60s));
    for (const auto& n : c.nodes())
        REQUIRE_CLUSTER(c, c.wait_for_state(n.name, "awaiting-approval", 10s));
    CHECK(ctl_without_terminal(c, leader, {"approve"}, Stdin::closed, &out) == 2);
    CHECK_THAT(out, Contains("What verify found (phase 12") && Contains("ha-status") && Contains("add --yes"));
    CHECK(ctl_without_terminal(c, fe1, {"approve"}, Stdin::dev_null, &out) == 2);
    CHECK_THAT(out, Contains("sudo chef-ha-upgrade-ctl report on be1.example.com"));
    CHECK(c.view(leader).state == "awaiting-approval");
    c.approve(fe1);  // --yes
    for (const auto& n : c.nodes())
        REQUIRE_CLUSTER(c, c.wait_for_state(n.name, "complete", 60s));
    CHECK(ctl_without_terminal(c, leader, {"abort", "--yes"}, Stdin::closed, &out) == 1);  // asked nothing: the leader says no
    CHECK_THAT(out, Contains("nothing to abort"));

    // Complete ends any watch, whatever it waits for.
    CHECK(c.ctl(fe1, {"watch", "--until", "failed"}, &out) == 0);

    std::string report;
    REQUIRE(c.ctl(leader, {"report", "--json"}, &report) == 0);
    CHECK(jq(c, report,
             ".state == \"complete\" and .finished and .rehearsal == false and (.nodes | length) == 4 and "
             ".downtime_start_usec > 0 and .downtime_end_usec > .downtime_start_usec and .from_usec <= .downtime_start_usec and "
             "([.timeline[] | select(.outcome == \"failed\") | [.node, .step]] == [[\"fe2.example.com\", \"upgrade-frontend\"]]) "
             "and all(.timeline[]; .finished_usec >= .started_usec and (.phase_title | length) > 0)"));
    REQUIRE(c.ctl(leader, {"report"}, &report) == 0);
    CHECK(has_iso_time(report));
    std::string events;
    REQUIRE(c.ctl(fe1, {"events", "--since-start"}, &events) == 0);
    CHECK(std::regex_search(events, std::regex(R"((^|\n)\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d  joined )")));
    std::string plan;
    REQUIRE(c.ctl(fe1, {"plan", "--json"}, &plan) == 0);
    CHECK(jq(c, plan, ".source == \"daemon\" and .config == \"\" and (.steps | length) > 0"));

    // drop completes the frontends the daemon knows; watch --until the states.
    const std::string dropped = complete(c, leader, "chef-ha-upgrade-ctl drop ''");
    CHECK(dropped == "fe1.example.com\nfe2.example.com\n");
    CHECK(complete(c, leader, "chef-ha-upgrade-ctl logs ''") ==
          "be1.example.com\nbe2.example.com\nfe1.example.com\nfe2.example.com\n");
    CHECK(complete(c, leader, "chef-ha-upgrade-ctl logs fe1.example.com --") == "--help\n--step\n--follow\n");
    CHECK(complete(c, leader, "chef-ha-upgrade-ctl watch --until failed aw") == "awaiting-approval\n");
    CHECK(complete(c, leader, "chef-ha-upgrade-ctl approve --") == "--help\n--yes\n");

    std::string verdict;
    CHECK(c.verify({"--approval", "--complete"}, &verdict));
    INFO(verdict);
}
