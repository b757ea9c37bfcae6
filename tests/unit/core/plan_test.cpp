// The shipped plans against the seed procedures, add-on phases, placeholders, digests and plan-file refusals.
#include "config/plan_file.hpp"
#include "core/plan.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using Argv = std::vector<std::string>;

namespace {

const std::string kDeb = "/srv/chef-server-core_12.19.31-1_amd64.deb";
const std::string kRpm = "/srv/chef-server-core-12.19.31-1.el7.x86_64.rpm";
const std::string kOldCtl = "/usr/bin/private-chef-ctl";
const std::string kCtl12 = "/usr/bin/chef-server-ctl";

std::string plan_path(const std::string& name)
{
    return std::string(CHU_SOURCE_DIR) + "/conf/plans/" + name + ".plan";
}

chu::Plan loaded(const std::string& name)
{
    chu::Result<chu::Plan> plan = chu::load_plan(plan_path(name), "/nonexistent");
    if (!plan)
        FAIL(plan.error().message);
    return plan.value();
}

chu::Config config_for(const std::string& package)
{
    chu::Config config;
    config.upgrade.package = package;
    return config;
}

chu::Plan effective(const chu::Plan& plan, const chu::Config& config)
{
    chu::Result<chu::Plan> out = chu::effective_plan(plan, config);
    if (!out)
        FAIL(out.error().message);
    return out.value();
}

chu::NodeFacts facts_for(const std::string& package)
{
    return chu::NodeFacts{kOldCtl, package, chu::package_format(package)};
}

// What one role does, as "phase/step: what", in plan order: argv tokens joined by single spaces.
struct Entry {
    std::string phase;
    std::string step;
    chu::Action action;
    int phase_index = 0;
    const chu::Step* plan_step = nullptr;

    std::string line() const
    {
        std::string what;
        switch (action.kind) {
        case chu::StepKind::run:
            for (const auto& t : action.argv)
                what += (what.empty() ? "" : " ") + t;
            break;
        case chu::StepKind::check: what = std::string("check ") + chu::check_name(action.check); break;
        case chu::StepKind::copy: what = "receive " + action.dir; break;
        case chu::StepKind::gate: what = "gate"; break;
        }
        return phase + "/" + step + ": " + what;
    }
};

struct Schedule {
    std::vector<Entry> entries;

    std::vector<std::string> lines() const
    {
        std::vector<std::string> out;
        for (const auto& e : entries)
            out.push_back(e.line());
        return out;
    }

    // Index of the first entry running exactly `argv`, or -1.
    int find_argv(const Argv& argv) const
    {
        for (std::size_t i = 0; i < entries.size(); ++i)
            if (entries[i].action.kind == chu::StepKind::run && entries[i].action.argv == argv)
                return static_cast<int>(i);
        return -1;
    }

    int find_step(const std::string& step_id) const
    {
        for (std::size_t i = 0; i < entries.size(); ++i)
            if (entries[i].step == step_id)
                return static_cast<int>(i);
        return -1;
    }

    // Any run entry whose argv, after argv[0], starts with `verb...`.
    bool runs_verb(const Argv& verb) const
    {
        return std::any_of(entries.begin(), entries.end(), [&](const Entry& e) {
            return e.action.kind == chu::StepKind::run && e.action.argv.size() == verb.size() + 1 &&
                   std::equal(verb.begin(), verb.end(), e.action.argv.begin() + 1);
        });
    }

    int phase_of_verb(const Argv& verb) const
    {
        for (const auto& e : entries)
            if (e.action.kind == chu::StepKind::run && e.action.argv.size() == verb.size() + 1 &&
                std::equal(verb.begin(), verb.end(), e.action.argv.begin() + 1))
                return e.phase_index;
        return -1;
    }
};

Schedule schedule(const chu::Plan& plan, chu::Role role, const chu::Config& config, const chu::NodeFacts& facts)
{
    auto steps = chu::node_schedule(plan, role, config, facts);
    if (!steps)
        FAIL(steps.error().message);
    Schedule out;
    for (const auto& s : steps.value()) {
        const chu::Phase& phase = plan.phases.at(static_cast<std::size_t>(s.phase));
        const chu::Step& step = phase.steps.at(static_cast<std::size_t>(s.step));
        out.entries.push_back({phase.id, step.id, s.action, s.phase, &step});
    }
    return out;
}

int phase_index(const chu::Plan& plan, const std::string& id)
{
    for (std::size_t i = 0; i < plan.phases.size(); ++i)
        if (plan.phases[i].id == id)
            return static_cast<int>(i);
    FAIL("no phase " + id);
    return -1;
}

const chu::Step& step_of(const chu::Plan& plan, const std::string& id)
{
    for (const auto& phase : plan.phases)
        for (const auto& step : phase.steps)
            if (step.id == id)
                return step;
    FAIL("no step " + id);
    throw std::logic_error("unreachable");
}

const std::vector<chu::Role> kRoles = {chu::Role::bootstrap, chu::Role::secondary, chu::Role::frontend};

// A small plan that loads; the refusal tests below each break one thing in a copy of it.
const std::string kValid = R"([plan]
name = tiny
ctl = chef_server_ctl

[phase stop]
downtime = begins

[step stop-all]
roles = all
run = {ctl} stop

[phase start]
downtime = ends

[step start-all]
roles = all
run = {ctl} start
)";

chu::Plan parsed(const std::string& text)
{
    chu::Result<chu::Plan> plan = chu::parse_plan_text(text, "good.plan");
    if (!plan)
        FAIL(plan.error().message);
    return plan.value();
}

// parse_plan_text refuses `text` at `line` of bad.plan with a message containing `phrase`.
void require_refusal(const std::string& text, int line, const std::string& phrase)
{
    INFO(text);
    chu::Result<chu::Plan> plan = chu::parse_plan_text(text, "bad.plan");
    REQUIRE_FALSE(plan);
    CHECK_THAT(plan.error().message, StartsWith("bad.plan:" + std::to_string(line) + ": "));
    CHECK_THAT(plan.error().message, Contains(phrase));
}

// Cases of one shape: parse_plan_text refuses each `text` at `line` of bad.plan, with `phrase`.
struct Refusal {
    const char* what;
    std::string text;
    int line;
    const char* phrase;
};

void require_refusals(const std::vector<Refusal>& refusals)
{
    for (const Refusal& r : refusals) {
        DYNAMIC_SECTION(r.what)
        {
            require_refusal(r.text, r.line, r.phrase);
        }
    }
}

chu::Step run_step(const std::string& id, const Argv& run, int line)
{
    chu::Step s;
    s.id = id;
    s.roles = chu::all_roles;
    s.run = run;
    s.line = line;
    return s;
}

// kValid built in code, at the lines its text gives each section: the core's rules need no plan file.
chu::Plan tiny_plan()
{
    chu::Plan plan;
    plan.name = "tiny";
    plan.ctl = "chef_server_ctl";
    plan.file = "code.plan";
    plan.line = 1;
    auto phase = [&](const std::string& id, int line, chu::Step step) {
        chu::Phase& p = plan.phases.emplace_back();
        p.id = p.title = id;
        p.line = line;
        p.steps.push_back(std::move(step));
        return &p;
    };
    phase("stop", 5, run_step("stop-all", {"{ctl}", "stop"}, 8))->downtime_begins = true;
    phase("start", 12, run_step("start-all", {"{ctl}", "start"}, 15))->downtime_ends = true;
    return plan;
}

}  // namespace

// ------------------------------------------------------------------------------------------ loading

TEST_CASE("both shipped plans load by path and become effective with the default config", "[plan]")
{
    for (const std::string name : {"chef-server-12", "enterprise-chef-11"}) {
        INFO(name);
        const chu::Plan plan = loaded(name);
        CHECK(plan.name == name);
        CHECK(plan.file == plan_path(name));
        CHECK_FALSE(plan.phases.empty());
        const chu::Plan eff = effective(plan, chu::Config{});
        CHECK(eff.phases.size() == plan.phases.size() + 1);
    }
    CHECK(loaded("chef-server-12").ctl == "chef_server_ctl");
    CHECK(loaded("enterprise-chef-11").ctl == "private_chef_ctl");
}

TEST_CASE("a plan is found by name in the plans directory, and a missing one is named", "[plan]")
{
    chu::Result<chu::Plan> by_name = chu::load_plan("chef-server-12", std::string(CHU_SOURCE_DIR) + "/conf/plans");
    REQUIRE(by_name);
    CHECK(by_name->name == "chef-server-12");

    chu::Result<chu::Plan> missing = chu::load_plan("chef-server-99", "/nonexistent-plans");
    REQUIRE_FALSE(missing);
    CHECK_THAT(missing.error().message, Contains("/nonexistent-plans/chef-server-99.plan"));
}

TEST_CASE("phase 0 of every effective plan is the join, with no steps", "[plan]")
{
    for (const std::string name : {"chef-server-12", "enterprise-chef-11"}) {
        INFO(name);
        const chu::Plan eff = effective(loaded(name), config_for(kDeb));
        REQUIRE_FALSE(eff.phases.empty());
        CHECK(eff.phases.front().id == "join");
        CHECK(eff.phases.front().steps.empty());
        CHECK(std::count_if(eff.phases.begin(), eff.phases.end(), [](const chu::Phase& p) { return p.id == "join"; }) == 1);
    }
}

// ------------------------------------------------------------------------------------------ chef-server-12

TEST_CASE("every role runs exactly the chef-server-12 seed's steps, in order", "[plan][seed]")
{
    const chu::Config config = config_for(kDeb);
    const chu::Plan eff = effective(loaded("chef-server-12"), config);
    const std::string old_ctl = kOldCtl, ctl = kCtl12;

    CHECK(schedule(eff, chu::Role::bootstrap, config, facts_for(kDeb)).lines() ==
          std::vector<std::string>{
              "preflight/check-package: check package",
              "preflight/check-ctl: check ctl",
              "preflight/check-disk-space: check disk-space",
              "preflight/check-make: check make",
              "preflight/check-keepalived-running: " + old_ctl + " status keepalived",
              "preflight/check-keepalived: check keepalived-status",
              "preflight/check-open-source-chef: check open-source-chef",
              "preflight/check-migration-level: check migration-level",
              "reconfigure/reconfigure: " + old_ctl + " reconfigure",
              "failover/wait-bootstrap-master: check keepalived-master",
              "install/install-package: /usr/bin/dpkg -D10 -i " + kDeb,
              "stop-bootstrap/stop-bootstrap: " + ctl + " stop",
              "upgrade-bootstrap/upgrade-bootstrap: " + ctl + " upgrade",
              "upgrade-secondary/keepalived-status: check keepalived-status",
              "upgrade-secondary/fix-restart-keepalived-bootstrap: " + ctl + " restart keepalived",
              "upgrade-secondary/fix-wait-bootstrap-master: check keepalived-master",
              "start/start: " + ctl + " start",
              "verify/status: " + ctl + " status",
              "verify/ha-status: " + ctl + " ha-status",
              "verify/approve-cleanup: gate",
              "cleanup/cleanup: " + ctl + " cleanup",
          });

    CHECK(schedule(eff, chu::Role::secondary, config, facts_for(kDeb)).lines() ==
          std::vector<std::string>{
              "preflight/check-package: check package",
              "preflight/check-ctl: check ctl",
              "preflight/check-disk-space: check disk-space",
              "preflight/check-keepalived-running: " + old_ctl + " status keepalived",
              "preflight/check-keepalived: check keepalived-status",
              "preflight/check-open-source-chef: check open-source-chef",
              "preflight/check-migration-level: check migration-level",
              "reconfigure/reconfigure: " + old_ctl + " reconfigure",
              "failover/stop-keepalived-secondary: " + old_ctl + " stop keepalived",
              "install/install-package: /usr/bin/dpkg -D10 -i " + kDeb,
              "copy-opscode/copy-opscode: receive /etc/opscode",
              "upgrade-secondary/upgrade-secondary: " + ctl + " upgrade",
              "upgrade-secondary/start-keepalived-secondary: " + ctl + " start keepalived",
              "upgrade-secondary/fix-stop-keepalived-secondary: " + ctl + " stop keepalived",
              "upgrade-secondary/fix-restart-keepalived-secondary: " + ctl + " restart keepalived",
              "upgrade-secondary/wait-secondary-backup: check keepalived-backup",
              "verify/ha-status: " + ctl + " ha-status",
              "cleanup/cleanup: " + ctl + " cleanup",
          });

    CHECK(schedule(eff, chu::Role::frontend, config, facts_for(kDeb)).lines() ==
          std::vector<std::string>{
              "preflight/check-package: check package",
              "preflight/check-ctl: check ctl",
              "preflight/check-disk-space: check disk-space",
              "preflight/check-open-source-chef: check open-source-chef",
              "preflight/check-migration-level: check migration-level",
              "reconfigure/reconfigure: " + old_ctl + " reconfigure",
              "stop-frontends/stop-frontend: " + old_ctl + " stop",
              "install/install-package: /usr/bin/dpkg -D10 -i " + kDeb,
              "copy-opscode/copy-opscode: receive /etc/opscode",
              "upgrade-frontends/upgrade-frontend: " + ctl + " upgrade",
              "start/start: " + ctl + " start",
              "verify/status: " + ctl + " status",
              "cleanup/cleanup: " + ctl + " cleanup",
          });
}

TEST_CASE("every node installs the package with the chef-server-12 seed's exact dpkg or rpm command", "[plan][seed]")
{
    const chu::Plan plan = loaded("chef-server-12");
    for (chu::Role role : kRoles) {
        INFO(chu::role_name(role));
        const chu::Config deb_config = config_for(kDeb);
        const Schedule deb = schedule(effective(plan, deb_config), role, deb_config, facts_for(kDeb));
        CHECK(deb.find_argv({"/usr/bin/dpkg", "-D10", "-i", kDeb}) >= 0);

        const chu::Config rpm_config = config_for(kRpm);
        const Schedule rpm = schedule(effective(plan, rpm_config), role, rpm_config, facts_for(kRpm));
        CHECK(rpm.find_argv({"/usr/bin/rpm", "-Uvh", "--nopostun", kRpm}) >= 0);
        CHECK_FALSE(rpm.runs_verb({"-D10", "-i", kRpm}));
    }
}

TEST_CASE("only the secondary stops keepalived before the install, and never the bootstrap or a frontend", "[plan][seed]")
{
    for (const std::string name : {"chef-server-12", "enterprise-chef-11"}) {
        INFO(name);
        const chu::Config config = config_for(kDeb);
        const chu::Plan eff = effective(loaded(name), config);
        const Argv install = {"/usr/bin/dpkg", "-D10", "-i", kDeb};

        const Schedule secondary = schedule(eff, chu::Role::secondary, config, facts_for(kDeb));
        const int stop_keepalived = secondary.find_argv({kOldCtl, "stop", "keepalived"});
        REQUIRE(stop_keepalived >= 0);
        CHECK(stop_keepalived < secondary.find_argv(install));
        CHECK(secondary.entries[static_cast<std::size_t>(stop_keepalived)].phase_index < phase_index(eff, "install"));

        for (chu::Role role : {chu::Role::bootstrap, chu::Role::frontend}) {
            INFO(chu::role_name(role));
            const Schedule s = schedule(eff, role, config, facts_for(kDeb));
            CHECK_FALSE(s.runs_verb({"stop", "keepalived"}));
        }
    }
}

TEST_CASE("every node reconfigures with the old ctl before anything is stopped in the chef-server-12 plan", "[plan][seed]")
{
    const chu::Config config = config_for(kDeb);
    const chu::Plan eff = effective(loaded("chef-server-12"), config);
    for (chu::Role role : kRoles) {
        INFO(chu::role_name(role));
        const Schedule s = schedule(eff, role, config, facts_for(kDeb));
        const int reconfigure = s.find_argv({kOldCtl, "reconfigure"});
        REQUIRE(reconfigure >= 0);
        int first_stop = -1;
        for (std::size_t i = 0; i < s.entries.size() && first_stop < 0; ++i)
            if (s.entries[i].action.kind == chu::StepKind::run && s.entries[i].action.argv.size() >= 2 &&
                s.entries[i].action.argv[1] == "stop")
                first_stop = static_cast<int>(i);
        REQUIRE(first_stop >= 0);
        CHECK(reconfigure < first_stop);
        CHECK(s.entries[static_cast<std::size_t>(reconfigure)].phase_index <
              s.entries[static_cast<std::size_t>(first_stop)].phase_index);
    }
    CHECK(step_of(eff, "reconfigure").order == chu::NodeOrder::backends_serial);
}

TEST_CASE("the frontends are stopped in a phase before any node installs the package", "[plan][seed]")
{
    for (const std::string name : {"chef-server-12", "enterprise-chef-11"}) {
        INFO(name);
        const chu::Config config = config_for(kDeb);
        const chu::Plan eff = effective(loaded(name), config);
        const int stop_frontends = schedule(eff, chu::Role::frontend, config, facts_for(kDeb)).phase_of_verb({"stop"});
        REQUIRE(stop_frontends >= 0);
        for (chu::Role role : kRoles) {
            INFO(chu::role_name(role));
            const Schedule s = schedule(eff, role, config, facts_for(kDeb));
            const int install = s.find_argv({"/usr/bin/dpkg", "-D10", "-i", kDeb});
            REQUIRE(install >= 0);
            CHECK(stop_frontends < s.entries[static_cast<std::size_t>(install)].phase_index);
        }
    }
}

TEST_CASE("the bootstrap stops, then upgrades, before /etc/opscode is copied, re-running on timeout and failure", "[plan][seed]")
{
    const chu::Config config = config_for(kDeb);
    const chu::Plan eff = effective(loaded("chef-server-12"), config);
    const Schedule s = schedule(eff, chu::Role::bootstrap, config, facts_for(kDeb));
    const int stop = s.find_argv({kCtl12, "stop"});
    const int upgrade = s.find_argv({kCtl12, "upgrade"});
    REQUIRE(stop >= 0);
    REQUIRE(upgrade >= 0);
    const int stop_phase = s.entries[static_cast<std::size_t>(stop)].phase_index;
    const int upgrade_phase = s.entries[static_cast<std::size_t>(upgrade)].phase_index;
    const int copy_phase = phase_index(eff, "copy-opscode");
    CHECK(phase_index(eff, "install") < stop_phase);
    CHECK(stop_phase < upgrade_phase);
    CHECK(upgrade_phase < copy_phase);

    for (const std::string id : {"stop-bootstrap", "upgrade-bootstrap"}) {
        INFO(id);
        const chu::Step& step = step_of(eff, id);
        CHECK(step.roles == chu::role_bit(chu::Role::bootstrap));
        // "If the upgrade process times out, re-run the command": the command's own timeout exits non-zero;
        // no timer of ours kills it.
        CHECK_FALSE(chu::only_reads(step));
        CHECK_FALSE(step.retry_on_timeout);
        CHECK(step.retry_on_failure);
        CHECK(step.retries > 0);
    }

    // The copy is sent from the bootstrap to every other node.
    const chu::Step& copy = step_of(eff, "copy-opscode");
    CHECK(copy.kind == chu::StepKind::copy);
    CHECK(copy.roles == (chu::role_bit(chu::Role::secondary) | chu::role_bit(chu::Role::frontend)));
}

TEST_CASE("the secondary never starts chef services in the chef-server-12 plan", "[plan][seed]")
{
    const chu::Config config = config_for(kDeb);
    const chu::Plan eff = effective(loaded("chef-server-12"), config);
    CHECK_FALSE(schedule(eff, chu::Role::secondary, config, facts_for(kDeb)).runs_verb({"start"}));
    for (chu::Role role : {chu::Role::bootstrap, chu::Role::frontend}) {
        INFO(chu::role_name(role));
        const Schedule s = schedule(eff, role, config, facts_for(kDeb));
        const int start = s.find_argv({kCtl12, "start"});
        REQUIRE(start >= 0);
        CHECK(s.entries[static_cast<std::size_t>(start)].phase == "start");
    }
}

TEST_CASE("cleanup is the last step on every node, after the approval gate, and tolerates the chef-mover error", "[plan][seed]")
{
    for (const std::string name : {"chef-server-12", "enterprise-chef-11"}) {
        INFO(name);
        const chu::Config config = config_for(kDeb);
        const chu::Plan eff = effective(loaded(name), config);
        const std::string ctl = name == "chef-server-12" ? kCtl12 : kOldCtl;

        const Schedule bootstrap = schedule(eff, chu::Role::bootstrap, config, facts_for(kDeb));
        const int gate = bootstrap.find_step("approve-cleanup");
        REQUIRE(gate >= 0);
        CHECK(bootstrap.entries[static_cast<std::size_t>(gate)].action.kind == chu::StepKind::gate);
        const int gate_phase = bootstrap.entries[static_cast<std::size_t>(gate)].phase_index;

        for (chu::Role role : kRoles) {
            INFO(chu::role_name(role));
            const Schedule s = schedule(eff, role, config, facts_for(kDeb));
            REQUIRE_FALSE(s.entries.empty());
            const Entry& last = s.entries.back();
            CHECK(last.action.argv == Argv{ctl, "cleanup"});
            CHECK(last.phase_index > gate_phase);
            CHECK(last.plan_step->harmless == std::vector<std::string>{"[ERROR] opscode-chef-mover is not running"});
            if (role != chu::Role::bootstrap)
                CHECK(s.find_step("approve-cleanup") < 0);
        }
    }
}

TEST_CASE("make is checked on the bootstrap only in the chef-server-12 plan, and nowhere in enterprise-chef-11", "[plan][seed]")
{
    const chu::Config config = config_for(kDeb);
    auto checks_make = [&](const chu::Plan& eff, chu::Role role) {
        const Schedule s = schedule(eff, role, config, facts_for(kDeb));
        return std::any_of(s.entries.begin(), s.entries.end(), [](const Entry& e) {
            return e.action.kind == chu::StepKind::check && e.action.check == chu::Check::make;
        });
    };
    const chu::Plan cs12 = effective(loaded("chef-server-12"), config);
    CHECK(checks_make(cs12, chu::Role::bootstrap));
    CHECK_FALSE(checks_make(cs12, chu::Role::secondary));
    CHECK_FALSE(checks_make(cs12, chu::Role::frontend));
    const chu::Plan ec11 = effective(loaded("enterprise-chef-11"), config);
    for (chu::Role role : kRoles)
        CHECK_FALSE(checks_make(ec11, role));
}

TEST_CASE("downtime begins when the frontends stop and ends at start (12) or upgrade-frontends (11)", "[plan][seed]")
{
    auto marked = [](const chu::Plan& plan, bool chu::Phase::*mark) {
        std::vector<std::string> ids;
        for (const auto& p : plan.phases)
            if (p.*mark)
                ids.push_back(p.id);
        return ids;
    };
    const chu::Plan cs12 = effective(loaded("chef-server-12"), chu::Config{});
    CHECK(marked(cs12, &chu::Phase::downtime_begins) == std::vector<std::string>{"stop-frontends"});
    CHECK(marked(cs12, &chu::Phase::downtime_ends) == std::vector<std::string>{"start"});
    const chu::Plan ec11 = effective(loaded("enterprise-chef-11"), chu::Config{});
    CHECK(marked(ec11, &chu::Phase::downtime_begins) == std::vector<std::string>{"stop-frontends"});
    CHECK(marked(ec11, &chu::Phase::downtime_ends) == std::vector<std::string>{"upgrade-frontends"});
}

// ------------------------------------------------------------------------------------------ enterprise-chef-11

TEST_CASE("every role runs exactly the enterprise-chef-11 seed's steps, in order", "[plan][seed]")
{
    const chu::Config config = config_for(kRpm);
    const chu::Plan eff = effective(loaded("enterprise-chef-11"), config);
    const std::string ctl = kOldCtl;
    const std::string install = "install/install-package: /usr/bin/rpm -Uvh " + kRpm;

    CHECK(schedule(eff, chu::Role::bootstrap, config, facts_for(kRpm)).lines() ==
          std::vector<std::string>{
              "preflight/check-package: check package",
              "preflight/check-ctl: check ctl",
              "preflight/check-disk-space: check disk-space",
              "preflight/check-keepalived-running: " + ctl + " status keepalived",
              "preflight/check-keepalived: check keepalived-status",
              "preflight/check-migration-level: check migration-level",
              "failover/wait-bootstrap-master: check keepalived-master",
              install,
              "upgrade-bootstrap/upgrade-bootstrap: " + ctl + " upgrade",
              "upgrade-secondary/fix-restart-keepalived-bootstrap: " + ctl + " restart keepalived",
              "upgrade-secondary/fix-wait-bootstrap-master: check keepalived-master",
              "verify/status: " + ctl + " status",
              "verify/ha-status: " + ctl + " ha-status",
              "verify/approve-cleanup: gate",
              "cleanup/cleanup: " + ctl + " cleanup",
          });

    CHECK(schedule(eff, chu::Role::secondary, config, facts_for(kRpm)).lines() ==
          std::vector<std::string>{
              "preflight/check-package: check package",
              "preflight/check-ctl: check ctl",
              "preflight/check-disk-space: check disk-space",
              "preflight/check-keepalived-running: " + ctl + " status keepalived",
              "preflight/check-keepalived: check keepalived-status",
              "preflight/check-migration-level: check migration-level",
              "failover/stop-keepalived-secondary: " + ctl + " stop keepalived",
              install,
              "copy-opscode/copy-opscode: receive /etc/opscode",
              "upgrade-secondary/upgrade-secondary: " + ctl + " upgrade",
              "upgrade-secondary/fix-stop-keepalived-secondary: " + ctl + " stop keepalived",
              "upgrade-secondary/fix-restart-keepalived-secondary: " + ctl + " restart keepalived",
              "upgrade-secondary/upgrade-secondary-again: " + ctl + " upgrade",
              "verify/ha-status: " + ctl + " ha-status",
              "cleanup/cleanup: " + ctl + " cleanup",
          });

    CHECK(schedule(eff, chu::Role::frontend, config, facts_for(kRpm)).lines() ==
          std::vector<std::string>{
              "preflight/check-package: check package",
              "preflight/check-ctl: check ctl",
              "preflight/check-disk-space: check disk-space",
              "preflight/check-migration-level: check migration-level",
              "stop-frontends/stop-frontend: " + ctl + " stop",
              install,
              "copy-opscode/copy-opscode: receive /etc/opscode",
              "upgrade-frontends/upgrade-frontend: " + ctl + " upgrade",
              "upgrade-frontends/start-frontend: " + ctl + " start",
              "verify/status: " + ctl + " status",
              "cleanup/cleanup: " + ctl + " cleanup",
          });
}

TEST_CASE("the enterprise-chef-11 plan installs with plain rpm -Uvh or dpkg -D10 -i", "[plan][seed]")
{
    const chu::Plan plan = loaded("enterprise-chef-11");
    for (chu::Role role : kRoles) {
        INFO(chu::role_name(role));
        const chu::Config rpm_config = config_for(kRpm);
        const Schedule rpm = schedule(effective(plan, rpm_config), role, rpm_config, facts_for(kRpm));
        CHECK(rpm.find_argv({"/usr/bin/rpm", "-Uvh", kRpm}) >= 0);
        CHECK_FALSE(rpm.runs_verb({"-Uvh", "--nopostun", kRpm}));

        const chu::Config deb_config = config_for(kDeb);
        const Schedule deb = schedule(effective(plan, deb_config), role, deb_config, facts_for(kDeb));
        CHECK(deb.find_argv({"/usr/bin/dpkg", "-D10", "-i", kDeb}) >= 0);
    }
}

TEST_CASE("after the install the enterprise-chef-11 plan runs only private-chef-ctl, never chef-server-ctl", "[plan][seed]")
{
    chu::Config config = config_for(kDeb);
    const chu::Plan eff = effective(loaded("enterprise-chef-11"), config);
    const int install = phase_index(eff, "install");
    for (chu::Role role : kRoles) {
        INFO(chu::role_name(role));
        const Schedule s = schedule(eff, role, config, facts_for(kDeb));
        for (const auto& e : s.entries) {
            INFO(e.line());
            if (e.action.kind == chu::StepKind::run && e.phase_index > install)
                CHECK(e.action.argv.front() == config.commands.private_chef_ctl);
            if (e.action.kind == chu::StepKind::run)
                CHECK(e.action.argv.front() != config.commands.chef_server_ctl);
        }
    }
}

TEST_CASE("each frontend upgrades and then starts in the enterprise-chef-11 plan", "[plan][seed]")
{
    const chu::Config config = config_for(kDeb);
    const chu::Plan eff = effective(loaded("enterprise-chef-11"), config);
    const Schedule s = schedule(eff, chu::Role::frontend, config, facts_for(kDeb));
    const int upgrade = s.find_argv({kOldCtl, "upgrade"});
    const int start = s.find_argv({kOldCtl, "start"});
    REQUIRE(upgrade >= 0);
    REQUIRE(start == upgrade + 1);
    CHECK(s.entries[static_cast<std::size_t>(upgrade)].phase_index == s.entries[static_cast<std::size_t>(start)].phase_index);
    // The backends come up through their own upgrade: the seed starts nothing else.
    CHECK_FALSE(schedule(eff, chu::Role::bootstrap, config, facts_for(kDeb)).runs_verb({"start"}));
    CHECK_FALSE(schedule(eff, chu::Role::secondary, config, facts_for(kDeb)).runs_verb({"start"}));
    // The bootstrap upgrade is re-run until it finishes, as the seed says.
    const chu::Step& upgrade_bootstrap = step_of(eff, "upgrade-bootstrap");
    CHECK_FALSE(chu::only_reads(upgrade_bootstrap));
    CHECK(upgrade_bootstrap.retry_on_failure);
}

// ------------------------------------------------------------------------------------------ add-ons

TEST_CASE("opscode-manage adds a last phase on the frontends only: install, reconfigure, configure, the first frontend's "
          "directory copied to the others, configure again",
          "[plan][addon]")
{
    chu::Config config = config_for(kDeb);
    config.upgrade.addons = {"opscode-manage"};
    const chu::Plan plan = loaded("chef-server-12");
    const chu::Plan eff = effective(plan, config);
    REQUIRE(eff.phases.size() == plan.phases.size() + 2);
    const chu::Phase& addon = eff.phases.back();
    CHECK(addon.id == "addon-opscode-manage");
    REQUIRE(addon.steps.size() == 5);
    for (const auto& step : addon.steps) {
        INFO(step.id);
        CHECK(step.roles == chu::role_bit(chu::Role::frontend));
    }
    // Chef's HA install docs: manage's secrets.rb from one frontend to the others, then its reconfigure again.
    CHECK(addon.steps[3].kind == chu::StepKind::copy);
    CHECK(addon.steps[3].copy == "{etc_dir}/opscode-manage");
    CHECK(addon.steps[3].copy_from == chu::CopySource::frontend);
    CHECK(addon.steps[4].run == addon.steps[2].run);

    const Schedule frontend = schedule(eff, chu::Role::frontend, config, facts_for(kDeb));
    REQUIRE(frontend.entries.size() >= 5);
    const std::size_t n = frontend.entries.size();
    CHECK(frontend.entries[n - 5].action.argv == Argv{kCtl12, "install", "opscode-manage"});
    CHECK(frontend.entries[n - 4].action.argv == Argv{kCtl12, "reconfigure"});
    CHECK(frontend.entries[n - 3].action.argv == Argv{"/usr/bin/opscode-manage-ctl", "reconfigure"});
    CHECK(frontend.entries[n - 2].action.dir == "/etc/opscode-manage");
    CHECK(frontend.entries[n - 1].action.argv == Argv{"/usr/bin/opscode-manage-ctl", "reconfigure"});

    const int addon_phase = static_cast<int>(eff.phases.size()) - 1;
    for (chu::Role role : {chu::Role::bootstrap, chu::Role::secondary}) {
        INFO(chu::role_name(role));
        const Schedule s = schedule(eff, role, config, facts_for(kDeb));
        CHECK(std::none_of(s.entries.begin(), s.entries.end(), [&](const Entry& e) { return e.phase_index == addon_phase; }));
    }
}

TEST_CASE("a copy from a frontend is only for frontends", "[plan][file]")
{
    const std::string copy_step = "[step c]\nroles = frontend\ncopy = /etc/opscode-manage\nfrom = frontend\n";
    CHECK(parsed(kValid + copy_step).phases.back().steps.back().copy_from == chu::CopySource::frontend);
    require_refusal(kValid + "[step c]\nroles = secondary, frontend\ncopy = /etc/x\nfrom = frontend\n", 18,
                    "from = frontend is for a copy step with roles = frontend");
    require_refusal(kValid + "[step c]\nroles = frontend\nrun = {ctl} status\nfrom = frontend\n", 18,
                    "from = frontend is for a copy step");
    require_refusal(kValid + "[step c]\nroles = frontend\ncopy = /etc/x\nfrom = secondary\n", 21,
                    "a copy comes from the bootstrap or the (first) frontend");
    require_refusal(kValid + "[addon a]\nroles = all\ncopy = /etc/a\ncopy_from = frontend\ninstall = i\nreconfigure = r\n"
                             "configure = c\n",
                    18, "copy_from = frontend needs copy and roles = frontend");
}

TEST_CASE("opscode-push-jobs-server installs on the bootstrap, copies its directory, installs on the others, then "
          "reconfigures the backends again",
          "[plan][addon]")
{
    chu::Config config = config_for(kDeb);
    config.upgrade.addons = {"opscode-push-jobs-server"};
    const chu::Plan eff = effective(loaded("chef-server-12"), config);
    const chu::Phase& addon = eff.phases.back();
    CHECK(addon.id == "addon-opscode-push-jobs-server");
    REQUIRE(addon.steps.size() == 8);
    const chu::RoleMask bootstrap = chu::role_bit(chu::Role::bootstrap);
    const chu::RoleMask others = chu::role_bit(chu::Role::secondary) | chu::role_bit(chu::Role::frontend);
    const Argv install = {"{ctl}", "install", "opscode-push-jobs-server", "{addons_path_args}"};
    const Argv reconfigure = {"{ctl}", "reconfigure"};
    const Argv addon_reconfigure = {"{ctl_dir}/opscode-push-jobs-server-ctl", "reconfigure"};

    for (std::size_t i : {0u, 4u}) {
        const chu::RoleMask roles = i == 0 ? bootstrap : others;
        CHECK(addon.steps[i].run == install);
        CHECK(addon.steps[i + 1].run == reconfigure);
        CHECK(addon.steps[i + 2].run == addon_reconfigure);
        CHECK(addon.steps[i].roles == roles);
        CHECK(addon.steps[i + 1].roles == roles);
        CHECK(addon.steps[i + 2].roles == roles);
    }
    CHECK(addon.steps[3].kind == chu::StepKind::copy);
    CHECK(addon.steps[3].copy == "{etc_dir}/opscode-push-jobs-server");  // beside opscode_dir
    const chu::NodeFacts facts{"/usr/bin/private-chef-ctl", config.upgrade.package, chu::PackageFormat::deb};
    CHECK(chu::resolve_action(addon.steps[3], config, eff, facts).value().dir == "/etc/opscode-push-jobs-server");
    chu::Config moved = config;
    moved.paths.opscode_dir = "/srv/node1/etc/opscode";
    CHECK(chu::resolve_action(addon.steps[3], moved, eff, facts).value().dir == "/srv/node1/etc/opscode-push-jobs-server");
    CHECK(addon.steps[3].roles == others);

    const std::vector<std::string> tail_bootstrap = {
        "addon-opscode-push-jobs-server/install-opscode-push-jobs-server-bootstrap: " + kCtl12 +
            " install opscode-push-jobs-server",
        "addon-opscode-push-jobs-server/reconfigure-opscode-push-jobs-server-bootstrap: " + kCtl12 + " reconfigure",
        "addon-opscode-push-jobs-server/opscode-push-jobs-server-reconfigure-bootstrap: "
        "/usr/bin/opscode-push-jobs-server-ctl reconfigure",
    };
    // Then the backends, bootstrap first, so that keepalived's scripts know its services (install_server_ha_drbd).
    const chu::Step& again = addon.steps[7];
    CHECK(again.id == "reconfigure-backends-opscode-push-jobs-server");
    CHECK(again.run == reconfigure);
    CHECK(again.roles == (bootstrap | chu::role_bit(chu::Role::secondary)));
    CHECK(again.order == chu::NodeOrder::backends_serial);
    const auto boot = schedule(eff, chu::Role::bootstrap, config, facts_for(kDeb)).lines();
    REQUIRE(boot.size() >= 4);
    CHECK(std::vector<std::string>(boot.end() - 4, boot.end() - 1) == tail_bootstrap);
    CHECK(boot.back() ==
          "addon-opscode-push-jobs-server/reconfigure-backends-opscode-push-jobs-server: " + kCtl12 + " reconfigure");

    for (chu::Role role : {chu::Role::secondary, chu::Role::frontend}) {
        INFO(chu::role_name(role));
        auto lines = schedule(eff, role, config, facts_for(kDeb)).lines();
        if (role == chu::Role::secondary) {
            REQUIRE_FALSE(lines.empty());
            CHECK(lines.back() == boot.back());
            lines.pop_back();
        }
        REQUIRE(lines.size() >= 4);
        CHECK(std::vector<std::string>(lines.end() - 4, lines.end()) ==
              std::vector<std::string>{
                  "addon-opscode-push-jobs-server/copy-opscode-push-jobs-server: receive /etc/opscode-push-jobs-server",
                  "addon-opscode-push-jobs-server/install-opscode-push-jobs-server: " + kCtl12 +
                      " install opscode-push-jobs-server",
                  "addon-opscode-push-jobs-server/reconfigure-opscode-push-jobs-server: " + kCtl12 + " reconfigure",
                  "addon-opscode-push-jobs-server/opscode-push-jobs-server-reconfigure: "
                  "/usr/bin/opscode-push-jobs-server-ctl reconfigure",
              });
    }
}

TEST_CASE("add-on phases follow the cleanup in the order the config names them", "[plan][addon]")
{
    chu::Config config = config_for(kDeb);
    config.upgrade.addons = {"opscode-reporting", "opscode-manage"};
    const chu::Plan plan = loaded("chef-server-12");
    const chu::Plan eff = effective(plan, config);
    REQUIRE(eff.phases.size() == plan.phases.size() + 3);
    CHECK(eff.phases[eff.phases.size() - 3].id == "cleanup");
    CHECK(eff.phases[eff.phases.size() - 2].id == "addon-opscode-reporting");
    CHECK(eff.phases[eff.phases.size() - 1].id == "addon-opscode-manage");
}

TEST_CASE("addons_path becomes --path DIR after the add-on name, and nothing without it", "[plan][addon]")
{
    chu::Config config = config_for(kDeb);
    config.upgrade.addons = {"opscode-manage"};
    const chu::Plan plan = loaded("chef-server-12");

    SECTION("with addons_path")
    {
        config.upgrade.addons_path = "/srv/addons";
        const Schedule s = schedule(effective(plan, config), chu::Role::frontend, config, facts_for(kDeb));
        CHECK(s.find_argv({"/usr/bin/chef-server-ctl", "install", "opscode-manage", "--path", "/srv/addons"}) >= 0);
    }
    SECTION("with an addons_path holding a space, still one argument")
    {
        config.upgrade.addons_path = "/srv/add ons";
        const Schedule s = schedule(effective(plan, config), chu::Role::frontend, config, facts_for(kDeb));
        CHECK(s.find_argv({"/usr/bin/chef-server-ctl", "install", "opscode-manage", "--path", "/srv/add ons"}) >= 0);
    }
    SECTION("without addons_path")
    {
        const Schedule s = schedule(effective(plan, config), chu::Role::frontend, config, facts_for(kDeb));
        CHECK(s.find_argv({"/usr/bin/chef-server-ctl", "install", "opscode-manage"}) >= 0);
        CHECK_FALSE(s.runs_verb({"install", "opscode-manage", "--path", ""}));
    }
}

TEST_CASE("an add-on the plan does not know is refused, naming the ones it knows", "[plan][addon]")
{
    chu::Config config = config_for(kDeb);
    config.upgrade.addons = {"opscode-manage", "opscode-analytics"};
    chu::Result<chu::Plan> eff = chu::effective_plan(loaded("chef-server-12"), config);
    REQUIRE_FALSE(eff);
    CHECK_THAT(eff.error().message, Contains("\"opscode-analytics\""));
    CHECK_THAT(eff.error().message, Contains("opscode-manage, opscode-push-jobs-server, opscode-reporting"));

    config.upgrade.addons = {"opscode-manage"};
    chu::Result<chu::Plan> ec11 = chu::effective_plan(loaded("enterprise-chef-11"), config);
    REQUIRE_FALSE(ec11);
    CHECK_THAT(ec11.error().message, Contains("knows: none"));
}

// ------------------------------------------------------------------------------------------ [commands]

TEST_CASE("[commands] timeout_s replaces every run step's timeout, and 0 keeps the plan's", "[plan][commands]")
{
    chu::Config config = config_for(kDeb);
    config.upgrade.addons = {"opscode-push-jobs-server"};
    const chu::Plan plan = loaded("chef-server-12");

    const chu::Plan kept = effective(plan, config);
    CHECK(step_of(kept, "upgrade-bootstrap").timeout_s == 7200);
    CHECK(step_of(kept, "stop-keepalived-secondary").timeout_s == 300);

    config.commands.timeout_s = 42;
    const chu::Plan eff = effective(plan, config);
    int run_steps = 0;
    for (const auto& phase : eff.phases)
        for (const auto& step : phase.steps)
            if (step.kind == chu::StepKind::run) {
                INFO(step.id);
                CHECK(step.timeout_s == 42u);
                ++run_steps;
            }
    CHECK(run_steps > 20);
    CHECK(step_of(eff, "copy-opscode").timeout_s == 600);  // a transfer, not a command

    // A command that changes the cluster is only shown as stalled then; a read-only one is killed.
    for (chu::Role role : kRoles) {
        const Schedule s = schedule(eff, role, config, facts_for(kDeb));
        for (const auto& e : s.entries) {
            if (e.action.kind != chu::StepKind::run)
                continue;
            const chu::Step& step = *e.plan_step;
            INFO(step.id);
            CHECK((step.read_only ? e.action.timeout_s : e.action.expected_s) == 42u);
            CHECK((step.read_only ? e.action.expected_s : e.action.timeout_s) == 0u);
        }
    }
}

TEST_CASE("only status, ha-status and status keepalived are read-only commands; every check is killed at its timeout",
          "[plan][seed]")
{
    for (const char* name : {"chef-server-12", "enterprise-chef-11"}) {
        INFO(name);
        chu::Config config = config_for(kDeb);
        if (std::string(name) == "chef-server-12")
            config.upgrade.addons = {"opscode-manage", "opscode-push-jobs-server"};
        const chu::Plan eff = effective(loaded(name), config);
        for (const auto& phase : eff.phases)
            for (const auto& step : phase.steps) {
                INFO(step.id);
                const bool reads = step.kind == chu::StepKind::check ||
                                   (step.kind == chu::StepKind::run &&
                                    (step.id == "status" || step.id == "ha-status" || step.id == "check-keepalived-running"));
                CHECK(chu::only_reads(step) == reads);
            }
    }
}

TEST_CASE("retry = timeout is refused on a step that changes the cluster", "[plan][refusal]")
{
    const std::string plan = "[plan]\nname = p\nctl = chef_server_ctl\n[phase a]\ndowntime = begins\n[step s]\nroles = all\n"
                             "run = {ctl} upgrade\nretry = timeout\n[phase b]\ndowntime = ends\n[step t]\nroles = all\n"
                             "run = {ctl} status\nread_only = yes\nretry = timeout\n";
    auto refused = chu::parse_plan_text(plan, "x.plan");
    REQUIRE_FALSE(refused);
    CHECK_THAT(refused.error().message, Catch::Contains("x.plan:6:") && Catch::Contains("retry = failure"));
    const std::string fixed = plan.substr(0, plan.find("retry = timeout")) + plan.substr(plan.find("[phase b]"));
    CHECK(chu::parse_plan_text(fixed, "x.plan"));
}

TEST_CASE("[commands] retries applies where the plan names no retries, and the plan's own count wins", "[plan][commands]")
{
    chu::Config config = config_for(kDeb);
    config.commands.retries = 7;
    config.upgrade.addons = {"opscode-manage"};
    chu::Plan raw = loaded("chef-server-12");
    for (auto& phase : raw.phases)
        for (auto& st : phase.steps)
            if (st.id == "start")
                st.retries = 30;  // the plan's own count
    const chu::Plan eff = effective(raw, config);
    CHECK(step_of(eff, "upgrade-bootstrap").retries == 7);
    CHECK(step_of(eff, "stop-bootstrap").retries == 7);
    CHECK(step_of(eff, "install-opscode-manage").retries == 7);
    CHECK(step_of(eff, "start").retries == 30);
    for (const auto& phase : eff.phases)
        for (const auto& step : phase.steps)
            CHECK(step.retries >= 0);
}

// ------------------------------------------------------------------------------------------ digest

TEST_CASE("plan_digest is stable for the same plan and changes with any step or add-on", "[plan][digest]")
{
    const chu::Config config = config_for(kDeb);
    const chu::Plan base = effective(loaded("chef-server-12"), config);
    const std::string digest = chu::plan_digest(base);
    CHECK(digest.size() == 64);
    CHECK(chu::plan_digest(effective(loaded("chef-server-12"), config)) == digest);
    CHECK(chu::plan_digest(base) == digest);
    CHECK(chu::plan_digest(effective(loaded("enterprise-chef-11"), config)) != digest);

    auto changed = [&](auto&& edit) {
        chu::Plan p = base;
        edit(p);
        return chu::plan_digest(p);
    };
    auto step = [](chu::Plan& p, const std::string& id) -> chu::Step& {
        for (auto& phase : p.phases)
            for (auto& s : phase.steps)
                if (s.id == id)
                    return s;
        throw std::logic_error("no step " + id);
    };
    CHECK(changed([&](chu::Plan& p) { step(p, "upgrade-bootstrap").run.back() = "upgradeX"; }) != digest);
    CHECK(changed([&](chu::Plan& p) { step(p, "upgrade-bootstrap").run.push_back("--yes"); }) != digest);
    CHECK(changed([&](chu::Plan& p) { step(p, "start").roles |= chu::role_bit(chu::Role::secondary); }) != digest);
    CHECK(changed([&](chu::Plan& p) { step(p, "reconfigure").order = chu::NodeOrder::parallel; }) != digest);
    CHECK(changed([&](chu::Plan& p) { step(p, "install-package").run_rpm.push_back("--nodeps"); }) != digest);
    CHECK(changed([&](chu::Plan& p) { step(p, "install-package").run_deb[1] = "-D2"; }) != digest);
    CHECK(changed([&](chu::Plan& p) { step(p, "cleanup").harmless.clear(); }) != digest);
    CHECK(changed([&](chu::Plan& p) { step(p, "check-make").check = chu::Check::ctl; }) != digest);
    CHECK(changed([&](chu::Plan& p) { step(p, "copy-opscode").copy = "/etc/chef-server"; }) != digest);
    CHECK(changed([&](chu::Plan& p) { step(p, "fix-restart-keepalived-bootstrap").when = {}; }) != digest);
    CHECK(changed([&](chu::Plan& p) { step(p, "check-migration-level").agree = chu::Agreement::none; }) != digest);
    CHECK(changed([&](chu::Plan& p) { step(p, "start").id = "start-them"; }) != digest);
    CHECK(changed([&](chu::Plan& p) { p.phases[2].steps.pop_back(); }) != digest);
    CHECK(changed([&](chu::Plan& p) { std::swap(p.phases[1].steps[0], p.phases[1].steps[1]); }) != digest);
    CHECK(changed([&](chu::Plan& p) { std::swap(p.phases[3], p.phases[4]); }) != digest);
    CHECK(changed([&](chu::Plan& p) { p.phases[3].downtime_begins = !p.phases[3].downtime_begins; }) != digest);
    CHECK(changed([&](chu::Plan& p) { p.ctl = "private_chef_ctl"; }) != digest);

    chu::Config with_manage = config;
    with_manage.upgrade.addons = {"opscode-manage"};
    const std::string manage = chu::plan_digest(effective(loaded("chef-server-12"), with_manage));
    CHECK(manage != digest);
    CHECK(chu::plan_digest(effective(loaded("chef-server-12"), with_manage)) == manage);
    chu::Config with_reporting = config;
    with_reporting.upgrade.addons = {"opscode-reporting"};
    CHECK(chu::plan_digest(effective(loaded("chef-server-12"), with_reporting)) != manage);
    chu::Config both = config;
    both.upgrade.addons = {"opscode-manage", "opscode-reporting"};
    chu::Config both_reversed = config;
    both_reversed.upgrade.addons = {"opscode-reporting", "opscode-manage"};
    CHECK(chu::plan_digest(effective(loaded("chef-server-12"), both)) !=
          chu::plan_digest(effective(loaded("chef-server-12"), both_reversed)));
}

// ------------------------------------------------------------------------------------------ placeholders

TEST_CASE("a package path with spaces and shell metacharacters stays one argument, unchanged", "[plan][argv]")
{
    for (const std::string& package :
         {std::string("/tmp/a b;rm -rf $(x).deb"), std::string("/tmp/`id` | tee {ctl} && 'q' \"d\".deb")}) {
        INFO(package);
        const chu::Config config = config_for(package);
        for (const std::string name : {"chef-server-12", "enterprise-chef-11"}) {
            INFO(name);
            const chu::Plan eff = effective(loaded(name), config);
            for (chu::Role role : kRoles) {
                const Schedule s = schedule(eff, role, config, facts_for(package));
                CHECK(s.find_argv({"/usr/bin/dpkg", "-D10", "-i", package}) >= 0);
            }
        }
    }
    const std::string rpm = "/tmp/a b;rm -rf $(x).rpm";
    const chu::Config config = config_for(rpm);
    const chu::Plan eff = effective(loaded("chef-server-12"), config);
    CHECK(schedule(eff, chu::Role::frontend, config, facts_for(rpm)).find_argv({"/usr/bin/rpm", "-Uvh", "--nopostun", rpm}) >= 0);
}

TEST_CASE("the package format comes from the file name's extension", "[plan][argv]")
{
    CHECK(chu::package_format(kDeb) == chu::PackageFormat::deb);
    CHECK(chu::package_format(kRpm) == chu::PackageFormat::rpm);
    CHECK(chu::package_format("/srv/chef-server-core.tar.gz") == chu::PackageFormat::unknown);
    CHECK(chu::package_format("/srv/deb") == chu::PackageFormat::unknown);
    CHECK(chu::package_format(".deb") == chu::PackageFormat::unknown);
    CHECK(chu::package_format("") == chu::PackageFormat::unknown);
}

TEST_CASE("a schedule without a package, or with a package that is neither .deb nor .rpm, is refused", "[plan][argv]")
{
    const chu::Plan eff = effective(loaded("chef-server-12"), chu::Config{});
    auto no_package =
        chu::node_schedule(eff, chu::Role::frontend, chu::Config{}, chu::NodeFacts{kOldCtl, "", chu::PackageFormat::deb});
    REQUIRE_FALSE(no_package);
    CHECK_THAT(no_package.error().message, Contains("install-package"));
    CHECK_THAT(no_package.error().message, Contains("set [upgrade] package"));

    const std::string tgz = "/srv/chef-server-core.tar.gz";
    auto unknown = chu::node_schedule(eff, chu::Role::frontend, config_for(tgz), facts_for(tgz));
    REQUIRE_FALSE(unknown);
    CHECK_THAT(unknown.error().message, Contains("neither .deb nor .rpm"));
}

TEST_CASE("describe names the program and its arguments the way an operator reads them", "[plan]")
{
    chu::Action run;
    run.argv = {"/usr/bin/chef-server-ctl", "upgrade"};
    CHECK(chu::describe(run) == "chef-server-ctl upgrade");
    chu::Action check;
    check.kind = chu::StepKind::check;
    check.check = chu::Check::keepalived_master;
    CHECK(chu::describe(check) == "check keepalived-master");
    chu::Action copy;
    copy.kind = chu::StepKind::copy;
    copy.dir = "/etc/opscode";
    CHECK_THAT(chu::describe(copy), Contains("/etc/opscode"));
    CHECK(chu::roles_text(chu::all_roles) == "bootstrap, secondary, frontend");
}

// ------------------------------------------------------------------------------------------ refusals

TEST_CASE("the small plan the refusal tests break is itself valid", "[plan][file]")
{
    const chu::Plan plan = parsed(kValid);
    CHECK(plan.name == "tiny");
    REQUIRE(plan.phases.size() == 2);
    CHECK(plan.phases[0].line == 5);
    CHECK(plan.phases[0].steps.at(0).line == 8);
    CHECK(plan.phases[0].steps.at(0).run == Argv{"{ctl}", "stop"});
}

TEST_CASE("a plan file's sections and lines are refused where they break its shape", "[plan][file]")
{
    require_refusals({
        {"unknown section", kValid + "[stage extra]\n", 18, "unknown section [stage extra]"},
        {"unknown key in a step", kValid + "command = x\n", 18, "unknown key \"command\" in [step start-all]"},
        {"step before any phase", "[plan]\nname = t\nctl = chef_server_ctl\n[step early]\nroles = all\nrun = {ctl} stop\n", 4,
         "comes before any [phase"},
        {"duplicate section", kValid + "[step stop-all]\nroles = all\nrun = {ctl} stop\n", 18,
         "section [step stop-all] appears twice"},
        {"key set twice", kValid + "roles = frontend\n", 18, "\"roles\" is set twice in [step start-all], first at line 16"},
        {"a line without =", kValid + "roles all\n", 18, "`roles all` is neither a [section] header nor a `key = value` line"},
        {"a section header without ]", kValid + "[step open\nroles = all\n", 18, "has no closing ]"},
        {"a key before any section", "name = t\n" + kValid, 1, "comes before any section header"},
    });
}

TEST_CASE("a value its key does not take is refused at the key's line", "[plan][file]")
{
    require_refusals({
        {"unknown check name", kValid + "[step dns]\nroles = all\ncheck = dns\n", 20, "check = \"dns\": unknown check"},
        {"unknown placeholder in run", kValid + "[step pkg]\nroles = all\nrun = {dpkg} -i {pkg}\n", 20,
         "unknown placeholder {pkg}"},
        {"unterminated placeholder in run", kValid + "[step pkg]\nroles = all\nrun = {dpkg} -i {package\n", 20,
         "unknown placeholder"},
        {"roles: backends", kValid + "[step s]\nroles = backends\n", 19, "roles = \"backends\""},
        {"roles: an empty item", kValid + "[step s]\nroles = bootstrap,,frontend\n", 19, "roles = "},
        {"roles: none", kValid + "[step s]\nroles =\n", 19, "roles = \"\""},
        {"bad order", kValid + "order = serial\n", 18, "order = \"serial\""},
        {"timeout: 0", kValid + "timeout = 0\n", 18, "timeout = \"0\": give whole seconds, at least 1"},
        {"timeout: a word", kValid + "timeout = ten\n", 18, "timeout = \"ten\""},
        {"timeout: negative", kValid + "timeout = -5\n", 18, "timeout = \"-5\""},
        {"timeout: too long", kValid + "timeout = 99999999999\n", 18, "timeout = \"99999999999\""},
        {"bad retry word", kValid + "retry = always\n", 18, "retry = \"always\""},
        {"bad retries count", kValid + "retries = 1001\n", 18, "retries = \"1001\""},
        {"an unknown gate", kValid + "[step approve]\nroles = bootstrap\ngate = vote\n", 20, "the only gate is approval"},
        {"agree neither yes nor no", kValid + "agree = maybe\n", 18, "agree = \"maybe\""},
        {"unknown when-condition", kValid + "when = secondary-is-master\n", 18,
         "when = \"secondary-is-master\": unknown condition"},
        {"an unknown ctl", "[plan]\nname = t\nctl = knife\n", 3, "use chef_server_ctl or private_chef_ctl"},
        {"a bad downtime word", kValid + "[phase c]\ndowntime = starts\n", 19, "downtime = \"starts\""},
        {"an add-on copying a relative directory",
         kValid + "[addon opscode-reporting]\nroles = all\ncopy = etc/opscode-reporting\n", 20, "give the absolute directory"},
    });
}

TEST_CASE("a step or add-on breaking the plan's rules is refused at its section's line", "[plan][file]")
{
    require_refusals({
        {"step with two actions", kValid + "[step both]\nroles = all\nrun = {ctl} status\ncheck = ctl\n", 18,
         "step both needs exactly one of run"},
        {"step with run and run.deb",
         kValid + "[step both]\nroles = all\nrun = {ctl} status\nrun.deb = {dpkg} -i {package}\nrun.rpm = {rpm} -Uvh {package}\n",
         18, "has both run and run.deb/run.rpm"},
        {"step with no action", kValid + "[step idle]\nroles = all\ntitle = nothing\n", 18, "step idle needs exactly one of"},
        {"step with no roles", kValid + "[step nobody]\nrun = {ctl} status\n", 18, "step nobody has no roles"},
        {"run.deb without run.rpm", kValid + "[step half]\nroles = all\nrun.deb = {dpkg} -D10 -i {package}\n", 18,
         "needs both run.deb and run.rpm"},
        {"gate not on the bootstrap", kValid + "[step approve]\nroles = all\ngate = approval\n", 18,
         "gate step approve must have roles = bootstrap"},
        {"copy including the bootstrap", kValid + "[step copy]\nroles = backend\ncopy = {opscode_dir}\n", 18,
         "copy step copy cannot include the bootstrap"},
        {"agree on a run step", kValid + "agree = yes\n", 15, "agree needs a check step"},
        {"an add-on without roles", kValid + "[addon opscode-manage]\ncopy = /etc/opscode-manage\n", 18,
         "add-on opscode-manage has no roles"},
    });
}

TEST_CASE("a plan without name and ctl, phases, steps or one downtime window is refused", "[plan][file]")
{
    require_refusals({
        {"missing [plan] name",
         "# comment\n[plan]\nctl = chef_server_ctl\n[phase a]\ndowntime = begins\n[step s]\nroles = all\nrun = {ctl} stop\n", 2,
         "needs a [plan] section with name and ctl"},
        {"missing [plan] ctl", "[plan]\nname = t\n[phase a]\ndowntime = begins\n[step s]\nroles = all\nrun = {ctl} stop\n", 1,
         "needs a [plan] section with name and ctl"},
        {"no [plan] section at all", "[phase a]\n[step s]\nroles = all\nrun = {ctl} stop\n", 1, "needs a [plan] section"},
        {"no downtime marks", "\n[plan]\nname = t\nctl = chef_server_ctl\n[phase a]\n[step s]\nroles = all\nrun = {ctl} stop\n",
         2, "mark exactly one phase `downtime = begins` and one `downtime = ends`"},
        {"downtime that ends before it begins",
         "[plan]\nname = t\nctl = chef_server_ctl\n[phase a]\ndowntime = ends\n[step s]\nroles = all\nrun = {ctl} stop\n"
         "[phase b]\ndowntime = begins\n[step t]\nroles = all\nrun = {ctl} start\n",
         4, "downtime ends before it begins"},
        {"a plan with no phases", "[plan]\nname = t\nctl = chef_server_ctl\n", 1, "the plan has no phases"},
        {"a phase with no steps", kValid + "\n[phase empty]\ntitle = nothing here\n", 19, "phase empty has no steps"},
    });
}

// ------------------------------------------------------------------------------------------ the core's rules, without a file

TEST_CASE("validate_plan holds a plan built in code to the plan file's rules, at its sections' lines", "[plan][core]")
{
    const chu::Plan tiny = tiny_plan();
    REQUIRE(chu::validate_plan(tiny));
    CHECK(chu::plan_digest(tiny) == chu::plan_digest(parsed(kValid)));  // the plan kValid's file describes

    struct Broken {
        const char* what;
        std::function<void(chu::Plan&)> breaks;
        std::string message;
    };
    const std::vector<Broken> cases = {
        {"no ctl", [](chu::Plan& p) { p.ctl.clear(); }, "code.plan:1: the plan needs a [plan] section with name and ctl"},
        {"no name, nor a [plan] line",
         [](chu::Plan& p) {
             p.name.clear();
             p.line = 0;
         },
         "code.plan:1: the plan needs a [plan] section with name and ctl"},
        {"a step id used twice", [](chu::Plan& p) { p.phases[1].steps[0].id = "stop-all"; },
         "code.plan:15: step id stop-all is used twice"},
        {"downtime ending twice", [](chu::Plan& p) { p.phases[0].downtime_ends = true; },
         "code.plan:12: downtime ends before it begins, or twice; mark one phase each"},
        {"a condition on a step that may not fail",
         [](chu::Plan& p) {
             p.phases[0].steps.push_back(run_step("after", {"{ctl}", "status"}, 11));
             p.phases[0].steps.back().when = {chu::Condition::Kind::failed, "stop-all", -1};
         },
         "code.plan:11: when = failed:stop-all: name a step earlier in phase stop marked may_fail = yes"},
        {"summary without harmless", [](chu::Plan& p) { p.phases[0].steps[0].summary = {"ERRORS WERE DETECTED"}; },
         "code.plan:8: step stop-all has summary without harmless: a summary only counts expected errors"},
        {"read_only on a check",
         [](chu::Plan& p) {
             chu::Step& s = p.phases[0].steps[0];
             s.run.clear();
             s.kind = chu::StepKind::check;
             s.check = chu::Check::ctl;
             s.read_only = true;
         },
         "code.plan:8: read_only = yes is for run steps (checks only read anyway)"},
        {"an add-on without its commands",
         [](chu::Plan& p) {
             chu::Addon& manage = p.addons.emplace_back();
             manage.name = "opscode-manage";
             manage.roles = chu::all_roles;
             manage.line = 18;
         },
         "code.plan:18: add-on opscode-manage needs install, reconfigure and configure commands"},
    };
    for (const Broken& c : cases) {
        DYNAMIC_SECTION(c.what)
        {
            chu::Plan plan = tiny;
            c.breaks(plan);
            const chu::Status valid = chu::validate_plan(plan);
            REQUIRE_FALSE(valid);
            CHECK(valid.error().message == c.message);
        }
    }
}

TEST_CASE("when = failed:STEP is resolved to STEP's index in its phase, built in code or loaded", "[plan][core]")
{
    chu::Plan plan = tiny_plan();
    auto& steps = plan.phases[1].steps;
    steps.push_back(run_step("migrate", {"{ctl}", "migrate"}, 18));
    steps.back().may_fail = true;
    steps.push_back(run_step("recover", {"{ctl}", "recover"}, 22));
    steps.back().when = {chu::Condition::Kind::failed, "migrate", -1};
    REQUIRE(chu::validate_plan(plan));
    chu::resolve_conditions(plan);
    CHECK(steps.back().when.step_index == 1);

    const chu::Plan loaded = parsed(kValid + "[step migrate]\nroles = all\nrun = {ctl} migrate\nmay_fail = yes\n"
                                             "[step recover]\nroles = all\nrun = {ctl} recover\nwhen = failed:migrate\n");
    CHECK(loaded.phases[1].steps.back().when.step_index == 1);
}

// ------------------------------------------------------------------------------------------ found by these tests, fixed

TEST_CASE("a step naming two of check, copy and gate is refused", "[plan][file]")
{
    // Refused at the line that adds the second action.
    require_refusal(kValid + "[step both]\nroles = bootstrap\ncheck = make\ngate = approval\n", 21, "needs exactly one of");
    require_refusal(kValid + "[step both]\nroles = frontend\ncheck = ctl\ncopy = {opscode_dir}\n", 21, "needs exactly one of");
}

TEST_CASE("an empty harmless pattern is refused, since it would excuse every failure", "[plan][file]")
{
    chu::Result<chu::Plan> plan = chu::parse_plan_text(kValid + "harmless =\n", "bad.plan");
    CHECK_FALSE(plan);
}

TEST_CASE("a copy step without an absolute directory is refused", "[plan][file]")
{
    CHECK_FALSE(chu::parse_plan_text(kValid + "[step copy]\nroles = frontend\ncopy =\n", "bad.plan"));
    CHECK_FALSE(chu::parse_plan_text(kValid + "[step copy]\nroles = frontend\ncopy = etc/opscode\n", "bad.plan"));
}

TEST_CASE("{addons_path_args} is refused at load where the schedule cannot expand it", "[plan][file]")
{
    // It expands only as a whole argv token; anywhere else it loads, then fails on every node at run time.
    const std::string text = kValid + "[step glued]\nroles = all\nrun = {ctl} install x --path={addons_path_args}\n";
    chu::Result<chu::Plan> plan = chu::parse_plan_text(text, "bad.plan");
    std::string at_run_time = "refused at load";
    if (plan) {
        chu::Config config = config_for(kDeb);
        config.upgrade.addons_path = "/srv/addons";
        const chu::Plan eff = effective(plan.value(), config);
        auto s = chu::node_schedule(eff, chu::Role::frontend, config, facts_for(kDeb));
        at_run_time = s ? std::string("schedules") : s.error().message;
    }
    INFO(at_run_time);
    CHECK_FALSE(plan);
}

TEST_CASE("a 44-character step name loads", "[plan][file]")
{
    const std::string id(44, 's');
    const chu::Plan plan = parsed(kValid + "[step " + id + "]\nroles = all\nrun = {ctl} status\n");
    CHECK(plan.phases.back().steps.back().id == id);
}

TEST_CASE("a 45-character step name is accepted, or refused for its length", "[plan][file]")
{
    // inih keeps 49 characters of a section name; "step " + 45 is 50.
    const std::string id(45, 's');
    chu::Result<chu::Plan> plan =
        chu::parse_plan_text(kValid + "[step " + id + "]\nroles = all\nrun = {ctl} status\n", "bad.plan");
    if (!plan)
        CHECK_THAT(plan.error().message, Contains("long"));
    else
        CHECK(plan->phases.back().steps.back().id == id);
}

TEST_CASE("a failure counts as success only when every error line it printed is an expected one", "[plan][harmless]")
{
    chu::Step ha;
    ha.harmless = {"[ERROR] opscode-chef-mover is not running"};
    ha.summary = {"[ERROR] ERRORS WERE DETECTED"};
    const std::string mover = "[OK] cluster status = master\n[ERROR] opscode-chef-mover is not running.\n"
                              "[OK] opscode-erchef is running correctly, and I am master.\n\n[ERROR] ERRORS WERE DETECTED.\n";
    CHECK(chu::only_expected_errors(ha, mover, {}, {}, {}));
    CHECK_FALSE(chu::only_expected_errors(ha, mover + "[ERROR] nginx is not running correctly, and I am master. \n", {}, {}, {}));
    CHECK_FALSE(chu::only_expected_errors(ha,
                                          "[WARN] inconsistent cluster status, requested: master, current: backup, "
                                          "failover running?\n[ERROR] opscode-chef-mover is not running.\n",
                                          {}, {}, {}));
    CHECK_FALSE(
        chu::only_expected_errors(ha, "\n[ERROR] ERRORS WERE DETECTED.\n", {}, {}, {}));  // a summary alone excuses nothing

    chu::Step status;
    status.harmless = {"down: opscode-chef-mover:"};
    const std::string listed = "run: nginx: (pid 4314) 174s; run: log: (pid 3907) 186s\n"
                               "down: opscode-chef-mover: 220s, normally up; run: log: (pid 3756) 221s\n";
    CHECK(chu::only_expected_errors(status, listed, {}, {}, {}));
    CHECK_FALSE(
        chu::only_expected_errors(status, listed + "down: rabbitmq: 3s, normally up; run: log: (pid 1) 9s\n", {}, {}, {}));
    CHECK_FALSE(chu::only_expected_errors(status, listed + "timeout: run: rabbitmq: (pid 1234) 765s, want down\n", {}, {}, {}));

    // rpm says "is already installed" only of exactly the package it was given (name, version, release, arch);
    // the "(which is newer than …)" form names another one, and is a failure.
    chu::Step install;
    install.harmless = {"package {package_nevra} is already installed"};
    chu::NodeFacts facts;
    facts.format = chu::PackageFormat::rpm;
    facts.package_name = "chef-server-core";
    facts.package_version = "12.0.8-1.el6";
    facts.package_arch = "x86_64";
    CHECK(chu::only_expected_errors(
        install, "Preparing...   ### [100%]\n\tpackage chef-server-core-12.0.8-1.el6.x86_64 is already installed\n", {}, {},
        facts));
    CHECK_FALSE(chu::only_expected_errors(install,
                                          "\tpackage chef-server-core-12.0.9-1.el6.x86_64 (which is newer than "
                                          "chef-server-core-12.0.8-1.el6.x86_64) is already installed\n",
                                          {}, {}, facts));
    CHECK_FALSE(chu::only_expected_errors(install, "\tpackage chef-server-core-12.0.8-1.el7.x86_64 is already installed\n", {},
                                          {}, facts));
}

TEST_CASE("{accept_license} is --accept-license only when the operator accepted the add-ons' licenses", "[plan][addon]")
{
    chu::Config config = config_for(kDeb);
    config.upgrade.addons = {"opscode-manage"};
    const chu::Plan eff = effective(loaded("chef-server-12"), config);
    const Argv configure = {"/usr/bin/opscode-manage-ctl", "reconfigure"};
    CHECK(schedule(eff, chu::Role::frontend, config, facts_for(kDeb)).entries.back().action.argv == configure);
    config.upgrade.accept_licenses = true;
    Argv accepted = configure;
    accepted.push_back("--accept-license");
    CHECK(schedule(eff, chu::Role::frontend, config, facts_for(kDeb)).entries.back().action.argv == accepted);
}

TEST_CASE("a Chef FATAL line fails a command that changes the cluster, whatever its exit status, never a read-only one",
          "[plan][failure]")
{
    const chu::Plan plan = loaded("chef-server-12");
    REQUIRE(plan.failures == std::vector<std::string>{"FATAL:"});
    const chu::Step* upgrade = nullptr;
    const chu::Step* status = nullptr;
    for (const auto& phase : plan.phases)
        for (const auto& step : phase.steps) {
            upgrade = step.id == "upgrade-frontend" ? &step : upgrade;
            status = step.id == "status" ? &step : status;
        }
    REQUIRE(upgrade);
    REQUIRE(status);
    // Chef Server 12.2-12.4: the reconfigure failed, upgrade.rb went on (omnibus-ctl 0.4.2) and exited 0.
    const std::string fatal = "[2015-09-21T10:00:00+00:00] FATAL: Attempt to create secrets on non-bootstrap node in an H/A "
                              "topology, please copy /etc/opscode/* around instead.";
    const std::string output = "Starting Chef Client\n" + fatal +
                               "\n[private-chef-upgrade] - Latest Migration Available: 1.29\n"
                               "Chef Server Upgraded!\n";
    CHECK(chu::failure_line(*upgrade, plan, output) == fatal);
    CHECK(chu::failure_line(*upgrade, plan, "Chef Server Upgraded!\n").empty());
    CHECK(chu::failure_line(*status, plan, output).empty());  // it only reads: what it shows is the verdict

    CHECK(parsed(kValid).failures.empty());
    const std::string phases = kValid.substr(kValid.find("[phase"));
    const chu::Plan two =
        parsed("[plan]\nname = p\nctl = chef_server_ctl\nfailure = FATAL:\nfailure = Chef::Exceptions\n" + phases);
    CHECK(two.failures == std::vector<std::string>{"FATAL:", "Chef::Exceptions"});
    require_refusal("[plan]\nname = p\nctl = chef_server_ctl\nfailure =\n" + phases, 4, "[plan] failure is empty");
}

TEST_CASE("verify accepts exactly the previous release's services that cleanup removes, on both plans", "[plan][harmless]")
{
    auto step_of = [](const chu::Plan& plan, const std::string& id) {
        for (const auto& phase : plan.phases)
            for (const auto& step : phase.steps)
                if (step.id == id)
                    return step;
        FAIL("no step " << id);
        return chu::Step{};
    };
    const chu::Plan cs12 = loaded("chef-server-12");
    const chu::Step ha = step_of(cs12, "ha-status");
    // The master's ha-status on 12.0.8 before cleanup: EC 11's keepalive_me services, down, and the mover.
    std::string master = "[OK] keepalived HA services enabled.\n[OK] cluster status = master\n";
    for (const char* old :
         {"couchdb", "opscode-account", "opscode-certificate", "opscode-org-creator", "opscode-solr", "opscode-webui"})
        master += std::string("[ERROR] ") + old + " is not running correctly, and I am master. \n";
    master += "[ERROR] opscode-chef-mover is not running.\n[OK] opscode-solr4 is running correctly, and I am master.\n"
              "\n[ERROR] ERRORS WERE DETECTED.\n\n";
    CHECK(chu::only_expected_errors(ha, master, {}, cs12, {}));
    CHECK_FALSE(chu::only_expected_errors(ha, master + "[ERROR] opscode-solr4 is not running correctly, and I am master. \n", {},
                                          cs12, {}));
    CHECK_FALSE(chu::only_expected_errors(ha, master + "[ERROR] keepalived is not running.\n", {}, cs12, {}));

    const chu::Plan ec11 = loaded("enterprise-chef-11");
    const chu::Step status = step_of(ec11, "status");
    std::string listed = "run: nginx: (pid 4314) 174s; run: log: (pid 3907) 186s\n";
    for (const char* old : {"fcgiwrap", "nagios", "nrpe", "opscode-chef", "opscode-chef-mover", "php-fpm", "redis"})
        listed += std::string("down: ") + old + ": 220s, normally up; run: log: (pid 3756) 221s\n";
    CHECK(chu::only_expected_errors(status, listed, {}, ec11, {}));
    CHECK_FALSE(
        chu::only_expected_errors(status, listed + "down: redis_lb: 220s, normally up; run: log: (pid 1) 9s\n", {}, ec11, {}));
    const chu::Step ec11_ha = step_of(ec11, "ha-status");
    CHECK(chu::only_expected_errors(ec11_ha, "[ERROR] nagios is not running.\n[ERROR] redis is not running.\n", {}, ec11, {}));
    CHECK_FALSE(chu::only_expected_errors(ec11_ha, "[ERROR] redis_lb is not running.\n", {}, ec11, {}));
}

TEST_CASE("skipping the migration-level check names its risk in both plans", "[plan]")
{
    for (const std::string name : {"chef-server-12", "enterprise-chef-11"}) {
        INFO(name);
        bool found = false;
        for (const auto& phase : loaded(name).phases)
            for (const auto& step : phase.steps)
                if (step.id == "check-migration-level") {
                    found = true;
                    CHECK_THAT(step.skip_risk, Contains("partybus runs migrations again"));
                }
        CHECK(found);
    }
    require_refusal(kValid + "[step s]\nroles = all\nrun = {ctl} status\nskip_risk =\n", 21, "skip_risk is empty");
}
