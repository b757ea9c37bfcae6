// The leader: every move of its tables (join, start, hold, barriers, retry, skip, approval, end), a move
// outside them reported as a bug, its start at a new epoch resuming at the first unfinished phase, and a
// copy from a frontend packed, fetched and checked before it is ordered.
#include "core/digest.hpp"
#include "support/core_fixture.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

using namespace chu;
using namespace chu::test;

TEST_CASE("the leader bumps its epoch at every start and resumes at the first unfinished phase", "[leader]")
{
    auto s = setup_for("be1");
    Node leader(s);
    std::vector<Record> journal{EpochRecord{3}, JoinedRecord{s.topology_digest, s.plan_digest, "pkg", "key", 0}};
    for (int p = 1; p <= 4; ++p)
        journal.push_back(PhaseRecord{p, 100});
    REQUIRE(leader.boot(journal, 1000));
    auto effects = leader.take_effects();
    auto records = records_of(effects);
    REQUIRE(!records.empty());
    REQUIRE(std::holds_alternative<EpochRecord>(records[0]));
    CHECK(std::get<EpochRecord>(records[0]).epoch == 4);
    const auto st = leader.status(1000);
    CHECK(st.phase == 5);
    CHECK(st.phase_name == "install the package");
    // It orders phase 5 (install) to every node, itself included (locally: a RunStep).
    std::set<std::string> ordered;
    for (const auto& send : effects_of<Send>(effects))
        if (auto* o = std::get_if<Order>(&send.message)) {
            CHECK(o->phase == 5);
            CHECK(o->epoch == 4);
            ordered.insert(send.to);
        }
    CHECK(ordered == std::set<std::string>{"be2", "fe1"});
}

TEST_CASE("the leader takes every move of its tables: join, start, hold, barriers, retry, skip, approval, end",
          "[leader][machine]")
{
    std::set<std::string> taken;
    auto s = setup_for("be1");
    const auto level = find_step(s.plan, "check-migration-level");
    const auto stop = find_step(s.plan, "stop-frontend");
    const auto at = [](const Order& o, std::pair<int, int> ref) { return std::make_pair(int(o.phase), int(o.step)) == ref; };

    {  // auto_start: started before the join; paused and resumed; fe1 reads another migration level (retried,
        // then accepted); its stop fails (retried, then skipped); the gate approved; complete.
        Node leader(s);
        REQUIRE(leader.boot({}, 0));
        leader.on_operator(1, Op::pause, 1);
        leader.on_operator(2, Op::resume, 2);
        for (const char* n : {"be2", "fe1"})
            leader.on_message(Envelope{n, hello_of(s)}, 5);
        Drive drive{leader, [&](const std::string& node, const Order& o) {
                        StepOutcome end = healthy(s, node, o);
                        if (at(o, level) && node == "fe1")
                            end.value = "0.9";
                        if (at(o, stop))
                            end = {Outcome::failed, 1, {}, "boom"};
                        return end;
                    }};
        drive.run();
        REQUIRE(leader.status(drive.now).state == State::failed);
        CHECK_THAT(leader.status(drive.now).last_error, Catch::Contains("the nodes disagree") && Catch::Contains("fe1=0.9"));
        leader.on_operator(3, Op::retry, drive.now + 1);  // every node reads again: still different
        drive.run();
        leader.on_operator(Command{4, Op::skip, {}, true}, drive.now + 1);  // its plan names a risk: forced
        drive.run();
        REQUIRE(leader.status(drive.now).state == State::failed);
        CHECK_THAT(leader.status(drive.now).last_error,
                   Catch::Contains("node fe1, step stop-frontend") && Catch::Contains("boom"));
        leader.on_operator(5, Op::retry, drive.now + 1);
        drive.run();
        leader.on_operator(6, Op::skip, drive.now + 1);
        drive.run();
        REQUIRE(leader.status(drive.now).state == State::awaiting_approval);
        leader.on_operator(7, Op::approve, drive.now + 1);
        drive.run();
        CHECK(leader.status(drive.now).state == State::complete);
        CHECK(leader.bugs().empty());
        taken.insert(leader.moves().begin(), leader.moves().end());
    }
    {  // auto_start off: joined, then started; unanswered orders re-sent at the beat.
        Config c;
        c.upgrade.auto_start = false;
        auto sc = setup_for("be1", c);
        Node leader(sc);
        REQUIRE(leader.boot({}, 0));
        for (const char* n : {"be2", "fe1"})
            leader.on_message(Envelope{n, hello_of(sc)}, 5);
        CHECK(leader.status(5).state == State::idle);
        leader.on_operator(1, Op::start, 6);
        const auto first = orders_in(leader.take_effects());
        REQUIRE_FALSE(first.empty());
        leader.on_tick(6 + sc.config.cluster.heartbeat_ms);
        CHECK(orders_in(leader.take_effects()).size() == first.size());
        CHECK(leader.bugs().empty());
        taken.insert(leader.moves().begin(), leader.moves().end());
    }
    // Aborts from every progress before the end, and a start given before the join.
    for (const auto& [auto_start, joined] :
         std::vector<std::pair<bool, bool>>{{false, false}, {true, false}, {false, true}, {true, true}}) {
        Config c;
        c.upgrade.auto_start = auto_start;
        auto sa = setup_for("be1", c);
        Node leader(sa);
        REQUIRE(leader.boot({}, 0));
        if (joined)
            for (const char* n : {"be2", "fe1"})
                leader.on_message(Envelope{n, hello_of(sa)}, 5);
        if (!auto_start && !joined) {
            leader.on_operator(1, Op::start, 6);
            CHECK(leader.status(6).state == State::joining);
            taken.insert(leader.moves().begin(), leader.moves().end());
            continue;
        }
        leader.on_operator(2, Op::abort, 10);
        CHECK(leader.status(10).state == State::aborted);
        CHECK(leader.bugs().empty());
        taken.insert(leader.moves().begin(), leader.moves().end());
    }
    {  // Aborted while joining, before any start.
        Config c;
        c.upgrade.auto_start = false;
        Node leader(setup_for("be1", c));
        REQUIRE(leader.boot({}, 0));
        leader.on_operator(1, Op::abort, 1);
        taken.insert(leader.moves().begin(), leader.moves().end());
    }
    {  // Replayed reports: a target goes from pending (the order's sending is not journaled) to done or failed.
        Node leader(s);
        REQUIRE(leader.restore({EpochRecord{1}, JoinedRecord{s.topology_digest, s.plan_digest, "pkg", "key", 0},
                                ReportRecord{"be2", 1, 0, 0, {Outcome::ok, 0, {}, {}}, 0, 0},
                                ReportRecord{"fe1", 1, 0, 0, {Outcome::failed, 1, {}, "no package"}, 0, 0}}));
        CHECK(leader.bugs().empty());
        taken.insert(leader.moves().begin(), leader.moves().end());
    }
    INFO("moves taken: " << taken.size());
    CHECK(missing_moves(Leader::all_moves(), taken).empty());
}

TEST_CASE("a move a table does not allow is a bug the core reports, not a silent no-op", "[leader][machine]")
{
    auto s = setup_for("be1");
    Node leader(s);
    // A journal no daemon writes: a resume with no pause before it.
    REQUIRE(leader.restore({EpochRecord{1}, JoinedRecord{s.topology_digest, s.plan_digest, "pkg", "key", 0},
                            DecisionRecord{Op::resume, "", 0, 0, 0, 0}}));
    REQUIRE(leader.bugs().size() == 1);
    CHECK(leader.bugs()[0] == "hold released -> ? (resume)");
}

TEST_CASE("a node that made a move no table has carries out nothing it decided since but a Halt that says why",
          "[leader][machine]")
{
    auto s = setup_for("be1");
    Node leader(s);
    REQUIRE(leader.restore({EpochRecord{1}, JoinedRecord{s.topology_digest, s.plan_digest, "pkg", "key", 0},
                            DecisionRecord{Op::resume, "", 0, 0, 0, 0}}));
    leader.start(0);  // a new epoch's record, beats, orders: none of it may reach the world
    const auto effects = leader.take_effects();
    REQUIRE(effects.size() == 1);
    const auto halts = effects_of<Halt>(effects);
    REQUIRE(halts.size() == 1);
    CHECK_THAT(halts[0].reason, Catch::Contains("internal error") && Catch::Contains("hold released -> ? (resume)"));
    leader.on_tick(60'000);
    CHECK(leader.take_effects().empty());
}

TEST_CASE("a copy from a frontend: the leader has the first frontend pack it, fetches and checks it, then orders the copy "
          "with its digest",
          "[leader][copy]")
{
    Config c;
    c.upgrade.addons = {"opscode-manage"};
    auto s = setup_for("be1", c);
    auto fs = setup_for("fe1", c);
    const auto [p, st] = find_step(s.plan, "copy-opscode-manage");
    std::vector<Record> journal{EpochRecord{1}, JoinedRecord{s.topology_digest, s.plan_digest, "pkg", "key", 0}};
    for (int ph = 1; ph < p; ++ph)
        journal.push_back(PhaseRecord{ph, 100});
    for (int earlier = 0; earlier < st; ++earlier)
        journal.push_back(ReportRecord{"fe1", p, earlier, 0, {Outcome::ok, 0, {}, {}}, 0, 0});
    Node leader(s);
    REQUIRE(leader.boot(journal, 0));
    Node fe(fs);
    REQUIRE(fe.boot({}, 0));
    fe.take_effects();
    // Each message of type M the node sent to `to`.
    auto sent = [](const std::vector<Effect>& effects, const std::string& to, auto type) {
        using M = decltype(type);
        std::vector<M> out;
        for (const auto& send : effects_of<Send>(effects))
            if (const auto* m = std::get_if<M>(&send.message); m && send.to == to)
                out.push_back(*m);
        return out;
    };

    const auto packs = sent(leader.take_effects(), "fe1", Pack{});
    REQUIRE(packs.size() == 1);
    fe.on_message(Envelope{"be1", packs[0]}, 10);
    const auto packing = effects_of<PackArchive>(fe.take_effects());
    REQUIRE(packing.size() == 1);
    CHECK(packing[0].dir == "/etc/opscode-manage");
    const std::string archive = "fe1's /etc/opscode-manage, secrets.rb and all";
    fe.on_archive(p, st, archive, 20);
    const auto packed = sent(fe.take_effects(), "be1", Packed{});
    REQUIRE(packed.size() == 1);
    CHECK(packed[0].size == archive.size());
    CHECK(leader.take_effects().empty());  // nothing is ordered before the archive is here and checked

    leader.on_message(Envelope{"fe1", packed[0]}, 30);
    const auto fetches = sent(leader.take_effects(), "fe1", Fetch{});
    REQUIRE(fetches.size() == 1);
    fe.on_message(Envelope{"be1", fetches[0]}, 40);
    const auto chunks = sent(fe.take_effects(), "be1", Chunk{});
    REQUIRE(chunks.size() == 1);
    leader.on_message(Envelope{"fe1", chunks[0]}, 50);
    const auto orders = sent(leader.take_effects(), "fe1", Order{});
    REQUIRE(orders.size() == 1);
    CHECK(std::make_pair(int(orders[0].phase), int(orders[0].step)) == std::make_pair(p, st));
    CHECK(orders[0].archive_digest == archive_digest(archive));
    CHECK(orders[0].archive_size == archive.size());
}
