// Whole clusters of real daemons on loopback: real ZeroMQ (CURVE), real private D-Bus buses, real child
// processes, real journals; only the Chef commands are simulated (chu-simchef), and every run's call log is
// checked against the runbooks' ordering rules.
#include "cluster.hpp"
#include "require_cluster.hpp"

#include <catch2/catch.hpp>

#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

using namespace chu::test;
using namespace std::chrono_literals;

namespace {

void write_file(const std::string& path, const std::string& text)
{
    std::ofstream out(path, std::ios::trunc);
    out << text;
    REQUIRE(out.flush());
}

// Nothing but preflight's read-only `status keepalived` ran on any node.
bool only_reads(const std::string& calls)
{
    std::istringstream lines(calls);
    for (std::string line; std::getline(lines, line);)
        if (line.find(" status keepalived") == std::string::npos)
            return false;
    return true;
}

// Runs a started cluster through approval to the end and checks the runbook's rules.
void finish_and_verify(Cluster& c, std::vector<std::string> flags = {})
{
    REQUIRE_CLUSTER(c, c.wait_for_state(c.leader(), "awaiting-approval", 120s));
    for (const auto& n : c.nodes())
        REQUIRE_CLUSTER(c, c.wait_for_state(n.name, "awaiting-approval", 10s));
    c.approve(c.nodes().back().name);  // from a follower: carried to the leader
    for (const auto& n : c.nodes())
        REQUIRE_CLUSTER(c, c.wait_for_state(n.name, "complete", 60s));
    // Over: no node would start the service again at its next boot.
    for (const auto& n : c.nodes())
        CHECK(c.wait_for([&] { return access((n.dir + "/state/upgrade-underway").c_str(), F_OK) != 0; }, 10s));
    std::string report;
    flags.insert(flags.end(), {"--approval", "--complete"});
    const bool ok = c.verify(flags, &report);
    INFO(report);
    CHECK(ok);
}

}  // namespace

TEST_CASE("a 2+2 cluster upgrades to Chef Server 12 from .deb packages, keeping every runbook rule", "[cluster]")
{
    Cluster c({});
    c.start_all();
    finish_and_verify(c);  // --complete: keepalived runs on both backends at the end
    // 12.0.8's ha-status reports the mover and EC 11's services until cleanup on the master and exits 7
    // (chef/chef-server#361): expected.
    const std::string calls = c.calls();
    CHECK_THAT(calls, Catch::Contains("be1.example.com bootstrap end 7 chef-server-ctl ha-status"));
    const std::string log = c.daemon_log("be1.example.com");
    CHECK_THAT(log, Catch::Contains("exit status 7 with only expected messages"));
    CHECK_THAT(log, Catch::Contains("[ERROR] couchdb is not running correctly, and I am master."));
    // Nothing in Chef 12 starts the secondary's keepalived again: the plan does, after its upgrade.
    const auto upgraded = calls.find("be2.example.com secondary end 0 chef-server-ctl upgrade");
    CHECK(calls.find("be2.example.com secondary end 0 chef-server-ctl start keepalived", upgraded) != std::string::npos);
    CHECK_THAT(c.daemon_log("be2.example.com"), Catch::Contains("keepalived: backup"));
    CHECK_THAT(calls, Catch::Contains("be2.example.com secondary end 0 chef-server-ctl ha-status"));
    const View leader = c.view(c.leader());
    CHECK(leader.downtime_start_usec != 0);
    CHECK(leader.downtime_end_usec > leader.downtime_start_usec);
}

TEST_CASE("a 2+8 cluster upgrades to Chef Server 12 from .rpm packages, keeping every runbook rule", "[cluster]")
{
    ClusterSpec spec;
    spec.frontends = 8;
    spec.package_ext = ".rpm";
    Cluster c(spec);
    c.start_all();
    finish_and_verify(c);
}

TEST_CASE("a 2+2 cluster upgrades to Enterprise Chef 11 from .rpm packages, keeping every runbook rule", "[cluster]")
{
    ClusterSpec spec;
    spec.plan = "enterprise-chef-11";
    spec.package_ext = ".rpm";
    Cluster c(spec);
    c.start_all();
    finish_and_verify(c);
    // EC11 lists the mover and 1.4's services as down in status (exit 3, opscode-omnibus#480) and in
    // ha-status (exit 7), on the secondary too, until cleanup: expected.
    CHECK_THAT(c.calls(), Catch::Contains("be1.example.com bootstrap end 3 private-chef-ctl status") &&
                              Catch::Contains("be1.example.com bootstrap end 7 private-chef-ctl ha-status") &&
                              Catch::Contains("be2.example.com secondary end 7 private-chef-ctl ha-status") &&
                              Catch::Contains("fe1.example.com frontend end 3 private-chef-ctl status"));
    CHECK_THAT(c.daemon_log("be2.example.com"), Catch::Contains("[ERROR] nagios is not running."));
}

TEST_CASE("a 2+8 cluster upgrades to Enterprise Chef 11 from .deb packages, keeping every runbook rule", "[cluster]")
{
    ClusterSpec spec;
    spec.plan = "enterprise-chef-11";
    spec.frontends = 8;
    Cluster c(spec);
    c.start_all();
    finish_and_verify(c);
}

TEST_CASE("a cluster whose secondary holds the VIP at the start fails over to the bootstrap, waiting until it settles",
          "[cluster][keepalived]")
{
    ClusterSpec spec;
    spec.master = "secondary";  // stopping keepalived on the secondary "may trigger a failover" (seed 001)
    Cluster c(spec);
    write_file(c.world() + "/failover_ms", "1500\n");  // cluster.sh's transition takes a while
    c.start_all();
    finish_and_verify(c);
    const std::string log = c.daemon_log("be1.example.com");
    CHECK_THAT(log, Catch::Contains("waiting for be1.example.com to become keepalived master (in transition (requested "
                                    "master, current backup))"));
    CHECK_THAT(log, Catch::Contains("keepalived: master after"));
}

TEST_CASE("an Enterprise Chef 11 secondary whose upgrade fails upgrades after the runbook's keepalived sequence",
          "[cluster][keepalived]")
{
    ClusterSpec spec;
    spec.plan = "enterprise-chef-11";
    Cluster c(spec);
    write_file(c.world() + "/secondary_upgrade_needs_keepalived_cycle", "");
    c.start_all();
    finish_and_verify(c);
    // The first upgrade fails; stop on the secondary, restart on the bootstrap, restart on the secondary; again.
    const std::string calls = c.calls();
    const auto first = calls.find("be2.example.com secondary end 1 private-chef-ctl upgrade");
    const auto stop = calls.find("be2.example.com secondary end 0 private-chef-ctl stop keepalived", first);
    const auto bootstrap = calls.find("be1.example.com bootstrap end 0 private-chef-ctl restart keepalived", stop);
    const auto secondary = calls.find("be2.example.com secondary end 0 private-chef-ctl restart keepalived", bootstrap);
    const auto again = calls.find("be2.example.com secondary end 0 private-chef-ctl upgrade", secondary);
    CHECK(first != std::string::npos);
    CHECK(stop != std::string::npos);
    CHECK(bootstrap != std::string::npos);
    CHECK(secondary != std::string::npos);
    CHECK(again != std::string::npos);
}

TEST_CASE("the topology agreed at join is the one used after Chef moved private-chef.rb and a node restarted", "[cluster][crash]")
{
    Cluster c({});
    c.start_all();
    const std::string opscode = c.node("fe1.example.com").dir + "/etc/opscode";
    // Chef Server 12's first reconfigure moves private-chef.rb to chef-server.rb and leaves a link
    // (recipes/default.rb); fe1 got the bootstrap's moved tree in the copy, then upgraded.
    // Past the frontends' upgrade on the leader: fe1 journaled its upgrade's end before it reported it, so
    // the restart does not run the upgrade again (over the half-edited file below, it would be refused).
    REQUIRE_CLUSTER(
        c,
        c.wait_for([&] { return c.calls().find("fe1.example.com frontend end 0 chef-server-ctl upgrade") != std::string::npos; },
                   60s));
    REQUIRE_CLUSTER(c, c.wait_for([&] { return c.view(c.leader()).phase >= 11; }, 60s));
    struct stat st {};
    REQUIRE(lstat((opscode + "/private-chef.rb").c_str(), &st) == 0);
    CHECK(S_ISLNK(st.st_mode));
    c.kill9("fe1.example.com");
    // An operator's edit, half done: read now, it would not even parse.
    write_file(opscode + "/chef-server.rb", "topology \"ha\"\n# being edited\n");
    c.start("fe1.example.com");
    finish_and_verify(c, {"--allow-reruns"});
    std::string shown;
    REQUIRE(run_program(
                {Cluster::build_dir() + "/daemon/chef-ha-upgraded", "--check-config", "--config", c.config_of("fe1.example.com")},
                {}, &shown) == 0);
    CHECK_THAT(shown, Catch::Contains("/state/topology.rb (2 backends, 2 frontends), as kept when the cluster joined"));
}

TEST_CASE("add-ons install after the cleanup, the bootstrap first, its configuration copied to the others", "[cluster][addons]")
{
    ClusterSpec spec;
    spec.addons = "opscode-push-jobs-server, opscode-manage";
    Cluster c(spec);
    c.start_all();
    finish_and_verify(c);
    const std::string calls = c.calls();
    const auto bootstrap_install = calls.find("be1.example.com bootstrap end 0 chef-server-ctl install opscode-push-jobs-server");
    const auto other_install = calls.find("fe1.example.com frontend begin - chef-server-ctl install opscode-push-jobs-server");
    CHECK(bootstrap_install != std::string::npos);
    CHECK(other_install > bootstrap_install);
    CHECK(calls.find("be2.example.com secondary begin - chef-server-ctl install opscode-manage") == std::string::npos);
    CHECK(calls.find("fe2.example.com frontend end 0 chef-server-ctl install opscode-manage") != std::string::npos);
    // Each backend reconfigures Chef again after push jobs' own reconfigure ran everywhere, so that keepalived's
    // scripts know opscode-pushy-server (verify --complete checks they do).
    const auto pushy = calls.rfind("end 0 opscode-push-jobs-server-ctl reconfigure");
    for (const char* backend : {"be1.example.com bootstrap", "be2.example.com secondary"})
        CHECK(calls.find(std::string(backend) + " end 0 chef-server-ctl reconfigure", pushy) != std::string::npos);
    // Manage's secrets.rb, made by each frontend's configure, comes from the first frontend to every other,
    // relayed by the leader; each configures manage again (verify --complete checks they run with one secret).
    CHECK_THAT(c.daemon_log(c.leader()), Catch::Contains("relaying the archive of copy-opscode-manage from fe1.example.com ("));
    const auto secrets = [&](const char* node) {
        std::ifstream in(c.node(node).dir + "/etc/opscode-manage/secrets.rb");
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    };
    CHECK_THAT(secrets("fe1.example.com"), Catch::Contains("manage-fe1.example.com-"));
    CHECK(secrets("fe2.example.com") == secrets("fe1.example.com"));
    const auto again = calls.find("fe2.example.com frontend end 0 opscode-manage-ctl reconfigure");
    CHECK(calls.find("fe2.example.com frontend end 0 opscode-manage-ctl reconfigure", again + 1) != std::string::npos);
}

TEST_CASE("an upgrade running past its timeout is not killed: it shows as stalled everywhere, then completes",
          "[cluster][faults]")
{
    ClusterSpec spec;
    spec.timeout_s = 1;  // every command's expected time; the upgrade below takes 4 s more
    Cluster c(spec);
    c.add_fault("be1.example.com slow:4000 1 chef-server-ctl upgrade");
    c.start_all();
    REQUIRE_CLUSTER(c, c.wait_for_state(c.leader(), "stalled", 60s));
    const View leader = c.view(c.leader());
    CHECK_THAT(leader.step,
               Catch::Contains("chef-server-ctl upgrade: running for") && Catch::Contains("longer than the 1 s expected"));
    REQUIRE_CLUSTER(c, c.wait_for_state("fe1.example.com", "stalled", 10s));  // from the leader's beat
    std::string status;
    CHECK(c.ctl("fe1.example.com", {"status"}, &status) == 0);
    CHECK_THAT(status, Catch::Contains("be1.example.com  bootstrap  stalled"));
    finish_and_verify(c);  // no --allow-reruns: the upgrade ran once, to its end
    const std::string log = c.daemon_log("be1.example.com");
    CHECK_THAT(log, Catch::Contains("stalled: running for 1 s, longer than the 1 s expected"));
    CHECK_THAT(log, !Catch::Contains("terminating its process group"));
}

TEST_CASE("a stop that times out by itself on every node exits non-zero and is re-run everywhere until it succeeds",
          "[cluster][faults]")
{
    ClusterSpec spec;
    spec.retries = 1;
    Cluster c(spec);
    // runit's sv gives up on a slow service anywhere (chef/chef-server#1690); the runbook: "re-run the command".
    const std::vector<std::pair<std::string, std::string>> stops = {
        {"be1.example.com bootstrap", "chef-server-ctl stop"},
        {"be2.example.com secondary", "private-chef-ctl stop keepalived"},
        {"fe1.example.com frontend", "private-chef-ctl stop"},
        {"fe2.example.com frontend", "private-chef-ctl stop"}};
    for (const auto& [node, command] : stops)
        c.add_fault(node.substr(0, node.find(' ')) + " timeout 1 " + command);
    c.start_all();
    finish_and_verify(c);
    const std::string calls = c.calls();
    for (const auto& [node, command] : stops) {
        INFO(node << " " << command);
        const auto timed_out = calls.find(node + " end 1 " + command + "\n");
        CHECK(timed_out != std::string::npos);
        CHECK(calls.find(node + " end 0 " + command + "\n", timed_out) != std::string::npos);
        CHECK_THAT(c.daemon_log(node.substr(0, node.find(' '))), Catch::Contains(" (attempt 2)"));
    }
    CHECK_THAT(c.daemon_log("be1.example.com"),
               Catch::Contains("timeout: run: rabbitmq: (pid ") && Catch::Contains("765s, want down"));
    CHECK_THAT(c.daemon_log("fe1.example.com"), Catch::Contains("timeout: run: opscode-erchef: (pid "));
}

TEST_CASE("interrupt ends a stalled command on purpose: the step fails, and retry completes it", "[cluster][faults]")
{
    ClusterSpec spec;
    spec.timeout_s = 1;
    Cluster c(spec);
    c.add_fault("be1.example.com hang 1 chef-server-ctl upgrade");
    c.start_all();
    REQUIRE_CLUSTER(c, c.wait_for_state(c.leader(), "stalled", 60s));
    std::string out;
    CHECK(c.ctl("fe2.example.com", {"interrupt", "--yes"}, &out) == 0);  // from a follower: carried to the leader
    CHECK_THAT(out, Catch::Contains("interrupt step upgrade-bootstrap (phase 7) on be1.example.com"));
    REQUIRE_CLUSTER(c, c.wait_for_state(c.leader(), "failed", 30s));
    const View failed = c.view(c.leader());
    CHECK_THAT(failed.last_error,
               Catch::Contains("node be1.example.com, step upgrade-bootstrap") && Catch::Contains("interrupted by the operator"));
    CHECK(c.ctl("fe2.example.com", {"interrupt", "--yes"}, &out) == 1);  // nothing is stalled now
    CHECK_THAT(out, Catch::Contains("no command is stalled"));
    CHECK(c.call(c.leader(), "Retry").empty());
    finish_and_verify(c, {"--allow-reruns"});
    CHECK_THAT(c.daemon_log("be1.example.com"),
               Catch::Contains("interrupted by the operator: ending the command") &&
                   Catch::Contains("interrupted by the operator: terminating its process group"));
}

TEST_CASE("on Chef Server 12.4 a frontend's upgrade that prints FATAL and exits 0 is not taken as upgraded; opscode-manage "
          "installs as chef-manage, reconfigured with the license the operator accepted",
          "[cluster][addons]")
{
    ClusterSpec spec;
    spec.version = "12.4.1";  // install.rb renames the add-on from 12.4.0 on
    spec.addons = "opscode-manage";
    spec.accept_licenses = true;
    spec.retries = 1;
    Cluster c(spec);
    // fe1's secrets lack one that 12.4 needs (a bad edit or restore after the copy): Chef's H/A guard says FATAL,
    // and 12.4's upgrade (omnibus-ctl 0.4.2) still ends "Chef Server Upgraded!" with exit 0. Not upgraded.
    c.add_fault("fe1.example.com lose-secret 1 chef-server-ctl upgrade");
    c.start_all();
    REQUIRE_CLUSTER(c, c.wait_for_state(c.leader(), "failed", 120s));
    CHECK_THAT(c.view(c.leader()).last_error,
               Catch::Contains("node fe1.example.com, step upgrade-frontend") &&
                   Catch::Contains("exit status 0, but its output says it failed: [2015-09-21T10:00:00+00:00] FATAL: Attempt to "
                                   "create secrets on non-bootstrap node in an H/A topology"));
    CHECK_THAT(c.calls(), Catch::Contains("fe1.example.com frontend end 0 chef-server-ctl upgrade") &&
                              !Catch::Contains("fe1.example.com frontend note upgraded="));
    CHECK_THAT(c.calls(), !Catch::Contains("chef-server-ctl start\n"));  // nothing went on to start
    // The operator copies /etc/opscode's secrets again, as Chef's message says, and retries.
    const std::string secrets = "/etc/opscode/private-chef-secrets.json";
    std::ifstream from(c.node("be1.example.com").dir + secrets);
    std::stringstream copy;
    copy << from.rdbuf();
    write_file(c.node("fe1.example.com").dir + secrets, copy.str());
    CHECK(c.call(c.leader(), "Retry").empty());
    finish_and_verify(c);
    const std::string calls = c.calls();
    CHECK_THAT(calls, Catch::Contains("fe1.example.com frontend end 0 chef-server-ctl install opscode-manage") &&
                          Catch::Contains("fe1.example.com frontend end 0 opscode-manage-ctl reconfigure --accept-license"));
    CHECK_THAT(c.daemon_log("fe1.example.com"), Catch::Contains("opscode-manage has been renamed to chef-manage"));
}

TEST_CASE("a step failing past its retries pauses the cluster, and retry after the fix completes it", "[cluster][faults]")
{
    ClusterSpec spec;
    spec.retries = 1;
    Cluster c(spec);
    c.add_fault("fe2.example.com fail 2 chef-server-ctl upgrade");  // both attempts fail; the third would pass
    c.start_all();
    REQUIRE_CLUSTER(c, c.wait_for_state(c.leader(), "failed", 120s));
    REQUIRE_CLUSTER(c, c.wait_for_state("fe1.example.com", "failed", 10s));  // every node shows it, from the leader's beat
    const View failed = c.view("fe1.example.com");
    CHECK(failed.state == "failed");
    CHECK(failed.last_error.find("fe2.example.com") != std::string::npos);
    CHECK(failed.last_error.find("upgrade-frontend") != std::string::npos);
    CHECK(failed.last_error.find("simulated failure") != std::string::npos);
    CHECK(c.call("fe1.example.com", "Retry") == "");  // the operator fixed it; retried from a follower
    finish_and_verify(c);
}

TEST_CASE("a node with another cluster key is refused, named, and nothing runs anywhere", "[cluster][join]")
{
    Cluster c({});
    const std::string other = c.node("fe2.example.com").dir + "/other.key";
    std::ofstream(other) << "a secret from another cluster\n";
    c.drop_in("fe2.example.com", "[cluster]\nkey_file = " + other + "\n");
    c.start_all();
    const std::string fe2 = c.node("fe2.example.com").address;
    REQUIRE_CLUSTER(c, c.wait_for(
                           [&] {
                               return c.daemon_log(c.leader()).find("refused a connection from fe2.example.com (" + fe2 + ")") !=
                                      std::string::npos;
                           },
                           30s));
    REQUIRE_CLUSTER(
        c, c.wait_for([&] { return c.daemon_log("fe2.example.com").find("refused our handshake") != std::string::npos; }, 30s));
    // Still refused well past the peer timeout: the leader waits for fe2 and says so; nothing ran anywhere.
    const auto later = std::chrono::steady_clock::now() + 3s;
    CHECK_FALSE(c.wait_for([&] { return c.view(c.leader()).state != "joining" || !c.calls().empty(); }, 3s));
    CHECK(std::chrono::steady_clock::now() >= later);
    const View leader = c.view(c.leader());
    CHECK(leader.state == "joining");
    CHECK(leader.last_error.find("waiting for fe2.example.com") != std::string::npos);
    CHECK(c.calls().empty());
}

TEST_CASE("a node whose topology differs is refused at join with its name, and nothing runs anywhere", "[cluster][join]")
{
    Cluster c({});
    // fe1's copy of the topology moves fe2 to another address.
    const std::string path = c.node("fe1.example.com").dir + "/etc/opscode/private-chef.rb";
    std::string text;
    {
        std::ifstream in(path);
        text.assign(std::istreambuf_iterator<char>(in), {});
    }
    const std::string fe2 = c.node("fe2.example.com").address;
    text.replace(text.find(fe2), fe2.size(), fe2.substr(0, fe2.rfind('.')) + ".99");
    std::ofstream(path, std::ios::trunc) << text;
    c.start_all();
    REQUIRE_CLUSTER(
        c, c.wait_for(
               [&] { return c.view(c.leader()).last_error.find("node fe1.example.com refused at join") != std::string::npos; },
               30s));
    CHECK(c.view(c.leader()).last_error.find("topology") != std::string::npos);
    CHECK(c.view(c.leader()).state == "joining");
    CHECK(c.calls().empty());
}

TEST_CASE("a node without the package is refused at join with its name, and nothing runs anywhere", "[cluster][join]")
{
    Cluster c({});
    c.drop_in("fe2.example.com", "[upgrade]\npackage = " + c.node("fe2.example.com").dir + "/missing.deb\n");
    c.start_all();
    REQUIRE_CLUSTER(
        c, c.wait_for(
               [&] { return c.view(c.leader()).last_error.find("node fe2.example.com refused at join") != std::string::npos; },
               30s));
    CHECK(c.view(c.leader()).last_error.find("package") != std::string::npos);
    CHECK(c.calls().empty());
}

TEST_CASE("a node that runs another chef-ha-upgrade version is refused at join, both versions named, and nothing runs",
          "[cluster][join]")
{
    Cluster c({});
    for (const auto& n : c.nodes())
        c.start(n.name, n.name == "fe2.example.com" ? Cluster::build_dir() + "/daemon/chef-ha-upgraded-next" : std::string());
    REQUIRE_CLUSTER(c, c.wait_for(
                           [&] {
                               return c.view(c.leader())
                                          .last_error.find("node fe2.example.com refused at join: it runs "
                                                           "chef-ha-upgrade ") != std::string::npos;
                           },
                           30s));
    const std::string why = c.view(c.leader()).last_error;
    CHECK_THAT(why, Catch::Contains("-next, the leader ") && Catch::Contains("install the same chef-ha-upgrade on every node"));
    CHECK(c.view(c.leader()).state == "joining");
    CHECK(c.wait_for(
        [&] {
            return c.view("fe2.example.com").last_error.find("refused by the leader: it runs chef-ha-upgrade") !=
                   std::string::npos;
        },
        10s));
    CHECK(c.calls().empty());
}

TEST_CASE(
    "inputs changed since the join (an add-on removed, a plan file changed) are refused at start with exit 78, then resumed",
    "[cluster][crash]")
{
    ClusterSpec spec;
    spec.frontends = 1;
    spec.addons = "opscode-manage";  // frontends only: its phase is in both journals once fe1 installed it
    spec.cleanup = "auto";
    Cluster c(spec);
    c.start_all();
    const std::string fe1 = "fe1.example.com";
    REQUIRE_CLUSTER(
        c,
        c.wait_for(
            [&] { return c.calls().find(fe1 + " frontend end 0 chef-server-ctl install opscode-manage") != std::string::npos; },
            120s));
    // The operator drops the add-on from the config on the bootstrap and on fe1, and restarts them.
    for (const std::string& node : {c.leader(), fe1}) {
        CHECK(c.stop(node) == 0);
        c.drop_in(node, "[upgrade]\naddons =\n");
        c.start(node);
        CHECK(c.exit_status(node, 30s) == 78);  // EX_CONFIG: systemd does not restart it (RestartPreventExitStatus)
    }
    CHECK_THAT(c.daemon_log(c.leader()), Catch::Contains("inputs changed: the plan (chef-server-12") &&
                                             Catch::Contains("differs from what the cluster agreed at its join"));
    CHECK_THAT(c.daemon_log(fe1),
               Catch::Contains("inputs changed: ") && Catch::Contains("names a step that plan chef-server-12"));
    // A package update changed the plan file under the bootstrap: refused the same way.
    std::string plan;
    {
        std::ifstream in(Cluster::source_dir() + "/conf/plans/chef-server-12.plan");
        plan.assign(std::istreambuf_iterator<char>(in), {});
    }
    const std::string changed = c.node(c.leader()).dir + "/changed.plan";
    write_file(changed, plan.replace(plan.find("timeout = 1800"), 14, "timeout = 1900"));
    c.drop_in(c.leader(), "[upgrade]\nplan = " + changed + "\n");
    c.start(c.leader());
    CHECK(c.exit_status(c.leader(), 30s) == 78);
    // Restored: both resume from their journals, and the upgrade completes.
    for (const std::string& node : {c.leader(), fe1}) {
        c.drop_in(node, "");
        c.start(node);
    }
    for (const auto& n : c.nodes())
        REQUIRE_CLUSTER(c, c.wait_for_state(n.name, "complete", 120s));
}

TEST_CASE("a node whose journal stops taking writes runs nothing it could not journal, says why, and resumes after",
          "[cluster][crash]")
{
    Cluster c({});
    c.start_all();
    const std::string fe1 = "fe1.example.com";
    REQUIRE_CLUSTER(c, c.wait_for_state(c.leader(), "awaiting-approval", 120s));
    for (const auto& n : c.nodes())
        REQUIRE_CLUSTER(c, c.wait_for_state(n.name, "awaiting-approval", 10s));
    // The operator watches fe1; its journal may grow no more (a file-size limit: every write past it fails).
    const std::string watched = c.node(fe1).dir + "/watch.out";
    REQUIRE(run_program(
                {"/bin/sh", "-c",
                 "exec timeout 60 " + Cluster::build_dir() + "/daemon/ctl/chef-ha-upgrade-ctl watch > " + watched + " 2>&1 &"},
                {"DBUS_SYSTEM_BUS_ADDRESS=" + c.bus_address_of(fe1)}, nullptr) == 0);
    REQUIRE(c.wait_for([&] { return access(watched.c_str(), F_OK) == 0; }, 10s));
    struct stat journal {};
    REQUIRE(stat((c.node(fe1).dir + "/state/journal").c_str(), &journal) == 0);
    const rlimit full{static_cast<rlim_t>(journal.st_size), static_cast<rlim_t>(journal.st_size)};
    REQUIRE(prlimit(c.pid(fe1), RLIMIT_FSIZE, &full, nullptr) == 0);
    c.approve(c.leader());
    CHECK(c.exit_status(fe1, 30s) == 1);  // a runtime failure: systemd restarts it
    CHECK(c.calls().find(fe1 + " frontend begin - chef-server-ctl cleanup") ==
          std::string::npos);  // nothing it could not journal
    // Said on D-Bus before it exited (its log file is past the same limit here; journald's socket is not).
    std::string seen;
    CHECK(c.wait_for(
        [&] {
            std::ifstream in(watched);
            seen.assign(std::istreambuf_iterator<char>(in), {});
            return seen.find("cannot write the journal") != std::string::npos &&
                   seen.find("nothing more runs here") != std::string::npos;
        },
        10s));
    INFO(seen);
    // The disk is back (a new process has no limit): fe1 resumes from its journal and runs its cleanup once.
    c.start(fe1);
    for (const auto& n : c.nodes())
        REQUIRE_CLUSTER(c, c.wait_for_state(n.name, "complete", 120s));
    std::string report;
    const bool ok = c.verify({"--approval", "--complete"}, &report);
    INFO(report);
    CHECK(ok);
}

TEST_CASE("preflight stops the cluster before anything changes when make is missing on the bootstrap", "[cluster][preflight]")
{
    Cluster c({});
    std::remove((c.node("be1.example.com").dir + "/bin/make").c_str());
    c.start_all();
    REQUIRE_CLUSTER(c, c.wait_for_state(c.leader(), "failed", 60s));
    const std::string error = c.view(c.leader()).last_error;
    CHECK(error.find("be1.example.com") != std::string::npos);
    CHECK(error.find("make") != std::string::npos);
    CHECK(error.find("apt-get install make") != std::string::npos);
    CHECK(c.calls().empty());
}

TEST_CASE("preflight refuses, node by node and with the fix, what would fail after downtime began", "[cluster][preflight]")
{
    Cluster c({});
    const auto dir = [&](const std::string& node) { return c.node(node).dir; };
    // Newer than the package on be2, an open source Chef 11 left on fe2, no migration level on fe1.
    write_file(dir("be2.example.com") + "/version-manifest.txt", "chef-server 12.0.9\n");
    REQUIRE(mkdir((dir("fe2.example.com") + "/opt").c_str(), 0755) == 0);
    REQUIRE(mkdir((dir("fe2.example.com") + "/opt/chef-server").c_str(), 0755) == 0);
    const std::string level = dir("fe1.example.com") + "/var/upgrades/migration-level";
    REQUIRE(std::rename(level.c_str(), (level + ".away").c_str()) == 0);
    std::string shown;
    REQUIRE(run_program(
                {Cluster::build_dir() + "/daemon/chef-ha-upgraded", "--check-config", "--config", c.config_of("be1.example.com")},
                {}, &shown) == 0);
    CHECK_THAT(shown, Catch::Contains("versions:  installed 11.1.8 → package 12.0.8-1 (chef-server-core)"));
    c.start_all();

    const auto refused = [&](const std::vector<std::string>& words) {
        REQUIRE_CLUSTER(c, c.wait_for_state(c.leader(), "failed", 60s));
        const std::string error = c.view(c.leader()).last_error;
        for (const auto& w : words)
            CHECK_THAT(error, Catch::Contains(w));
        CHECK(only_reads(c.calls()));  // nothing that changes a node ran anywhere
    };
    refused({"node be2.example.com, step check-package", "chef-server-core 12.0.8-1, not newer than the installed 12.0.9"});
    write_file(dir("be2.example.com") + "/version-manifest.txt", "private-chef 11.1.8\n");
    CHECK(c.call(c.leader(), "Retry").empty());
    refused({"node fe2.example.com, step check-open-source-chef", "chef/chef-server#143", "mv "});
    REQUIRE(rmdir((dir("fe2.example.com") + "/opt/chef-server").c_str()) == 0);
    CHECK(c.call(c.leader(), "Retry").empty());
    refused({"node fe1.example.com, step check-migration-level", "migration-level is missing",
             "Copy the file from a node that is not yet upgraded"});
    REQUIRE(std::rename((level + ".away").c_str(), level.c_str()) == 0);
    CHECK(c.call(c.leader(), "Retry").empty());
    finish_and_verify(c);
}

TEST_CASE("a migration level that is not a level, the same bytes on every node, is refused on every node before anything "
          "changes",
          "[cluster][preflight]")
{
    Cluster c({});
    for (const auto& n : c.nodes())  // partybus would read it as level 0 and run every migration again
        write_file(n.dir + "/var/upgrades/migration-level", "1.13\n");
    c.start_all();
    REQUIRE_CLUSTER(c, c.wait_for_state(c.leader(), "failed", 60s));
    for (const auto& n : c.nodes()) {
        INFO(n.name);
        CHECK(c.wait_for(
            [&] { return c.daemon_log(n.name).find("holds \"1.13\", which is not a migration level") != std::string::npos; },
            10s));
    }
    CHECK_THAT(c.view(c.leader()).last_error, Catch::Contains("step check-migration-level") && Catch::Contains("level 0"));
    CHECK(only_reads(c.calls()));  // nothing that changes a node ran anywhere
}

TEST_CASE("preflight refuses a package that is not the plan's product, read from the package itself", "[cluster][preflight]")
{
    Cluster c({});
    std::string out;
    // Named like the plan's package, but an Enterprise Chef 11 package inside.
    REQUIRE(
        run_program({Cluster::build_dir() + "/tests/simchef/chu-simchef", "make-package", c.package(), "--version", "11.1.8-1"},
                    {}, &out) == 0);
    c.start_all();
    REQUIRE_CLUSTER(c, c.wait_for_state(c.leader(), "failed", 60s));
    CHECK_THAT(c.view(c.leader()).last_error,
               Catch::Contains("is private-chef 11.1.8-1, but plan chef-server-12 installs chef-server-core 12.x") &&
                   Catch::Contains("set [upgrade] package to it"));
    CHECK(c.calls().empty());  // the package check comes first
}

TEST_CASE("a follower killed with SIGKILL mid-run and restarted resumes, and the upgrade keeps every rule", "[cluster][crash]")
{
    Cluster c({});
    c.start_all();
    // Mid-run: once the package is being installed somewhere.
    REQUIRE_CLUSTER(c, c.wait_for([&] { return c.calls().find(" dpkg ") != std::string::npos; }, 60s));
    CHECK(access((c.node("be2.example.com").dir + "/state/upgrade-underway").c_str(), F_OK) == 0);  // resumes at boot
    c.kill9("be2.example.com");
    c.start("be2.example.com");
    finish_and_verify(c, {"--allow-reruns"});
}

TEST_CASE("a daemon stopped during a step tells its command, exits 0, and the step runs again after the restart",
          "[cluster][crash]")
{
    ClusterSpec spec;
    Cluster c(spec);
    c.add_fault("be1.example.com hang 1 chef-server-ctl upgrade");  // the first upgrade hangs until stopped
    c.start_all();
    REQUIRE_CLUSTER(c, c.wait_for([&] { return c.calls().find("begin - chef-server-ctl upgrade") != std::string::npos; }, 60s));
    CHECK(c.stop("be1.example.com") == 0);
    c.start("be1.example.com");
    finish_and_verify(c, {"--allow-reruns"});
    const std::string log = c.daemon_log("be1.example.com");
    CHECK(log.find("telling running commands to stop") != std::string::npos);
    CHECK(log.find("upgrade-bootstrap: chef-server-ctl upgrade") != std::string::npos);
}

TEST_CASE("the leader killed with SIGKILL mid-run and restarted resumes with a new epoch, keeping every rule", "[cluster][crash]")
{
    Cluster c({});
    c.start_all();
    REQUIRE_CLUSTER(c, c.wait_for([&] { return c.calls().find("chef-server-ctl upgrade") != std::string::npos; }, 60s));
    c.kill9("be1.example.com");
    c.start("be1.example.com");
    finish_and_verify(c, {"--allow-reruns"});
    CHECK(c.daemon_log("be1.example.com").find("epoch 2") != std::string::npos);
}

TEST_CASE("an operator follows a whole upgrade with chef-ha-upgrade-ctl: plan, watch, status, approve, report", "[cluster][ctl]")
{
    Cluster c({});
    const std::string fe1 = "fe1.example.com";
    c.start_all();
    REQUIRE_CLUSTER(c, c.wait_for([&] { return c.view("be2.example.com").reachable; }, 30s));
    std::string plan;
    REQUIRE(c.ctl("be2.example.com", {"plan"}, &plan) == 0);
    for (const auto& n : c.nodes())
        CHECK(plan.find(n.name) != std::string::npos);
    CHECK(plan.find("* phase 3: stop frontends") != std::string::npos);  // inside the downtime window
    CHECK(plan.find("chef-server-ctl upgrade") != std::string::npos);
    CHECK_THAT(plan, Catch::Contains("versions on this node: installed 11.1.8 → package 12.0.8-1 (chef-server-core)"));

    // watch follows from a follower until the end, redrawn on every change; it exits with the outcome.
    int watch_status = -1;
    std::string watched;
    // Bounded by timeout(1), and joined whatever happens, before the cluster is torn down.
    struct Joined {
        std::thread thread;
        ~Joined() { thread.join(); }
    } watcher{std::thread([&] {
        watch_status = run_program({"/usr/bin/timeout", "180", Cluster::build_dir() + "/daemon/ctl/chef-ha-upgrade-ctl", "watch"},
                                   {"DBUS_SYSTEM_BUS_ADDRESS=" + c.bus_address_of(fe1)}, &watched);
    })};
    REQUIRE_CLUSTER(c, c.wait_for_state(c.leader(), "awaiting-approval", 120s));
    REQUIRE_CLUSTER(c, c.wait_for_state(fe1, "awaiting-approval", 10s));

    std::string json;
    REQUIRE(c.ctl(fe1, {"status", "--json"}, &json) == 0);
    const std::string file = c.world() + "/status.json";
    std::ofstream(file) << json;
    std::string checked;
    INFO(json);
    CHECK(run_program({"/usr/bin/jq", "-e",
                       ".state == \"awaiting-approval\" and .role == \"frontend\" and .leader == \"be1.example.com\" and "
                       "(.peers | length) == 4 and ([.peers[].name] | sort) == "
                       "[\"be1.example.com\",\"be2.example.com\",\"fe1.example.com\",\"fe2.example.com\"]",
                       file},
                      {}, &checked) == 0);

    c.approve("fe2.example.com");
    for (const auto& n : c.nodes())
        REQUIRE_CLUSTER(c, c.wait_for_state(n.name, "complete", 60s));
    watcher.thread.join();
    watcher.thread = std::thread([] {});
    CHECK(watch_status == 0);
    CHECK(watched.find("complete") != std::string::npos);

    std::string report;
    REQUIRE(c.ctl(c.leader(), {"report"}, &report) == 0);
    for (const auto& n : c.nodes())
        CHECK(report.find(n.name) != std::string::npos);
    for (const char* step : {"upgrade-bootstrap", "copy-opscode", "upgrade-secondary", "upgrade-frontend", "cleanup"})
        CHECK(report.find(step) != std::string::npos);
    CHECK(report.find("downtime") != std::string::npos);
    const std::string svg = c.world() + "/report.svg";
    REQUIRE(c.ctl(c.leader(), {"report", "--svg", svg}, &report) == 0);
    std::string lint;
    const int linted = run_program({"/usr/bin/xmllint", "--noout", svg}, {}, &lint);
    INFO(lint);
    CHECK(linted == 0);
    // The timeline lives on the leader; a follower says where to look.
    std::string elsewhere;
    CHECK(c.ctl(fe1, {"report"}, &elsewhere) == 1);
    CHECK(elsewhere.find("be1.example.com") != std::string::npos);
    std::string verdict;
    CHECK(c.verify({"--approval", "--complete"}, &verdict));
}

TEST_CASE("notification hooks get every event of a whole upgrade in order, a hanging and a failing hook hold nothing, and "
          "events --json replays the same events, in step with the timeline",
          "[cluster][events]")
{
    Cluster c({});
    const std::string leader = c.leader(), fe1 = "fe1.example.com";
    const std::string hooks = c.node(leader).dir + "/hooks.d", out = c.world() + "/hook-";
    REQUIRE(mkdir(hooks.c_str(), 0755) == 0);
    auto hook = [&](const std::string& name, const std::string& body) {
        write_file(hooks + "/" + name, "#!/bin/sh\n" + body + "\n");
        REQUIRE(chmod((hooks + "/" + name).c_str(), 0755) == 0);
    };
    hook("10-record", "echo \"$CHU_EVENT $CHU_PHASE $CHU_STATE\" >> " + out + "record\ncat >> " + out + "record.json");
    hook("20-hang", "echo \"$CHU_EVENT\" >> " + out + "hang\nexec sleep 600");
    hook("30-fail", "exit 1");
    c.drop_in(leader, "[hooks]\ndir = " + hooks + "\ntimeout_s = 2\n");
    c.start_all();
    finish_and_verify(c);

    auto lines = [](const std::string& text) {
        std::vector<std::string> v;
        std::istringstream in(text);
        for (std::string l; std::getline(in, l);)
            v.push_back(l);
        return v;
    };
    auto read = [](const std::string& path) {
        std::ifstream in(path);
        return std::string(std::istreambuf_iterator<char>(in), {});
    };
    REQUIRE_CLUSTER(c, c.wait_for([&] { return read(out + "record").find("complete 13") != std::string::npos; }, 20s));
    // The hanging hook is killed at every event, 2 s each: the upgrade and the other hooks did not wait for it.
    CHECK(lines(read(out + "hang")).size() < lines(read(out + "record")).size());
    const std::string log = c.daemon_log(leader);
    CHECK_THAT(log, Catch::Contains("hooks: " + hooks + "/20-hang was killed after 2 s on event joined") &&
                        Catch::Contains("hooks: " + hooks + "/30-fail exited 1 on event joined"));

    // In order: the join, every phase started and complete, the downtime inside them, the gate, the end.
    const auto got = lines(read(out + "record"));
    std::vector<std::string> phases;
    for (const auto& l : got)
        if (l.rfind("phase-", 0) == 0)
            phases.push_back(l.substr(0, l.rfind(' ')));
    std::vector<std::string> expected;
    for (int p = 1; p <= 13; ++p)
        expected.insert(expected.end(), {"phase-started " + std::to_string(p), "phase-complete " + std::to_string(p)});
    CHECK(phases == expected);
    REQUIRE(!got.empty());
    CHECK(got.front().rfind("joined 0 ", 0) == 0);
    CHECK(got.back() == "complete 13 complete");
    for (const char* kind : {"downtime-began 3", "downtime-ended 11", "awaiting-approval 12"})
        CHECK(std::count_if(got.begin(), got.end(), [&](const std::string& l) { return l.rfind(kind, 0) == 0; }) == 1);

    // The event stream on the leader replays exactly what the hooks got; on a follower, the same events.
    std::string replay;
    REQUIRE(c.ctl(leader, {"events", "--json", "--since-start"}, &replay) == 0);
    CHECK(replay == read(out + "record.json"));
    const std::string events_file = c.world() + "/events.json", follower_file = c.world() + "/follower.json";
    write_file(events_file, replay);
    std::string follower;
    REQUIRE(c.ctl(fe1, {"events", "--json", "--since-start"}, &follower) == 0);
    write_file(follower_file, follower);
    std::string checked;
    const std::string same_phases = "[.[] | select(.event | startswith(\"phase-\")) | [.event, .phase]]";
    CHECK(run_program({"/usr/bin/jq", "-n", "-e", "--slurpfile", "l", events_file, "--slurpfile", "f", follower_file,
                       "($l | " + same_phases + ") == ($f | " + same_phases +
                           ") and ($f[0].event == \"joined\") and ($f[-1].event == \"complete\") and "
                           "all($f[]; .source == \"" +
                           fe1 + "\")"},
                      {}, &checked) == 0);
    INFO(checked);
    // In step with the timeline: every step a node reported finished after its phase started, and started
    // before its phase completed (an event has the time the leader decided; a step's times are its node's).
    std::string timeline;
    REQUIRE(
        run_program({"/usr/bin/busctl", "--address=" + c.bus_address_of(leader), "--json=short", "call",
                     "net.chefhaupgrade.Upgrade1", "/net/chefhaupgrade/Upgrade1", "net.chefhaupgrade.Upgrade1", "GetTimeline"},
                    {}, &timeline) == 0);
    const std::string timeline_file = c.world() + "/timeline.json";
    write_file(timeline_file, timeline);
    CHECK(run_program({"/usr/bin/jq", "-n", "-e", "--slurpfile", "e", events_file, "--slurpfile", "t", timeline_file,
                       "($t[0].data[0] | length) > 0 and all($t[0].data[0][]; . as $r | "
                       "([$e[] | select(.event == \"phase-started\" and .phase == $r[1]) | .at_usec][0] <= $r[6]) and "
                       "([$e[] | select(.event == \"phase-complete\" and .phase == $r[1]) | .at_usec][0] >= $r[5]))"},
                      {}, &checked) == 0);
    INFO(checked);
}

namespace {

// Every file under a node's directory with its bytes, but the logs and the bus the test harness keeps.
void snapshot(const std::string& dir, const std::string& under, std::map<std::string, std::string>& out)
{
    DIR* d = opendir((dir + under).c_str());
    if (!d)
        return;
    while (const dirent* e = readdir(d)) {
        const std::string name = e->d_name;
        if (name == "." || name == ".." || name == "daemon.log" || name.rfind("bus", 0) == 0)
            continue;
        struct stat st {};
        const std::string path = dir + under + "/" + name;
        if (lstat(path.c_str(), &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            out[under + "/" + name + "/"] = "";
            snapshot(dir, under + "/" + name, out);
        } else {
            std::ifstream in(path);
            out[under + "/" + name] = std::string(std::istreambuf_iterator<char>(in), {});
        }
    }
    closedir(d);
}

std::map<std::string, std::string> snapshot(const std::string& dir)
{
    std::map<std::string, std::string> out;
    snapshot(dir, "", out);
    return out;
}

}  // namespace

TEST_CASE("a rehearsal reports every node's every check, a planted problem by node and check, changes nothing, and a real "
          "upgrade after it completes",
          "[cluster][rehearsal]")
{
    Cluster c({});
    const auto dir = [&](const std::string& node) { return c.node(node).dir; };
    // fe1 holds another build of the package; fe2 still has an open source Chef 11.
    const std::string other = dir("fe1.example.com") + "/chef-server-core_12.0.9-1_amd64.deb";
    std::string out;
    REQUIRE(run_program({Cluster::build_dir() + "/tests/simchef/chu-simchef", "make-package", other, "--version", "12.0.9-1"}, {},
                        &out) == 0);
    c.drop_in("fe1.example.com", "[upgrade]\npackage = " + other + "\n");
    REQUIRE(mkdir((dir("fe2.example.com") + "/opt").c_str(), 0755) == 0);
    REQUIRE(mkdir((dir("fe2.example.com") + "/opt/chef-server").c_str(), 0755) == 0);
    std::map<std::string, std::map<std::string, std::string>> before;
    for (const auto& n : c.nodes())
        before[n.name] = snapshot(n.dir);

    for (const auto& n : c.nodes())
        c.start(n.name, {}, {"--rehearse"});
    for (const auto& n : c.nodes())
        REQUIRE_CLUSTER(c, c.wait_for_state(n.name, "rehearsed", 60s));
    CHECK(only_reads(c.calls()));  // no Chef command but the read-only checks
    for (const auto& n : c.nodes())
        CHECK(access((n.dir + "/state/upgrade-underway").c_str(), F_OK) != 0);

    // The leader's table: every node, every check, the two problems by node and check.
    REQUIRE(c.ctl(c.leader(), {"preflight"}, &out) == 1);
    INFO(out);
    CHECK_THAT(out, Catch::StartsWith("preflight rehearsal done, nothing was changed: 2 problems on fe1.example.com, "
                                      "fe2.example.com"));
    for (const auto& n : c.nodes())
        CHECK_THAT(out, Catch::Contains("\n" + n.name + "\n"));
    CHECK_THAT(out, Catch::Contains("PROBLEM  its package (sha256 ") && Catch::Contains("PROBLEM  failed: fe2.example.com: "));
    CHECK_THAT(out, Catch::Contains("then rehearse again: systemctl restart chef-ha-upgrade-preflight on every node") &&
                        !Catch::Contains("chef-ha-upgrade-ctl retry"));
    REQUIRE(c.ctl(c.leader(), {"preflight", "--json"}, &out) == 1);
    std::string counted;
    REQUIRE(
        run_program(
            {"/bin/sh", "-c",
             "printf '%s' \"$0\" | jq -r '[.[] | select(.verdict == \"problem\") | .node + \" \" + .check] | join(\",\")'", out},
            {}, &counted) == 0);
    CHECK(counted == "fe1.example.com same-package,fe2.example.com check-open-source-chef\n");
    REQUIRE(c.ctl(c.leader(), {"status", "--json"}, &out) == 0);
    CHECK_THAT(out, Catch::Contains("\"rehearsal\":true") && Catch::Contains("\"state\":\"rehearsed\"") &&
                        Catch::Contains("\"preflight\":[{\"node\":\"be1.example.com\""));
    // A follower says what was found and where the table is.
    REQUIRE(c.ctl("be2.example.com", {"preflight"}, &out) == 1);
    CHECK_THAT(out, Catch::Contains("2 problems: fe1.example.com same-package") &&
                        Catch::Contains("kept by the leader be1.example.com"));

    // Stopped, the rehearsal leaves every node as it found it.
    for (const auto& n : c.nodes())
        CHECK(c.stop(n.name) == 0);
    for (const auto& n : c.nodes())
        CHECK(snapshot(n.dir) == before[n.name]);

    // Fixed, the real upgrade joins from scratch and completes.
    write_file(c.world() + "/calls.log", "");  // the rehearsal's reads were checked above; the runbook's rules are the upgrade's
    c.drop_in("fe1.example.com", "");
    REQUIRE(rmdir((dir("fe2.example.com") + "/opt/chef-server").c_str()) == 0);
    c.start_all();
    REQUIRE_CLUSTER(c, c.wait_for_state(c.leader(), "awaiting-approval", 120s));
    // A rehearsal refuses to start while the upgrade is under way.
    REQUIRE(
        run_program({Cluster::build_dir() + "/daemon/chef-ha-upgraded", "--rehearse", "--config", c.config_of("fe2.example.com")},
                    {}, &out) == 78);
    CHECK_THAT(out, Catch::Contains("an upgrade is under way on this node"));
    finish_and_verify(c);
}

TEST_CASE("a frontend killed for good after its install is dropped: the cluster completes without it, a backend cannot "
          "be dropped, and the frontend started again runs nothing and exits 0",
          "[cluster][drop]")
{
    Cluster c({});
    const std::string fe1 = "fe1.example.com", fe2 = "fe2.example.com";
    c.start_all();
    // After its install, long before its upgrade (that waits for both backends'): it dies and stays dead.
    REQUIRE_CLUSTER(c, c.wait_for([&] { return c.calls().find(fe2 + " frontend end 0 dpkg") != std::string::npos; }, 90s));
    c.kill9(fe2);

    std::string out;
    CHECK(c.ctl(fe1, {"drop", "be2.example.com", "--yes"}, &out) == 1);
    CHECK_THAT(out, Catch::Contains("be2.example.com is the secondary backend: the upgrade needs both backends"));
    CHECK(c.ctl(fe1, {"drop", fe2}, &out) == 2);  // no terminal, no --yes
    // Heard a moment ago: refused until the leader has not heard it for the peer timeout.
    REQUIRE(c.ctl(fe1, {"drop", fe2, "--yes"}, &out) == 1);
    CHECK_THAT(out, Catch::Contains(fe2 + " is heard from") && Catch::Contains("--force"));
    REQUIRE_CLUSTER(c, c.wait_for([&] { return c.ctl(fe1, {"drop", fe2, "--yes"}, &out) == 0; }, 30s));
    CHECK_THAT(out, Catch::Contains("dropped " + fe2 + " from the upgrade"));

    REQUIRE_CLUSTER(c, c.wait_for_state(c.leader(), "awaiting-approval", 120s));
    c.approve(fe1);
    for (const char* n : {"be1.example.com", "be2.example.com", "fe1.example.com"})
        REQUIRE_CLUSTER(c, c.wait_for_state(n, "complete", 60s));
    std::string report;
    const bool ok = c.verify({"--approval", "--complete", "--dropped", fe2}, &report);
    INFO(report);
    CHECK(ok);
    CHECK(c.calls().find(fe2 + " frontend begin - chef-server-ctl upgrade") == std::string::npos);

    std::string status, text;
    REQUIRE(c.ctl(c.leader(), {"status", "--json"}, &status) == 0);
    CHECK_THAT(status, Catch::Contains("\"name\":\"" + fe2 + "\"") && Catch::Contains("\"state\":\"dropped\""));
    REQUIRE(c.ctl(c.leader(), {"report"}, &text) == 0);
    CHECK_THAT(text, Catch::Contains(fe2 + " (frontend, dropped by the operator)") && Catch::Contains("dropped"));
    CHECK_THAT(c.daemon_log(c.leader()), Catch::Contains("operator: dropped " + fe2));

    // Back after the upgrade: told by the leader, it records it, runs nothing, and its daemon exits 0.
    c.start(fe2);
    CHECK(c.exit_status(fe2, 30s) == 0);
    CHECK_THAT(c.daemon_log(fe2), Catch::Contains("the operator dropped this node from the upgrade"));
    CHECK(access((c.node(fe2).dir + "/state/upgrade-underway").c_str(), F_OK) != 0);
    CHECK(c.calls().find(fe2 + " frontend begin - chef-server-ctl upgrade") == std::string::npos);
    // And again from its journal alone, the leader gone.
    CHECK(c.stop(c.leader()) == 0);
    c.start(fe2);
    CHECK(c.exit_status(fe2, 30s) == 0);
}

TEST_CASE("a topology Chef's Ruby and the reader would read differently is refused at check-config and at start on every "
          "node, naming the file and line",
          "[cluster][topology]")
{
    Cluster c({});
    // A frontend only Ruby sees (`self.server` is a call Chef makes; the reader takes the line for another setting),
    // and one declared in a loop, which the reader refuses by itself. The harness gives every node Debian's ruby
    // as Chef's embedded one.
    const std::string loop = "%w{fe3.example.com}.each { |n| server n, :ipaddress => \"127.1.1.3\", :role => \"frontend\" }\n";
    const std::string self = "self.server \"fe3.example.com\", :ipaddress => \"127.1.1.3\", :role => \"frontend\"\n";
    for (const auto& [extra, says] : std::vector<std::pair<std::string, std::string>>{
             {loop, "`server` in a block (`{ |…| }`) on this line"},
             {self, "Chef's Ruby and chef-ha-upgrade's reader read it differently"}}) {
        for (const auto& n : c.nodes()) {
            std::ifstream in(n.dir + "/etc/opscode/private-chef.rb");
            std::stringstream text;
            text << in.rdbuf();
            std::string rb = text.str();
            rb = rb.substr(0, rb.find("# extra\n")) + "# extra\n" + extra;
            write_file(n.dir + "/etc/opscode/private-chef.rb", rb);
        }
        for (const auto& n : c.nodes()) {
            INFO(n.name << ": " << says);
            std::string out;
            CHECK(run_program(
                      {Cluster::build_dir() + "/daemon/chef-ha-upgraded", "--check-config", "--config", c.config_of(n.name)}, {},
                      &out) == 78);
            CHECK_THAT(out, Catch::Contains(n.dir + "/etc/opscode/private-chef.rb") && Catch::Contains(says));
            if (extra == loop)
                CHECK_THAT(out, Catch::Contains("private-chef.rb:"));
            else
                CHECK_THAT(out, Catch::Contains("Ruby sees line ") && Catch::Contains("server fe3.example.com"));
        }
    }
    c.start_all();
    for (const auto& n : c.nodes()) {
        INFO(n.name);
        CHECK(c.exit_status(n.name, 30s) == 78);
        CHECK_THAT(c.daemon_log(n.name), Catch::Contains("Chef's Ruby and chef-ha-upgrade's reader read it differently"));
    }
    CHECK(c.calls().empty());
}
