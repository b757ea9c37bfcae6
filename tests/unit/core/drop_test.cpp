// Dropping a frontend gone for good: the drops refused (a backend, a stranger, a node heard from or
// running), what the drop lets the cluster finish, its journal, and the dropped node stopping for good.
#include "support/core_fixture.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <tuple>

using namespace chu;
using namespace chu::test;

TEST_CASE("a frontend gone for good is dropped: no barrier waits for it, it learns so and stops for good, and a backend "
          "cannot be dropped",
          "[leader][drop]")
{
    Config c;
    c.upgrade.cleanup = CleanupMode::automatic;
    auto s = setup_for("be1", c);
    Node leader(s);
    REQUIRE(leader.boot({}, 0));
    for (const char* n : {"be2", "fe1"})
        leader.on_message(Envelope{n, hello_of(s)}, 5);
    Drive drive{leader, [&](const std::string& node, const Order& o) { return healthy(s, node, o); }};
    drive.silent = {"fe1"};  // it joined, then died
    drive.run();
    REQUIRE(leader.status(drive.now).state == State::preflight);  // held at the first step fe1 takes part in
    EventWatch events(s);
    events.next(leader.status(drive.now), drive.now);

    auto call = [&](const std::string& node, bool force, std::int64_t at) {
        leader.on_operator(Command{9, Op::drop, node, force}, at);
        const auto effects = leader.take_effects();
        drive.seen.insert(drive.seen.end(), effects.begin(), effects.end());  // the journal, for the replay below
        const auto answers = effects_of<Answer>(effects);
        REQUIRE(answers.size() == 1);
        return answers[0];
    };
    CHECK_THAT(call("be2", true, drive.now).text, Catch::Contains("be2 is the secondary backend: the upgrade needs both"));
    CHECK_THAT(call("be1", false, drive.now).text, Catch::Contains("be1 is the bootstrap backend"));
    CHECK_THAT(call("fe9", false, drive.now).text, Catch::Contains("there is no node fe9 in test.rb (be1, be2, fe1)"));
    CHECK_THAT(call("fe1", false, 6).text, Catch::Contains("fe1 is heard from") && Catch::Contains("--force"));
    Presence busy = hello_of(s);
    busy.running = true;
    std::tie(busy.phase, busy.step) = find_step(s.plan, "check-package");
    leader.on_message(Envelope{"fe1", busy}, 7);
    leader.take_effects();
    CHECK_THAT(call("fe1", true, 8).text, Catch::Contains("fe1 runs step check-package") && Catch::Contains("interrupt"));

    const std::int64_t gone = 7 + s.config.cluster.peer_timeout_ms + 1;
    drive.now = std::max(drive.now, gone);
    leader.on_operator(Command{9, Op::drop, "fe1", false}, drive.now);
    drive.run();  // what the drop lets happen: the others' steps, to the end
    const auto answers = effects_of<Answer>(drive.seen);
    REQUIRE_FALSE(answers.empty());
    CHECK(answers.back().ok);
    CHECK_THAT(answers.back().text, Catch::Contains("dropped fe1 from the upgrade"));
    CHECK_FALSE(call("fe1", false, drive.now).ok);  // once
    const NodeStatus st = leader.status(drive.now);
    CHECK(st.state == State::complete);
    const auto fe1 = std::find_if(st.peers.begin(), st.peers.end(), [](const PeerInfo& p) { return p.name == "fe1"; });
    REQUIRE(fe1 != st.peers.end());
    CHECK(static_cast<State>(fe1->state) == State::dropped);
    CHECK(leader.drops().at("fe1").op == Op::drop);
    const auto said = events.next(st, drive.now);
    CHECK(std::any_of(said.begin(), said.end(),
                      [](const Event& e) { return e.kind == EventKind::node_dropped && e.node == "fe1"; }));
    CHECK(leader.bugs().empty());

    // The journal holds the drop: a restarted leader waits for fe1 nowhere either.
    Node rebuilt(s);
    REQUIRE(rebuilt.restore(records_of(drive.seen)));
    CHECK(rebuilt.journaled() == leader.journaled());
    CHECK(rebuilt.drops().count("fe1") == 1);

    // fe1 comes back: the leader's beat tells it, and it records it, runs nothing more and stops.
    leader.on_message(Envelope{"fe1", hello_of(s)}, drive.now + 1);
    leader.on_tick(drive.now + 2 * s.config.cluster.heartbeat_ms);
    Beat told;
    for (const auto& send : effects_of<Send>(leader.take_effects()))
        if (send.to == "fe1" && std::holds_alternative<Beat>(send.message))
            told = std::get<Beat>(send.message);
    CHECK_THAT(told.refusal, Catch::Contains("dropped"));
    const auto fs = setup_for("fe1", c);
    Node follower(fs);
    REQUIRE(follower.boot(finished_before(fs, Role::frontend, "check-package"), 0));
    follower.take_effects();
    follower.on_message(from_leader(told), 10);
    auto effects = follower.take_effects();
    const auto records = records_of(effects);
    REQUIRE(
        std::any_of(records.begin(), records.end(), [](const Record& r) { return std::holds_alternative<DroppedRecord>(r); }));
    auto ends = effects_of<Completed>(effects);
    REQUIRE(ends.size() == 1);
    CHECK(ends[0].outcome == State::dropped);
    CHECK(follower.status(11).state == State::dropped);
    CHECK_THAT(follower.status(11).last_error, Catch::Contains("runs nothing more") && Catch::Contains("Rebuild"));
    const auto [p, st_] = find_step(fs.plan, "check-package");
    follower.on_message(from_leader(Order{told.epoch, p, st_, 0, {}, 0, false}), 12);
    CHECK(effects_of<RunStep>(follower.take_effects()).empty());
    // Started again, it stops again at once, from its journal alone.
    auto journal = finished_before(fs, Role::frontend, "check-package");
    for (const auto& r : records)
        journal.push_back(r);
    Node again(fs);
    REQUIRE(again.boot(journal, 20));
    ends = effects_of<Completed>(again.take_effects());
    REQUIRE(ends.size() == 1);
    CHECK(ends[0].outcome == State::dropped);
}
