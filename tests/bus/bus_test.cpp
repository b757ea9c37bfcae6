// net.chefhaupgrade.Upgrade1 and chef-ha-upgrade-ctl end to end: a real in-process cluster
// (chu-bus-cluster) serving its leader and secondary on private buses that apply the project's policy,
// driven and read with busctl, the ctl and a bus subscriber.
#include "bus/bus_names.hpp"
#include "config/plan_file.hpp"
#include "harness.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <unistd.h>

using namespace chu;
using namespace chu::bustest;
using Catch::Contains;

namespace {

const std::vector<std::string> nodes = {"be1.example.com", "be2.example.com", "fe1.example.com"};
const std::set<std::string> states = {"idle",   "joining",           "preflight", "running", "paused",
                                      "failed", "awaiting-approval", "complete",  "aborted"};

Plan plan()
{
    Config config;
    config.upgrade.package = "/srv/chef-server-core_12.19.31-1_amd64.deb";
    return effective_plan(load_plan(CHU_SOURCE_DIR "/conf/plans/chef-server-12.plan", "").value(), config).value();
}

// Steps that run on some node in a run where keepalived stays healthy: no conditional steps, no gate.
std::vector<std::string> steps_that_run()
{
    std::vector<std::string> ids;
    for (const auto& phase : plan().phases)
        for (const auto& step : phase.steps)
            if (step.when.kind == chu::Condition::Kind::always && step.kind != StepKind::gate)
                ids.push_back(step.id);
    return ids;
}

std::string text(const Observer& o, const char* name)
{
    return o.get<std::string>(name);
}

bool has_failed_at(const Observer& o, const std::string& step)
{
    return text(o, "State") == "failed" && text(o, "LastError").find("step " + step) != std::string::npos;
}

std::string slurp(const std::string& path)
{
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// Every property of the interface, read with busctl, one line each ("s \"be1.example.com\"").
std::vector<std::string> busctl_properties(const std::string& bus, bool as_nobody = false)
{
    std::vector<std::string> argv = {"busctl",   "get-property", bus::name,   bus::object_path,    bus::name,
                                     "NodeName", "Role",         "Leader",    "LeaderReachable",   "Epoch",
                                     "State",    "Phase",        "PhaseName", "PhaseCount",        "CurrentStep",
                                     "Attempt",  "Progress",     "LastError", "DowntimeStartUSec", "DowntimeEndUSec",
                                     "Peers",    "Versions"};
    argv.insert(argv.end(), {"RunningSteps", "DowntimeExpectedEndUSec", "Next"});
    const auto ran = run({argv, bus, as_nobody});
    INFO(ran.err);
    REQUIRE(ran.status == 0);
    std::vector<std::string> lines;
    for (std::size_t pos = 0; pos < ran.out.size();) {
        const auto end = ran.out.find('\n', pos);
        lines.push_back(ran.out.substr(pos, end - pos));
        pos = end == std::string::npos ? ran.out.size() : end + 1;
    }
    return lines;
}

// What ctl printed, on failure.
void expect(const Ran& ran, int status, const std::string& says)
{
    INFO("exit " << ran.status << "\nstdout: " << ran.out << "\nstderr: " << ran.err);
    CHECK(ran.status == status);
    CHECK_THAT(ran.out + ran.err, Contains(says));
}

}  // namespace

TEST_CASE("an upgrade driven from both backends runs to completion, and the bus shows every phase of it", "[bus]")
{
    BusCluster cluster({"--no-auto-start", "--disagree-once", "--fail-once", "stop-frontend"});
    Observer leader(cluster.leader_bus()), follower(cluster.secondary_bus());
    REQUIRE(leader.wait_for_state("idle"));
    REQUIRE(follower.wait_for_state("idle"));
    const auto phase_count = static_cast<std::int32_t>(plan().phases.size());

    // Every property, as busctl reads it, on the leader and on the follower.
    const auto on_leader = busctl_properties(cluster.leader_bus());
    REQUIRE(on_leader.size() == 20);
    CHECK(on_leader[0] == "s \"be1.example.com\"");
    CHECK(on_leader[1] == "s \"bootstrap\"");
    CHECK(on_leader[2] == "s \"be1.example.com\"");
    CHECK(on_leader[3] == "b true");
    CHECK(on_leader[5] == "s \"idle\"");
    CHECK(on_leader[8] == "i " + std::to_string(phase_count));
    CHECK(on_leader[13] == "t 0");
    CHECK_THAT(on_leader[15], Contains("a(sssisx) 3 \"be1.example.com\" \"bootstrap\""));
    CHECK_THAT(on_leader[16], Contains("s \"installed version unknown"));  // the in-process nodes read no package
    CHECK(on_leader[17] == "a(ssstt) 0");                                  // nothing runs before the start
    CHECK(on_leader[18] == "t 0");
    CHECK(on_leader[19] == "s \"start the upgrade: sudo chef-ha-upgrade-ctl start\"");
    const auto on_follower = busctl_properties(cluster.secondary_bus());
    REQUIRE(on_follower.size() == 20);
    CHECK(on_follower[19] == on_leader[19]);  // decided alike from the leader's beat
    CHECK(on_follower[0] == "s \"be2.example.com\"");
    CHECK(on_follower[1] == "s \"secondary\"");
    CHECK(on_follower[2] == "s \"be1.example.com\"");
    CHECK(on_follower[4] == on_leader[4]);  // the leader's epoch

    // The dry run, from the follower: every node, every step, the downtime window marked.
    const auto dry = ctl(cluster.secondary_bus(), {"plan"});
    REQUIRE(dry.status == 0);
    for (const auto& node : nodes)
        CHECK_THAT(dry.out, Contains(node));
    for (const auto& phase : plan().phases)
        for (const auto& step : phase.steps)
            CHECK_THAT(dry.out, Contains(step.id));
    CHECK_THAT(dry.out, Contains("* phase 3: stop frontends") && Contains("  phase 2: reconfigure"));

    // Every decision is taken by the leader, asked there or on the follower; refusals carry its reason.
    expect(ctl(cluster.leader_bus(), {"skip", "--yes"}), 1, "nothing to skip: no step has failed");
    expect(ctl(cluster.leader_bus(), {"retry"}), 1, "nothing to retry: no step has failed");
    expect(ctl(cluster.secondary_bus(), {"approve", "--yes"}), 1, "nothing to approve yet");
    expect(ctl(cluster.secondary_bus(), {"pause"}), 0, "paused");
    expect(ctl(cluster.leader_bus(), {"resume"}), 0, "resumed");

    expect(ctl(cluster.secondary_bus(), {"start"}), 0, "start");
    expect(ctl(cluster.leader_bus(), {"start"}), 1, "the upgrade has already started");

    // fe1 reads another migration level: the cluster stops; paused, the disagreement is accepted.
    REQUIRE(leader.wait_for([&] { return has_failed_at(leader, "check-migration-level"); }));
    CHECK_THAT(text(leader, "LastError"), Contains("disagree") && Contains("fe1.example.com=0.9"));
    expect(ctl(cluster.leader_bus(), {"pause"}), 0, "paused");
    // Skipping the migration level risks partybus migrating again: refused, saying so, unless forced.
    expect(ctl(cluster.secondary_bus(), {"skip", "--yes"}), 1,
           "skipping step check-migration-level risks this: Chef's upgrade reads");
    expect(ctl(cluster.secondary_bus(), {"skip", "--yes"}), 1, "chef-ha-upgrade-ctl skip --force");
    expect(ctl(cluster.secondary_bus(), {"skip", "--force", "--yes"}), 0, "skip the disagreement in step check-migration-level");
    REQUIRE(leader.wait_for_state("paused"));
    expect(ctl(cluster.secondary_bus(), {"resume"}), 0, "resumed");

    REQUIRE(leader.wait_for([&] { return has_failed_at(leader, "stop-frontend"); }));
    CHECK_THAT(text(leader, "LastError"), Contains("fe1.example.com") && Contains("simulated failure"));
    REQUIRE(follower.wait_for([&] { return has_failed_at(follower, "stop-frontend"); }));
    expect(ctl(cluster.secondary_bus(), {"retry"}), 0, "retry step stop-frontend (phase 3) on fe1.example.com");

    REQUIRE(leader.wait_for_state("awaiting-approval"));
    REQUIRE(follower.wait_for_state("awaiting-approval"));
    Child watch(Command{{CHU_CTL, "watch"}, cluster.secondary_bus()});
    REQUIRE(watch.line(10s));  // drawn once: it is subscribed
    expect(ctl(cluster.leader_bus(), {"approve", "--yes"}), 0, "cleanup approved");

    REQUIRE(leader.wait_for_state("complete"));
    REQUIRE(follower.wait_for_state("complete"));
    REQUIRE(leader.wait_for([&] { return !leader.completions().empty(); }));
    CHECK(leader.completions().front().first == "complete");
    const Ran watched = watch.finish(10s);
    INFO(watched.err);
    CHECK(watched.status == 0);
    CHECK_THAT(watched.out, Contains("the upgrade is complete"));

    // Every phase was announced on the leader, in order, and every announced value made sense.
    std::vector<std::int32_t> phases{1};
    std::uint32_t progress = 0;
    for (const auto& change : leader.changes()) {
        if (auto it = change.find("Phase"); it != change.end() && it->second.get<std::int32_t>() != phases.back()) {
            phases.push_back(it->second.get<std::int32_t>());
            CHECK(change.count("PhaseName"));
        }
        if (auto it = change.find("State"); it != change.end())
            CHECK(states.count(it->second.get<std::string>()));
        if (auto it = change.find("Progress"); it != change.end()) {
            CHECK(it->second.get<std::uint32_t>() >= progress);
            progress = it->second.get<std::uint32_t>();
        }
    }
    std::vector<std::int32_t> every_phase;
    for (std::int32_t p = 1; p < phase_count; ++p)
        every_phase.push_back(p);
    CHECK(phases == every_phase);

    for (const Observer* o : {&leader, &follower}) {
        CHECK(o->get<std::uint32_t>("Progress") == 100);
        CHECK(o->get<std::string>("Next") == "nothing: the upgrade is complete on every node");
        CHECK(o->get<std::uint64_t>("DowntimeExpectedEndUSec") == 0);
        CHECK(o->get<std::int32_t>("Phase") == phase_count - 1);
        CHECK(o->get<std::string>("LastError").empty());
        CHECK(o->get<bool>("LeaderReachable"));
        const auto begin = o->get<std::uint64_t>("DowntimeStartUSec"), end = o->get<std::uint64_t>("DowntimeEndUSec");
        CHECK(begin > 1600000000000000ull);  // µs since the epoch, not ms
        CHECK(end > begin);
    }
    CHECK(leader.get<std::uint64_t>("Epoch") == follower.get<std::uint64_t>("Epoch"));

    // status --json is one object of the documented shape.
    TempDir dir;
    const auto json = ctl(cluster.secondary_bus(), {"status", "--json"});
    REQUIRE(json.status == 0);
    std::ofstream(dir.str() + "/status.json") << json.out;
    const auto shape = run({{"jq", "-e",
                             "(.node == \"be2.example.com\") and (.role == \"secondary\") and (.leader == \"be1.example.com\")"
                             " and .leader_reachable and (.state == \"complete\") and (.progress == 100)"
                             " and ([.epoch, .phase, .phase_count, .attempt, .downtime_start_usec, .downtime_end_usec]"
                             "      | all(type == \"number\"))"
                             " and ([.phase_name, .current_step, .last_error, .next] | all(type == \"string\"))"
                             " and ([.peers[].name] == [\"be1.example.com\", \"be2.example.com\", \"fe1.example.com\"])"
                             " and (.peers | all((.role | type) == \"string\" and (.state | type) == \"string\""
                             "      and (.phase | type) == \"number\" and (.step | type) == \"string\""
                             "      and (.last_heard_seconds >= -1)))",
                             dir.str() + "/status.json"}});
    INFO(json.out << shape.err);
    CHECK(shape.status == 0);

    // The report, on the leader: every node and every step that ran, with the downtime window.
    const auto report = ctl(cluster.leader_bus(), {"report", "--svg", dir.str() + "/report.svg"});
    INFO(report.err);
    REQUIRE(report.status == 0);
    CHECK_THAT(report.out, Contains("upgrade report: complete") && Contains("downtime") && Contains(" to "));
    CHECK_THAT(report.out, Contains("failed") && Contains("stop-frontend (retry 1)"));
    const std::string svg = slurp(dir.str() + "/report.svg");
    for (const auto& node : nodes) {
        CHECK_THAT(report.out, Contains(node));
        CHECK_THAT(svg, Contains(">" + node + "<"));
    }
    for (const auto& step : steps_that_run()) {
        CHECK_THAT(report.out, Contains(step));
        CHECK_THAT(svg, Contains(", " + step));
    }
    CHECK_THAT(svg, Contains("class=\"downtime\""));
    const auto wellformed = run({{"xmllint", "--noout", dir.str() + "/report.svg"}});
    INFO(wellformed.err);
    CHECK(wellformed.status == 0);

    // The timeline is the leader's.
    expect(ctl(cluster.secondary_bus(), {"report"}), 1, "the timeline is kept by the leader be1.example.com: run this there");
}

TEST_CASE("an abort forwarded by a follower stops the cluster, and watch ends with status 1", "[bus]")
{
    BusCluster cluster({"--step-ms", "50"});
    Observer leader(cluster.leader_bus()), follower(cluster.secondary_bus());
    REQUIRE(leader.wait_for([&] { return text(leader, "State") == "preflight" || text(leader, "State") == "running"; }));
    Child watch(Command{{CHU_CTL, "watch"}, cluster.leader_bus()});
    REQUIRE(watch.line(10s));

    expect(ctl(cluster.secondary_bus(), {"abort"}), 2, "--yes");  // no terminal to ask on
    expect(ctl(cluster.secondary_bus(), {"abort", "--yes"}), 0, "abort: no further step starts on any node");

    REQUIRE(leader.wait_for_state("aborted"));
    REQUIRE(leader.wait_for([&] { return !leader.completions().empty(); }));
    CHECK(leader.completions().front().first == "aborted");
    REQUIRE(follower.wait_for_state("aborted"));
    const Ran watched = watch.finish(10s);
    CHECK(watched.status == 1);
    CHECK_THAT(watched.out, Contains("the upgrade is aborted"));
    expect(ctl(cluster.leader_bus(), {"abort", "--yes"}), 1, "the upgrade is over (aborted); nothing to abort");
}

// Skip starts a new round: a node answers an order of the old round from its journal, with the failure.
TEST_CASE("a failed step skipped from a follower counts as done, and the cluster goes on", "[bus]")
{
    BusCluster cluster({"--fail-once", "stop-frontend"});
    Observer leader(cluster.leader_bus());
    REQUIRE(leader.wait_for([&] { return has_failed_at(leader, "stop-frontend"); }));
    expect(ctl(cluster.secondary_bus(), {"skip", "--yes"}), 0, "skip step stop-frontend (phase 3) on fe1.example.com");
    REQUIRE(leader.wait_for_state("awaiting-approval", 5s));  // a whole run takes under a second
}

TEST_CASE("only root may take decisions on the bus, anyone may read the state", "[bus][policy]")
{
    if (geteuid() != 0) {
        WARN("not root: cannot run commands as nobody, so the bus policy is not tested here (CI runs as root)");
        return;
    }
    BusCluster cluster({"--no-auto-start"});
    Observer leader(cluster.leader_bus());
    REQUIRE(leader.wait_for_state("idle"));

    expect(ctl(cluster.leader_bus(), {"start"}, true), 4, "only root may start the upgrade: run it with sudo");
    expect(ctl(cluster.secondary_bus(), {"approve", "--yes"}, true), 4, "only root may approve the cleanup: run it with sudo");
    expect(ctl(cluster.leader_bus(), {"plan"}, true), 4, "only root may read the plan: run it with sudo");
    const auto raw = run({{"busctl", "call", bus::name, bus::object_path, bus::name, "Abort"}, cluster.leader_bus(), true});
    CHECK(raw.status != 0);
    CHECK_THAT(raw.err, Contains("Access denied"));

    expect(ctl(cluster.leader_bus(), {"status"}, true), 0, "be1.example.com");
    CHECK(busctl_properties(cluster.secondary_bus(), true).at(0) == "s \"be2.example.com\"");
    const auto introspect = run({{"busctl", "introspect", bus::name, bus::object_path}, cluster.leader_bus(), true});
    CHECK(introspect.status == 0);
    CHECK_THAT(introspect.out, Contains(".ApproveCleanup"));
    // Nothing the unprivileged calls asked for happened.
    expect(ctl(cluster.leader_bus(), {"status", "--json"}), 0, "\"state\":\"idle\"");
}

TEST_CASE("a second daemon on the same bus is refused the name and says why", "[bus]")
{
    BusCluster cluster({"--no-auto-start"});
    const auto second =
        run({{CHU_BUS_CLUSTER, "--leader-bus", cluster.leader_bus(), "--secondary-bus", cluster.secondary_bus()}});
    CHECK(second.status == 1);
    CHECK_THAT(second.err, Contains("cannot own net.chefhaupgrade.Upgrade1") && Contains("another chef-ha-upgraded runs"));
}

TEST_CASE("without the daemon, the ctl says it is not running and exits 3", "[bus][ctl]")
{
    PrivateBus bus;
    const auto status = ctl(bus.address(), {"status"});
    CHECK(status.status == 3);
    CHECK_THAT(status.err, Contains("chef-ha-upgrade-ctl: chef-ha-upgrade is not running on this node") &&
                               Contains("sudo systemctl status chef-ha-upgrade") &&
                               Contains("sudo journalctl -u chef-ha-upgrade"));
    expect(ctl(bus.address(), {"approve"}), 3, "is not running on this node");
    expect(ctl(bus.address(), {"watch"}), 3, "is not running on this node");

    TempDir nowhere;
    expect(ctl("unix:path=" + nowhere.str() + "/no_bus_here", {"status"}), 3, "the system bus is not reachable");
}

TEST_CASE("the ctl explains every command, and misuse exits 2", "[ctl]")
{
    const auto help = ctl("", {"--help"});
    CHECK(help.status == 0);
    for (const char* verb :
         {"status", "watch", "plan", "start", "pause", "resume", "retry", "skip", "abort", "approve", "report", "check-config"}) {
        CHECK_THAT(help.out, Contains(std::string("  ") + verb));
        const auto one = ctl("", {verb, "--help"});
        CHECK(one.status == 0);
        CHECK_THAT(one.out, Contains(std::string("usage: chef-ha-upgrade-ctl ") + verb));
    }
    expect(ctl("", {}), 2, "a command is needed");
    expect(ctl("", {"frobnicate"}), 2, "unknown command frobnicate");
    expect(ctl("", {"status", "--svg", "x"}), 2, "unexpected argument to status: --svg");
}
