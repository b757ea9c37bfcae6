// The preflight rehearsal: its plan (the join and the preflight phase, steps that only read), and a run
// on every node that holds for no problem and reports each check by node.
#include "core/events.hpp"
#include "core/rehearsal.hpp"
#include "support/core_fixture.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>

using namespace chu;
using namespace chu::test;

TEST_CASE("a rehearsal's plan is the join and the preflight phase, only steps that read, each allowed to fail", "[rehearsal]")
{
    const auto s = setup_for("be1");
    const Plan r = rehearsal_plan(s.plan);
    CHECK(r.rehearsal);
    CHECK(r.name == s.plan.name + " (rehearsal)");
    CHECK(is_rehearsal_name(r.name));
    CHECK_FALSE(is_rehearsal_name(s.plan.name));
    REQUIRE(r.phases.size() == 2);
    CHECK(r.phases[1].preflight);
    CHECK(r.phases[1].steps.size() == s.plan.phases[1].steps.size());
    for (const Step& step : r.phases[1].steps) {
        CHECK(only_reads(step));
        CHECK(step.may_fail);
    }
    CHECK(plan_digest(r) != s.plan_digest);
}

TEST_CASE("a rehearsal runs every check on every node, holds for no problem, reports each by node and check, and ends "
          "rehearsed",
          "[rehearsal]")
{
    auto s = setup_for("be1");  // auto_start is off: a rehearsal needs no start
    s.config.upgrade.auto_start = false;
    s = rehearsal_setup(s);
    Node leader(s);
    REQUIRE(leader.boot({}, 0));
    Presence fe1 = hello_of(s);
    fe1.package_digest = "another package";  // refused at an upgrade's join; a rehearsal's problem
    leader.on_message(Envelope{"be2", hello_of(s)}, 5);
    // A daemon that runs the upgrade is refused, and told why.
    leader.on_message(Envelope{"fe1", hello_of(setup_for("be1"))}, 6);
    CHECK_THAT(leader.status(6).last_error, Catch::Contains("it runs the upgrade, and the leader a preflight rehearsal"));
    leader.on_message(Envelope{"fe1", fe1}, 7);

    const auto package = find_step(s.plan, "check-package");
    const auto level = find_step(s.plan, "check-migration-level");
    std::set<std::string> ordered;
    Drive drive{leader, [&](const std::string& node, const Order& o) {
                    const Step& step = s.plan.phases[o.phase].steps[o.step];
                    CHECK(only_reads(step));
                    ordered.insert(node + " " + step.id);
                    StepOutcome end = healthy(s, node, o);
                    if (std::make_pair(int(o.phase), int(o.step)) == package && node == "fe1")
                        end = {Outcome::failed, 1, {}, "/srv/pkg.deb is chef-manage 2.4: put the chef-server-core 12.x package"};
                    if (std::make_pair(int(o.phase), int(o.step)) == level && node == "be2")
                        end.value = "2.0";
                    return end;
                }};
    drive.run();

    const NodeStatus st = leader.status(drive.now);
    CHECK(st.state == State::rehearsed);
    CHECK(st.rehearsal);
    const auto completed = effects_of<Completed>(drive.seen);
    REQUIRE(completed.size() == 1);
    CHECK(completed[0].outcome == State::rehearsed);
    std::size_t expected_orders = 0;  // every check of every node's role ran, each once
    for (const Step& step : s.plan.phases[1].steps)
        for (const auto& server : s.topology.servers)
            expected_orders += runs_on(step, server.role);
    CHECK(ordered.size() == expected_orders);

    const auto results = leader.preflight();
    std::map<std::string, PreflightResult> by;
    for (const auto& r : results)
        by[r.node + " " + r.check] = r;
    CHECK(results.front().node == "be1");
    CHECK(results.back().node == "fe1");
    CHECK(by.at("be1 same-package").verdict == PreflightResult::Verdict::ok);
    CHECK(by.at("fe1 same-package").verdict == PreflightResult::Verdict::problem);
    CHECK_THAT(by.at("fe1 same-package").text, Catch::Contains("differs from the leader be1's"));
    CHECK(by.at("fe1 check-package").verdict == PreflightResult::Verdict::problem);
    CHECK_THAT(by.at("fe1 check-package").text, Catch::Contains("chef-manage 2.4"));
    CHECK(by.at("be1 check-package").verdict == PreflightResult::Verdict::ok);
    for (const char* n : {"be1", "be2", "fe1"}) {
        CHECK(by.at(std::string(n) + " check-migration-level").verdict == PreflightResult::Verdict::problem);
        CHECK_THAT(by.at(std::string(n) + " check-migration-level").text, Catch::Contains("be2=2.0"));
    }
    CHECK(by.at("be1 check-keepalived").verdict == PreflightResult::Verdict::ok);
    CHECK(by.at("be1 check-keepalived").text == "master");
    std::size_t problems = 0;
    for (const auto& r : results) {
        CHECK(r.verdict != PreflightResult::Verdict::not_run);
        problems += r.verdict == PreflightResult::Verdict::problem;
    }
    CHECK(problems == 5);
    CHECK_THAT(st.last_error, Catch::StartsWith("3 problems: be1, be2, fe1 check-migration-level: the nodes disagree (") &&
                                  Catch::Contains("; fe1 same-package: ") && Catch::Contains("; fe1 check-package: failed: "));

    EventWatch watch(s);
    NodeStatus before = st;
    before.state = State::preflight;
    before.phase = 1;
    watch.next(before, 1);
    const auto events = watch.next(st, 2);
    REQUIRE(kinds(events) == std::vector<std::string>{"phase-complete 1", "rehearsed 1"});
    CHECK(events[1].message == st.last_error);
}
