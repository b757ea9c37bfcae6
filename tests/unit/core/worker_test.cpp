// The worker, a follower driven by hand: every move of its table (copy, run, stall, backoff, interrupt), the
// steps it refuses to run, its journal answering a repeated order, a lost end of a reported step, retries
// with backoff, a stalled command that only the operator's interrupt ends, and cleanup's expected error.
#include "support/core_fixture.hpp"

#include <catch2/catch.hpp>

using namespace chu;
using namespace chu::test;

TEST_CASE("a follower never runs a finished step twice, and answers a repeated order from its journal", "[worker]")
{
    auto s = setup_for("fe1");
    Node fe(s);
    const auto [p, st] = find_step(s.plan, "stop-frontend");
    REQUIRE(fe.boot(finished_before(s, Role::frontend, "stop-frontend"), 0));
    fe.take_effects();

    fe.on_message(from_leader(Order{1, p, st, 0, {}, 0, false}), 10);
    auto first = fe.take_effects();
    auto runs = effects_of<RunStep>(first);
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].action.argv == std::vector<std::string>{"/usr/bin/private-chef-ctl", "stop"});
    REQUIRE(std::holds_alternative<StartedRecord>(records_of(first).at(0)));

    fe.on_step_finished(StepResult{p, st, 0, 1, Outcome::ok, 0, {}, "ok"}, 20);
    auto done = fe.take_effects();
    REQUIRE(std::holds_alternative<FinishedRecord>(records_of(done).at(0)));
    REQUIRE(effects_of<Send>(done).size() == 1);

    fe.on_message(from_leader(Order{1, p, st, 0, {}, 0, false}), 30);
    auto again = fe.take_effects();
    CHECK(effects_of<RunStep>(again).empty());
    auto sent = effects_of<Send>(again);
    REQUIRE(sent.size() == 1);
    const auto& report = std::get<Report>(sent[0].message);
    CHECK(report.end.outcome == Outcome::ok);
    CHECK(report.phase == p);
}

TEST_CASE("a node refuses a step its role does not run, whatever the leader says", "[worker]")
{
    auto s = setup_for("be2");
    Node secondary(s);
    const auto [p, st] = find_step(s.plan, "start");  // bootstrap and frontends only
    REQUIRE(secondary.boot(finished_before(s, Role::secondary, "start"), 0));
    secondary.take_effects();
    secondary.on_message(from_leader(Order{1, p, st, 0, {}, 0, false}), 10);
    auto effects = secondary.take_effects();
    CHECK(effects_of<RunStep>(effects).empty());
    auto logs = effects_of<Log>(effects);
    REQUIRE(!logs.empty());
    CHECK_THAT(logs[0].text, Catch::Contains("refused to run step start") && Catch::Contains("secondary"));
}

TEST_CASE("a node refuses a step before its own earlier steps finished", "[worker]")
{
    auto s = setup_for("fe1");
    Node fe(s);
    const auto [p, st] = find_step(s.plan, "upgrade-frontend");
    REQUIRE(fe.boot(finished_before(s, Role::frontend, "install-package"), 0));  // install not done
    fe.take_effects();
    fe.on_message(from_leader(Order{1, p, st, 0, {}, 0, false}), 10);
    auto effects = fe.take_effects();
    CHECK(effects_of<RunStep>(effects).empty());
    CHECK_THAT(effects_of<Log>(effects).at(0).text, Catch::Contains("before step install-package finished"));
    // Said to the leader as a failure of the step, so that the cluster stops naming this node and step.
    auto sent = effects_of<Send>(effects);
    REQUIRE(sent.size() == 1);
    const auto& report = std::get<Report>(sent[0].message);
    CHECK(report.end.outcome == Outcome::failed);
    CHECK(std::make_pair(int(report.phase), int(report.step)) == std::make_pair(p, st));
    CHECK_THAT(report.end.detail, Catch::Contains("install-package"));
}

TEST_CASE("a follower whose journal lost the end of a step it had reported goes on when ordered the next", "[worker]")
{
    // Found by the fault matrix (torn-journal/secondary/phase-2): the journal's last record, the end of a
    // step already reported, cut at restart. The leader's order for the next step proves the report went
    // out, hence that the step finished here: the node records it and goes on instead of refusing forever.
    auto s = setup_for("fe1");
    Node fe(s);
    const auto [rp, rs] = find_step(s.plan, "reconfigure");
    auto journal = finished_before(s, Role::frontend, "reconfigure");
    journal.push_back(StartedRecord{rp, rs, 0, 1, 5});
    REQUIRE(fe.boot(journal, 0));
    fe.take_effects();
    const auto [p, st] = find_step(s.plan, "stop-frontend");
    fe.on_message(from_leader(Order{1, p, st, 0, {}, 0, false}), 10);
    auto effects = fe.take_effects();
    REQUIRE(effects_of<RunStep>(effects).size() == 1);
    auto records = records_of(effects);
    REQUIRE(records.size() == 2);
    const auto& recovered = std::get<FinishedRecord>(records[0]);
    CHECK(std::make_pair(int(recovered.phase), int(recovered.step)) == std::make_pair(rp, rs));
    CHECK(recovered.end.outcome == Outcome::ok);
    CHECK(std::holds_alternative<StartedRecord>(records[1]));
    CHECK_THAT(effects_of<Log>(effects).at(0).text, Catch::Contains("reconfigure") && Catch::Contains("lost"));
}

TEST_CASE("orders from an older epoch are ignored", "[worker]")
{
    auto s = setup_for("fe1");
    Node fe(s);
    const auto [p, st] = find_step(s.plan, "stop-frontend");
    auto journal = finished_before(s, Role::frontend, "stop-frontend");
    journal.push_back(EpochRecord{5});
    REQUIRE(fe.boot(journal, 0));
    fe.take_effects();
    fe.on_message(from_leader(Order{4, p, st, 0, {}, 0, false}), 10);
    CHECK(effects_of<RunStep>(fe.take_effects()).empty());
    fe.on_message(from_leader(Order{5, p, st, 0, {}, 0, false}), 20);
    CHECK(effects_of<RunStep>(fe.take_effects()).size() == 1);
}

TEST_CASE("a step marked re-run until it succeeds is retried with backoff, then reported failed", "[worker]")
{
    Config c;
    c.commands.retries = 2;
    auto fs = setup_for("be2", c);
    const auto [sp, sst] = find_step(fs.plan, "upgrade-secondary");
    Node secondary(fs);
    REQUIRE(secondary.boot(finished_before(fs, Role::secondary, "upgrade-secondary"), 0));
    secondary.take_effects();
    secondary.on_message(from_leader(Order{1, sp, sst, 0, {}, 0, false}), 100);
    REQUIRE(effects_of<RunStep>(secondary.take_effects()).size() == 1);

    // The upgrade's own timeout: it exits non-zero, and the plan re-runs it.
    secondary.on_step_finished(StepResult{sp, sst, 0, 1, Outcome::failed, 1, {}, "timed out"}, 200);
    auto after_first = secondary.take_effects();
    CHECK(effects_of<Send>(after_first).empty());  // not reported: it will re-run
    secondary.on_tick(5199);                       // the plan's backoff is 5 s
    CHECK(effects_of<RunStep>(secondary.take_effects()).empty());
    secondary.on_tick(5200);
    auto second = effects_of<RunStep>(secondary.take_effects());
    REQUIRE(second.size() == 1);
    CHECK(second[0].attempt == 2);

    secondary.on_step_finished(StepResult{sp, sst, 0, 2, Outcome::failed, 1, {}, "boom"}, 6000);
    secondary.take_effects();
    secondary.on_tick(15999);  // doubled: 10 s
    CHECK(effects_of<RunStep>(secondary.take_effects()).empty());
    secondary.on_tick(16000);
    auto third = effects_of<RunStep>(secondary.take_effects());
    REQUIRE(third.size() == 1);
    secondary.on_step_finished(StepResult{sp, sst, 0, 3, Outcome::failed, 1, {}, "still boom"}, 17000);
    auto last = secondary.take_effects();
    auto sent = effects_of<Send>(last);
    REQUIRE(sent.size() == 1);
    CHECK(std::get<Report>(sent[0].message).end.outcome == Outcome::failed);
    CHECK(std::get<Report>(sent[0].message).end.detail == "still boom");
}

TEST_CASE("cleanup's chef-mover error is expected and counts as success, other errors do not", "[worker]")
{
    auto s = setup_for("fe1");
    const auto [p, st] = find_step(s.plan, "cleanup");
    s.plan.phases[static_cast<std::size_t>(p)].steps[static_cast<std::size_t>(st)].retries = 0;  // one attempt's verdict
    for (const auto& [output, expected] : std::vector<std::pair<std::string, Outcome>>{
             {"ok: down: opscode-chef-mover\n[ERROR] opscode-chef-mover is not running\n", Outcome::ok},
             {"[ERROR] opscode-chef-mover is not running\n[ERROR] postgresql is not running\n", Outcome::failed},
             {"something else broke\n", Outcome::failed}}) {
        Node fe(s);
        REQUIRE(fe.boot(finished_before(s, Role::frontend, "cleanup"), 0));
        fe.take_effects();
        fe.on_message(from_leader(Order{1, p, st, 0, {}, 0, false}), 10);
        fe.take_effects();
        fe.on_step_finished(StepResult{p, st, 0, 1, Outcome::failed, 1, {}, output}, 20);
        auto sent = effects_of<Send>(fe.take_effects());
        REQUIRE(sent.size() == 1);
        CHECK(std::get<Report>(sent[0].message).end.outcome == expected);
    }
}

TEST_CASE("a worker's command past its timeout is stalled, never killed, and only the operator's interrupt ends it",
          "[worker][stall]")
{
    auto s = setup_for("be2");
    const auto [p, st] = find_step(s.plan, "upgrade-secondary");  // timeout 7200 s
    Node worker(s);
    REQUIRE(worker.boot(finished_before(s, Role::secondary, "upgrade-secondary"), 0));
    worker.take_effects();
    worker.on_message(from_leader(Order{1, p, st, 0, {}, 0, false}), 10);
    auto started = effects_of<RunStep>(worker.take_effects());
    REQUIRE(started.size() == 1);
    CHECK(started[0].action.timeout_s == 0);  // no timer kills it
    CHECK(started[0].action.expected_s == 7200);

    CHECK(worker.next_deadline() <= 10 + 7200 * 1000);
    worker.on_tick(10 + 7200 * 1000 + 60 * 1000 * 14);
    auto stalled = worker.take_effects();
    CHECK(effects_of<Interrupt>(stalled).empty());
    bool said = false;
    for (const auto& l : effects_of<Log>(stalled))
        said = said || l.text.find("stalled: running for 2 h 14 min, longer than the 2 h expected") != std::string::npos;
    CHECK(said);
    CHECK_THAT(worker.status(10 + 7200 * 1000 + 60 * 1000 * 14).step,
               Catch::Contains("upgrade: running for 2 h 14 min, longer than the 2 h expected"));

    worker.on_message(from_leader(Order{1, p, st, 0, {}, 0, false, true}), 9'000'000);
    auto ended = worker.take_effects();
    REQUIRE(effects_of<Interrupt>(ended).size() == 1);
    CHECK(effects_of<Interrupt>(ended)[0].step == st);
    // Its exit (SIGTERM) is a failure, reported, and not re-run although the plan re-runs this step on failure.
    worker.on_step_finished(StepResult{p, st, 0, 1, Outcome::failed, 143, {}, "Terminated"}, 9'000'100);
    auto reported = worker.take_effects();
    CHECK(effects_of<RunStep>(reported).empty());
    auto sent = effects_of<Send>(reported);
    REQUIRE(sent.size() == 1);
    const auto& report = std::get<Report>(sent[0].message);
    CHECK(report.end.outcome == Outcome::failed);
    CHECK_THAT(report.end.detail, Catch::Contains("interrupted by the operator"));
}

TEST_CASE("the worker takes every move of its table: copy, run, stall, backoff, interrupt", "[worker][machine]")
{
    Config c;
    c.commands.retries = 2;
    auto s = setup_for("fe1", c);
    Node fe(s);
    const auto copy = find_step(s.plan, "copy-opscode");
    const auto upgrade = find_step(s.plan, "upgrade-frontend");  // re-run on failure, 2 h expected
    REQUIRE(fe.boot(finished_before(s, Role::frontend, "copy-opscode"), 0));
    fe.take_effects();
    const std::string archive = "the bootstrap's /etc/opscode";
    // The attempt the node just started (attempts count on across rounds, as journaled).
    auto started = [&] {
        const auto runs = effects_of<RunStep>(fe.take_effects());
        REQUIRE(runs.size() == 1);
        return runs[0];
    };

    // A copy step: fetched, re-ordered with another archive, then bytes that do not match its digest.
    fe.on_message(from_leader(order_for(copy, 0, "an older archive")), 10);
    CHECK(fe.work() == Worker::Work::receiving);
    fe.on_message(from_leader(order_for(copy, 0, archive)), 20);
    fe.on_message(from_leader(Chunk{1, copy.first, copy.second, 0, std::string(archive.size(), 'x')}), 30);
    CHECK(fe.work() == Worker::Work::waiting);
    CHECK(reports_in(fe.take_effects()).at(0).end.outcome == Outcome::failed);
    // The operator's retry: a new round, the right bytes, unpacked.
    fe.on_message(from_leader(order_for(copy, 1, archive)), 40);
    fe.on_message(from_leader(Chunk{1, copy.first, copy.second, 0, archive}), 50);
    REQUIRE(fe.work() == Worker::Work::running);
    const RunStep unpack = started();
    REQUIRE(unpack.archive);
    CHECK(*unpack.archive == archive);
    fe.on_step_finished(result_of(copy, 1, unpack.attempt, Outcome::ok), 60);
    CHECK(fe.work() == Worker::Work::waiting);

    // Stalled past 2 h, then failed: the plan re-runs it after its backoff; failed again, then interrupted.
    const std::int64_t stall = 2 * 3600 * 1000 + 1000;
    fe.on_message(from_leader(order_for(upgrade)), 100);
    const RunStep first = started();
    fe.on_tick(100 + stall);
    CHECK(fe.work() == Worker::Work::stalled);
    fe.on_step_finished(result_of(upgrade, 0, first.attempt, Outcome::failed, "boom"), 200 + stall);
    CHECK(fe.work() == Worker::Work::backing_off);
    fe.take_effects();
    fe.on_tick(200 + stall + 5000);
    CHECK(fe.work() == Worker::Work::running);
    const RunStep second = started();
    fe.on_step_finished(result_of(upgrade, 0, second.attempt, Outcome::failed, "boom"), 300 + stall);
    CHECK(fe.work() == Worker::Work::backing_off);
    Order stop = order_for(upgrade);
    stop.interrupt = true;
    fe.on_message(from_leader(stop), 400 + stall);
    CHECK(fe.work() == Worker::Work::waiting);
    CHECK_THAT(reports_in(fe.take_effects()).back().end.detail, Catch::Contains("while waiting to re-run"));

    // Rounds 1-3 (the operator's retries): interrupted running, interrupted stalled, finished stalled.
    for (std::uint32_t round = 1; round <= 3; ++round) {
        const std::int64_t t = round * 10 * stall;
        fe.on_message(from_leader(order_for(upgrade, round)), t);
        REQUIRE(fe.work() == Worker::Work::running);
        const RunStep run = started();
        if (round >= 2) {
            fe.on_tick(t + stall);
            CHECK(fe.work() == Worker::Work::stalled);
        }
        if (round <= 2) {
            Order end = order_for(upgrade, round);
            end.interrupt = true;
            fe.on_message(from_leader(end), t + stall + 10);
            CHECK(fe.work() == Worker::Work::interrupting);
            CHECK(effects_of<Interrupt>(fe.take_effects()).size() == 1);
        }
        fe.on_step_finished(result_of(upgrade, round, run.attempt, round <= 2 ? Outcome::failed : Outcome::ok), t + stall + 20);
        CHECK(fe.work() == Worker::Work::waiting);
    }
    CHECK(reports_in(fe.take_effects()).back().end.outcome == Outcome::ok);

    // The operator ends a copy step while its archive is on its way: it fails before it ran.
    Node again(s);
    REQUIRE(again.boot(finished_before(s, Role::frontend, "copy-opscode"), 0));
    again.on_message(from_leader(order_for(copy, 0, archive)), 10);
    REQUIRE(again.work() == Worker::Work::receiving);
    Order end = order_for(copy, 0, archive);
    end.interrupt = true;
    again.on_message(from_leader(end), 20);
    CHECK(again.work() == Worker::Work::waiting);
    CHECK_THAT(reports_in(again.take_effects()).back().end.detail, Catch::Contains("before it ran"));
    auto taken = fe.moves();
    taken.insert(again.moves().begin(), again.moves().end());
    CHECK(fe.bugs().empty());
    CHECK(again.bugs().empty());
    CHECK(missing_moves(Worker::all_moves(), taken).empty());
}
