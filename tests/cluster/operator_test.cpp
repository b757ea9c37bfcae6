// The operator at 2 a.m., with real daemons: a frontend killed for good reads lost on every node, with what the
// cluster waits for and the command that drops it; a slow step shows its time against the plan's expectation.
#include "cluster.hpp"
#include "require_cluster.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <string>
#include <vector>

using namespace chu::test;
using namespace std::chrono_literals;
using Catch::Contains;

namespace {

// Properties read with busctl on the node's bus, one line each ("s \"...\"").
std::string properties(const Cluster& c, const std::string& node, const std::vector<std::string>& names)
{
    std::vector<std::string> argv = {"/usr/bin/busctl", "get-property", "net.chefhaupgrade.Upgrade1",
                                     "/net/chefhaupgrade/Upgrade1", "net.chefhaupgrade.Upgrade1"};
    argv.insert(argv.end(), names.begin(), names.end());
    std::string out;
    const int status = run_program(argv, {"DBUS_SYSTEM_BUS_ADDRESS=" + c.bus_address_of(node)}, &out);
    INFO(out);
    CHECK(status == 0);
    return out;
}

bool has(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("a frontend killed for good reads lost on every node with the command that drops it, while the bootstrap's "
          "slow upgrade shows its time against the plan's",
          "[cluster][operator]")
{
    ClusterSpec spec;
    Cluster c(spec);
    const std::string be1 = "be1.example.com", fe1 = "fe1.example.com", fe2 = "fe2.example.com";
    // Long enough for the checks below; the plan expects up to 2 h of it (upgrade-bootstrap, timeout 7200).
    c.add_fault(be1 + " slow:9000 1 chef-server-ctl upgrade");
    c.start_all();
    REQUIRE_CLUSTER(c, c.wait_for([&] { return has(c.calls(), be1 + " bootstrap begin - chef-server-ctl upgrade"); }, 90s));

    // A slow step: how long it has run against the plan's expectation, on a follower (from the leader's beat) and
    // on the leader itself; RunningSteps has the same as data, and the downtime's end is estimated.
    std::string status;
    REQUIRE_CLUSTER(c, c.wait_for(
                           [&] {
                               c.ctl(fe1, {"status"}, &status);
                               return has(status, "; " + be1 + ": chef-server-ctl upgrade, ");
                           },
                           5s));
    CHECK_THAT(status, Contains(" s (expected ≤ 2 h)") && Contains("next:       nothing: the phase runs"));
    CHECK_THAT(c.view(be1).step, Contains("chef-server-ctl upgrade, ") && Contains(" s (expected ≤ 2 h)"));
    const std::string running = properties(c, fe1, {"RunningSteps", "DowntimeExpectedEndUSec"});
    CHECK_THAT(running, Contains("a(ssstt) 1 \"" + be1 + "\" \"upgrade-bootstrap\" \"chef-server-ctl upgrade\" ") &&
                            Contains(" 7200000000\n") && !Contains("\nt 0"));

    // A frontend killed for good: within the peer timeout (and a beat), every node reads it lost.
    const auto killed = std::chrono::steady_clock::now();
    c.kill9(fe2);
    REQUIRE_CLUSTER(c, c.wait_for(
                           [&] {
                               c.ctl(fe1, {"status"}, &status);
                               return has(status, "lost (not heard for");
                           },
                           std::chrono::milliseconds(spec.peer_timeout_ms) + 3s));
    const auto seen_after = std::chrono::steady_clock::now() - killed;
    CHECK(seen_after < std::chrono::milliseconds(spec.peer_timeout_ms) + 1500ms);
    INFO(status);
    CHECK_THAT(status, Contains(fe2 + "  frontend   lost (not heard for "));  // ROLE is as wide as "bootstrap"
    CHECK_THAT(status, Contains("% done; waiting for " + fe2 + " (lost)"));
    CHECK_THAT(status, Contains("last error: waiting for " + fe2 + " (frontend, lost: not heard for ") &&
                           Contains("drop it from the upgrade: sudo chef-ha-upgrade-ctl drop " + fe2));
    CHECK_THAT(status, Contains("next:       waiting for " + fe2 +
                                " (lost): bring it back, or drop it: sudo "
                                "chef-ha-upgrade-ctl drop " +
                                fe2));
    CHECK_THAT(status, Contains("its end cannot be estimated while a node is lost"));
    CHECK_THAT(status, Contains("; " + be1 + ": chef-server-ctl upgrade, "));  // the upgrade runs on

    // The same on the leader and in every other form: D-Bus, status --json.
    for (const auto& node : {be1, fe1}) {
        const std::string bus = properties(c, node, {"LastError", "Next", "Peers", "DowntimeExpectedEndUSec"});
        CHECK_THAT(bus, Contains("sudo chef-ha-upgrade-ctl drop " + fe2) &&
                            Contains("s \"waiting for " + fe2 + " (lost): bring it back") &&
                            Contains("\"" + fe2 + "\" \"frontend\" \"lost\"") && Contains("\nt 0"));
    }
    std::string json;
    CHECK(c.ctl(fe1, {"status", "--json"}, &json) == 0);
    CHECK_THAT(json, Contains("\"next\":\"waiting for " + fe2 + " (lost)") &&
                         Contains("{\"name\":\"" + fe2 + "\",\"role\":\"frontend\",\"state\":\"lost\""));
}

namespace {

// `chef-ha-upgrade-ctl watch` in a tmux pane of its own server (a socket named for this process), as an
// operator runs it; screen() reads the pane as it is drawn. The server goes with the object.
class WatchPane {
public:
    WatchPane(const Cluster& c, const std::string& node) : socket_("chu-watch-" + std::to_string(getpid()))
    {
        const std::string command = "env DBUS_SYSTEM_BUS_ADDRESS=" + c.bus_address_of(node) + " " + Cluster::build_dir() +
                                    "/daemon/ctl/chef-ha-upgrade-ctl watch; echo \"watch exited $?\"; sleep 600";
        REQUIRE(tmux({"new-session", "-d", "-s", "watch", "-x", "160", "-y", "40", command}) == 0);
    }
    ~WatchPane() { tmux({"kill-server"}); }
    WatchPane(const WatchPane&) = delete;
    WatchPane& operator=(const WatchPane&) = delete;

    std::string screen() const
    {
        std::string out;
        tmux({"capture-pane", "-p", "-t", "watch"}, &out);
        return out;
    }

private:
    int tmux(std::vector<std::string> args, std::string* out = nullptr) const
    {
        args.insert(args.begin(), {"/usr/bin/tmux", "-L", socket_});
        std::string ignored;
        return run_program(args, {"TERM=xterm-256color", "HOME=/tmp"}, out ? out : &ignored);
    }

    std::string socket_;
};

}  // namespace

TEST_CASE("an operator watching in a terminal through a whole upgrade sees the lost frontend with the command that drops "
          "it, the running step's time against the plan's and what comes next, then the end",
          "[cluster][operator]")
{
    if (access("/usr/bin/tmux", X_OK) != 0)
        FAIL("tmux is missing (apt-get install tmux): the test reads the operator's screen through it");
    ClusterSpec spec;
    Cluster c(spec);
    const std::string be1 = "be1.example.com", fe1 = "fe1.example.com", fe2 = "fe2.example.com";
    c.add_fault(be1 + " slow:6000 1 chef-server-ctl upgrade");
    c.start_all();
    REQUIRE_CLUSTER(c, c.wait_for([&] { return c.view(fe1).reachable; }, 30s));
    WatchPane pane(c, fe1);
    REQUIRE_CLUSTER(c, c.wait_for([&] { return has(c.calls(), be1 + " bootstrap begin - chef-server-ctl upgrade"); }, 90s));
    c.kill9(fe2);

    std::string screen;
    const bool seen = c.wait_for(
        [&] {
            screen = pane.screen();
            return has(screen, "lost (not heard for") && has(screen, "next:       waiting for " + fe2);
        },
        std::chrono::milliseconds(spec.peer_timeout_ms) + 5s);
    INFO(screen);
    REQUIRE_CLUSTER(c, seen);
    CHECK_THAT(screen, Contains(fe2 + "  frontend   lost (not heard for "));
    CHECK_THAT(screen, Contains(be1 + ": chef-server-ctl upgrade, ") && Contains(" s (expected ≤ 2 h)"));
    CHECK_THAT(screen, Contains("or drop it: sudo chef-ha-upgrade-ctl drop " + fe2));

    // The operator does what the screen says, and approves at the gate.
    std::string out;
    REQUIRE(c.ctl(fe1, {"drop", fe2, "--yes"}, &out) == 0);
    REQUIRE_CLUSTER(c, c.wait_for_state(c.leader(), "awaiting-approval", 120s));
    c.approve(fe1);
    const bool ended = c.wait_for(
        [&] {
            screen = pane.screen();
            return has(screen, "watch exited");
        },
        60s);
    INFO(screen);
    REQUIRE_CLUSTER(c, ended);
    CHECK_THAT(screen, Contains("cluster:    complete") && Contains(fe2 + "  frontend   dropped") && Contains("watch exited 0"));
}
