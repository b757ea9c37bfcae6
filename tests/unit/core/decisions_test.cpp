// The operator's decisions, taken on the leader from any node: approval at the gate, skipping a failed
// step (forced where the plan names a risk), interrupting a stalled command, and a call that fails at
// once when the leader is gone.
#include "support/core_fixture.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace chu;
using namespace chu::test;

namespace {

// A leader whose journal has every phase before `ref`'s complete and fe1's run of it failed: the cluster
// failed. Returns that journal.
std::vector<Record> boot_failed_at_fe1(Node& leader, const NodeSetup& s, StepRef ref)
{
    std::vector<Record> journal{EpochRecord{1}, JoinedRecord{s.topology_digest, s.plan_digest, "pkg", "key", 0}};
    for (int ph = 1; ph < ref.phase; ++ph)
        journal.push_back(PhaseRecord{ph, 100});
    journal.push_back(ReportRecord{"fe1", ref.phase, ref.step, 0, {Outcome::failed, 1, {}, "boom"}, 0, 0});
    REQUIRE(leader.boot(journal, 0));
    leader.take_effects();
    REQUIRE(leader.status(0).state == State::failed);
    return journal;
}

}  // namespace

TEST_CASE("the cluster holds at the approval gate until the operator approves, from any node", "[gate]")
{
    auto s = setup_for("be1");
    const auto [gp, gs] = find_step(s.plan, "approve-cleanup");
    std::vector<Record> journal{EpochRecord{1}, JoinedRecord{s.topology_digest, s.plan_digest, "pkg", "key", 0}};
    for (int p = 1; p < gp; ++p)
        journal.push_back(PhaseRecord{p, 100});
    for (int st = 0; st < gs; ++st)
        for (const char* n : {"be1", "be2", "fe1"})
            if (runs_on(s.plan.phases[gp].steps[st], s.topology.find(n)->role))
                journal.push_back(ReportRecord{n, gp, st, 0, {Outcome::ok, 0, {}, {}}, 0, 0});
    // The leader's own worker finished its steps too: else it would refuse the cleanup, failing the cluster.
    const auto own = finished_before(s, Role::bootstrap, "cleanup");
    journal.insert(journal.end(), own.begin() + 1, own.end());
    Node leader(s);
    REQUIRE(leader.boot(journal, 0));
    leader.take_effects();
    CHECK(leader.status(0).state == State::awaiting_approval);

    // Approval asked on a follower travels to the leader and its answer comes back.
    auto fs = setup_for("fe1");
    Node fe(fs);
    REQUIRE(fe.boot({EpochRecord{2}}, 0));
    fe.take_effects();
    fe.on_message(from_leader(Beat{2, static_cast<std::uint8_t>(State::awaiting_approval), gp, gs, 90, {}, 0, 0, {}, {}}), 5);
    fe.on_operator(7, Op::approve, 10);
    auto forwarded = effects_of<Send>(fe.take_effects());
    REQUIRE(forwarded.size() == 1);
    CHECK(forwarded[0].to == "be1");
    leader.on_message(Envelope{"fe1", forwarded[0].message}, 11);
    auto after = leader.take_effects();
    CHECK(leader.status(11).state == State::running);
    Reply reply;
    for (const auto& send : effects_of<Send>(after))
        if (auto* r = std::get_if<Reply>(&send.message))
            reply = *r;
    CHECK(reply.ok);
    CHECK(reply.id == 7);
    fe.on_message(from_leader(reply), 12);
    auto answers = effects_of<Answer>(fe.take_effects());
    REQUIRE(answers.size() == 1);
    CHECK(answers[0].ok);
    CHECK(answers[0].id == 7);
}

TEST_CASE("an operator call on a follower whose leader is gone fails at once, deciding nothing", "[gate]")
{
    auto fs = setup_for("fe1");
    Node fe(fs);
    REQUIRE(fe.boot({}, 0));
    fe.take_effects();
    fe.on_operator(1, Op::pause, 10);
    auto effects = fe.take_effects();
    CHECK(effects_of<Send>(effects).empty());
    auto answers = effects_of<Answer>(effects);
    REQUIRE(answers.size() == 1);
    CHECK_FALSE(answers[0].ok);
    CHECK_THAT(answers[0].text, Catch::Contains("the leader be1 is not reachable"));
}

TEST_CASE("a failed step whose plan names a risk in skipping it is skipped only when forced, the risk said", "[gate]")
{
    auto s = setup_for("be1");
    const auto [p, st] = find_step(s.plan, "stop-frontend");  // the first step of its phase
    s.plan.phases[static_cast<std::size_t>(p)].steps[static_cast<std::size_t>(st)].skip_risk = "the frontends keep serving";
    Node leader(s);
    boot_failed_at_fe1(leader, s, {p, st});

    leader.on_operator(1, Op::skip, 10);
    auto refused = leader.take_effects();
    REQUIRE(effects_of<Answer>(refused).size() == 1);
    CHECK_FALSE(effects_of<Answer>(refused).at(0).ok);
    CHECK_THAT(effects_of<Answer>(refused).at(0).text,
               Catch::Contains("skipping step stop-frontend risks this: the frontends keep serving") &&
                   Catch::Contains("chef-ha-upgrade-ctl skip --force"));
    CHECK(effects_of<WriteRecord>(refused).empty());  // nothing decided

    leader.on_operator(Command{2, Op::skip, {}, true}, 20);
    auto forced = leader.take_effects();
    CHECK(effects_of<Answer>(forced).at(0).ok);
    CHECK_THAT(effects_of<Answer>(forced).at(0).text, Catch::Contains("skip step stop-frontend"));
}

TEST_CASE("a failed step skipped by the operator is recorded as skipped on its node, and the cluster goes on", "[gate]")
{
    auto s = setup_for("be1");
    const auto [p, st] = find_step(s.plan, "stop-frontend");  // frontends only
    Node leader(s);
    const std::vector<Record> journal = boot_failed_at_fe1(leader, s, {p, st});
    // Once heard, only the node whose step failed shows failed; the others are held until the operator decides.
    for (const char* peer : {"be2", "fe1", "fe2"})
        leader.on_message(
            Envelope{peer, Presence{2, s.plan.name, s.topology_digest, s.plan_digest, "pkg", "key", "test", p, st, false}}, 5);
    leader.take_effects();
    for (const PeerInfo& peer : leader.status(5).peers)
        CHECK(static_cast<State>(peer.state) == (peer.name == "fe1" ? State::failed : State::paused));

    leader.on_operator(1, Op::skip, 10);
    auto decided = leader.take_effects();
    CHECK(effects_of<Answer>(decided).at(0).ok);
    Order order;
    for (const auto& send : effects_of<Send>(decided))
        if (auto* o = std::get_if<Order>(&send.message))
            order = *o;
    CHECK(order.skip);
    CHECK(order.round == 1);  // a new round: the node would answer round 0 from its journal, with the failure

    // fe1 failed this step in round 0; the skip order of round 1 is recorded as skipped, nothing runs.
    auto fs = setup_for("fe1");
    Node fe(fs);
    auto fe_journal = finished_before(fs, Role::frontend, "stop-frontend");
    fe_journal.push_back(FinishedRecord{p, st, 0, Outcome::failed, 1, {}, "boom", 0, 0});
    REQUIRE(fe.boot(fe_journal, 0));
    fe.take_effects();
    fe.on_message(from_leader(order), 20);
    auto skipped = fe.take_effects();
    CHECK(effects_of<RunStep>(skipped).empty());
    const auto sent = effects_of<Send>(skipped);
    REQUIRE(sent.size() == 1);
    const auto& report = std::get<Report>(sent[0].message);
    CHECK(report.end.outcome == Outcome::skipped);
    CHECK(report.round == 1);

    leader.on_message(Envelope{"fe1", report}, 30);
    leader.take_effects();
    CHECK(leader.status(30).state != State::failed);

    // A restarted leader replays the skip with its round, and still waits for the skipped report only.
    auto replay = journal;
    replay.push_back(DecisionRecord{Op::skip, "fe1", p, st, 1, 10});
    Node restarted(s);
    REQUIRE(restarted.boot(replay, 40));
    auto resent = effects_of<Send>(restarted.take_effects());
    bool reordered = false;
    for (const auto& send : resent)
        if (auto* o = std::get_if<Order>(&send.message))
            reordered = reordered || (send.to == "fe1" && o->round == 1 && o->skip);
    CHECK(reordered);
}

TEST_CASE("the leader interrupts only a stalled command, and says the cluster is stalled until then", "[leader][stall]")
{
    auto s = setup_for("be1");
    const auto [p, st] = find_step(s.plan, "install-package");  // every node, timeout 1800 s
    std::vector<Record> journal{EpochRecord{1}, JoinedRecord{s.topology_digest, s.plan_digest, "pkg", "key", 0}};
    for (int ph = 1; ph < p; ++ph)
        journal.push_back(PhaseRecord{ph, 100});
    for (const Record& own : finished_before(s, Role::bootstrap, "install-package"))  // its own worker's part
        journal.push_back(own);
    Node leader(s);
    REQUIRE(leader.boot(journal, 0));
    leader.take_effects();
    const int phase = p, step = st;  // a lambda may not capture structured bindings (C++17)
    const auto hello = [&](std::uint64_t running_ms) {
        return Presence{2,     s.plan.name, s.topology_digest, s.plan_digest, "pkg", "key", "test",
                        phase, step,        running_ms > 0,    running_ms};
    };
    leader.on_message(Envelope{"be2", hello(60'000)}, 5);
    leader.on_message(Envelope{"fe1", hello(60'000)}, 5);
    leader.take_effects();
    CHECK(leader.status(5).state == State::running);
    leader.on_operator(1, Op::interrupt, 6);
    auto refused = effects_of<Answer>(leader.take_effects());
    REQUIRE(refused.size() == 1);
    CHECK_FALSE(refused[0].ok);
    CHECK_THAT(refused[0].text, Catch::Contains("no command is stalled"));

    leader.on_message(Envelope{"be2", hello(1800'000 + 1)}, 7);
    leader.take_effects();
    const NodeStatus stalled = leader.status(7);
    CHECK(stalled.state == State::stalled);
    CHECK_THAT(stalled.step, Catch::Contains("stalled on be2: running for 30 min, longer than the 30 min expected"));
    for (const PeerInfo& peer : stalled.peers)
        if (peer.name != "be1")
            CHECK(static_cast<State>(peer.state) == (peer.name == "be2" ? State::stalled : State::running));

    leader.on_operator(2, Op::interrupt, 8);
    auto decided = leader.take_effects();
    CHECK(effects_of<Answer>(decided).at(0).ok);
    std::vector<std::string> told;
    for (const auto& send : effects_of<Send>(decided))
        if (auto* o = std::get_if<Order>(&send.message); o && o->interrupt)
            told.push_back(send.to);
    CHECK(told == std::vector<std::string>{"be2"});
    bool journaled = false;
    for (const auto& r : records_of(decided))
        if (auto* d = std::get_if<DecisionRecord>(&r))
            journaled = journaled || (d->op == Op::interrupt && d->node == "be2");
    CHECK(journaled);
}
