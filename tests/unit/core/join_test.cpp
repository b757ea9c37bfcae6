// Joining the cluster: the leader refuses a node of another plan or chef-ha-upgrade version and names it,
// drops a stranger's message, names the nodes it never heard from; a node commits to the upgrade once per
// run, just before its first record of it.
#include "support/core_fixture.hpp"

#include <catch2/catch.hpp>

#include <cstddef>

using namespace chu;
using namespace chu::test;

namespace {

// Where Underway stands among the effects: its index, and the index of the first record of type R.
template <typename R>
std::pair<std::ptrdiff_t, std::ptrdiff_t> underway_and_first(const std::vector<Effect>& effects)
{
    std::ptrdiff_t underway = -1, record = -1;
    for (std::size_t i = 0; i < effects.size(); ++i) {
        if (std::holds_alternative<Underway>(effects[i]) && underway < 0)
            underway = static_cast<std::ptrdiff_t>(i);
        if (auto* w = std::get_if<WriteRecord>(&effects[i]); w && std::holds_alternative<R>(w->record) && record < 0)
            record = static_cast<std::ptrdiff_t>(i);
    }
    return {underway, record};
}

}  // namespace

TEST_CASE("a node commits to the upgrade once per run, just before it records the join or its first step", "[join]")
{
    auto s = setup_for("be1");
    Node leader(s);
    REQUIRE(leader.boot({}, 0));
    CHECK(effects_of<Underway>(leader.take_effects()).empty());
    const Presence good{0, s.plan.name, s.topology_digest, s.plan_digest, "pkg", "key", "test", 0, -1, false};
    leader.on_message(Envelope{"be2", good}, 10);
    CHECK(effects_of<Underway>(leader.take_effects()).empty());  // fe1 not heard yet: no join
    leader.on_message(Envelope{"fe1", good}, 10);
    const auto joined = leader.take_effects();
    const auto [underway, join] = underway_and_first<JoinedRecord>(joined);
    REQUIRE(join >= 0);
    CHECK(underway == join - 1);
    CHECK(effects_of<Underway>(joined).size() == 1);

    auto fs = setup_for("fe1");
    Node fe(fs);
    const auto [p, st] = find_step(fs.plan, "stop-frontend");
    REQUIRE(fe.boot(finished_before(fs, Role::frontend, "stop-frontend"), 0));
    CHECK(effects_of<Underway>(fe.take_effects()).empty());
    fe.on_message(from_leader(Order{1, p, st, 0, {}, 0, false}), 10);
    const auto started = fe.take_effects();
    const auto [fe_underway, first] = underway_and_first<StartedRecord>(started);
    REQUIRE(first >= 0);
    CHECK(fe_underway == first - 1);
    fe.on_step_finished(StepResult{p, st, 0, 1, Outcome::ok, 0, {}, "ok"}, 20);
    fe.take_effects();
    const auto [p2, st2] = find_step(fs.plan, "upgrade-frontend");
    fe.on_message(from_leader(Order{1, p2, st2, 0, {}, 0, false}), 30);
    CHECK(effects_of<Underway>(fe.take_effects()).empty());  // once per run
}

TEST_CASE("the leader refuses a node whose plan differs, naming it, and does not start", "[join]")
{
    auto s = setup_for("be1");
    Node leader(s);
    REQUIRE(leader.boot({}, 0));
    leader.take_effects();
    Presence good{0, s.plan.name, s.topology_digest, s.plan_digest, "pkg", "key", "test", 0, -1, false};
    Presence other = good;
    other.plan_digest = "different";
    leader.on_message(Envelope{"be2", good}, 10);
    leader.on_message(Envelope{"fe1", other}, 10);
    auto effects = leader.take_effects();
    CHECK(effects_of<Send>(effects).empty());  // no order
    const auto st = leader.status(10);
    CHECK(st.state == State::joining);
    CHECK_THAT(st.last_error, Catch::Contains("node fe1 refused at join") && Catch::Contains("plan"));

    leader.on_message(Envelope{"fe1", good}, 20);
    auto joined = leader.take_effects();
    bool recorded = false;
    for (const auto& r : records_of(joined))
        recorded = recorded || std::holds_alternative<JoinedRecord>(r);
    CHECK(recorded);
    CHECK(leader.status(20).state == State::preflight);
}

TEST_CASE("a message from a node not in the topology is dropped and logged", "[join]")
{
    auto s = setup_for("be1");
    Node leader(s);
    REQUIRE(leader.boot({}, 0));
    leader.take_effects();
    leader.on_message(Envelope{"intruder", Presence{}}, 10);
    auto effects = leader.take_effects();
    CHECK(effects_of<Send>(effects).empty());
    CHECK_THAT(effects_of<Log>(effects).at(0).text, Catch::Contains("\"intruder\", which is not a peer"));
}

TEST_CASE("a leader that never heard from a node names it, with the port to open between the nodes", "[leader][join]")
{
    auto s = setup_for("be1");
    Node leader(s);
    REQUIRE(leader.boot({}, 0));
    leader.take_effects();
    const std::string waiting = leader.status(10).last_error;
    CHECK_THAT(waiting, Catch::Contains("waiting for be2, fe1 to join (never heard from") &&
                            Catch::Contains("TCP port 9683 open between the nodes"));
}

TEST_CASE("the leader refuses a node that runs another chef-ha-upgrade version, naming both", "[leader][join]")
{
    auto s = setup_for("be1");
    Node leader(s);
    REQUIRE(leader.boot({}, 0));
    Presence newer = hello_of(s);
    newer.version = "2.0.0";
    leader.on_message(Envelope{"be2", hello_of(s)}, 5);
    leader.on_message(Envelope{"fe1", newer}, 5);
    const auto st = leader.status(5);
    CHECK(st.state == State::joining);
    CHECK_THAT(st.last_error, Catch::Contains("node fe1 refused at join: it runs chef-ha-upgrade 2.0.0, the leader test") &&
                                  Catch::Contains("install the same chef-ha-upgrade on every node"));
    CHECK(orders_in(leader.take_effects()).empty());
}
