// Behaviours of the coordination core, one node or a small cluster driven by hand.
#include "config/plan_file.hpp"
#include "core/events.hpp"
#include "core/node.hpp"
#include "core/outlook.hpp"
#include "core/rehearsal.hpp"

#include <catch2/catch.hpp>

#include "core/codec.hpp"
#include "core/digest.hpp"

#include <algorithm>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <set>

using namespace chu;

namespace {

const char* const topology_text = R"(topology "ha"
server "be1", :ipaddress => "192.0.2.1", :role => "backend", :bootstrap => true
server "be2", :ipaddress => "192.0.2.2", :role => "backend"
server "fe1", :ipaddress => "192.0.2.3", :role => "frontend"
)";

NodeSetup setup_for(const std::string& node, Config config = {})
{
    config.upgrade.package = "/srv/chef-server-core_12.19.31-1_amd64.deb";
    auto raw = load_plan(std::string(CHU_SOURCE_DIR) + "/conf/plans/chef-server-12.plan", "");
    REQUIRE(raw);
    return make_setup(parse_topology(topology_text, "test.rb").value(), effective_plan(raw.value(), config).value(), config, node,
                      NodeFacts{"/usr/bin/private-chef-ctl", config.upgrade.package, PackageFormat::deb}, "pkg", "key", "test");
}

template <class T>
std::vector<T> effects_of(const std::vector<Effect>& effects)
{
    std::vector<T> out;
    for (const auto& e : effects)
        if (auto* x = std::get_if<T>(&e))
            out.push_back(*x);
    return out;
}

std::vector<Record> records_of(const std::vector<Effect>& effects)
{
    std::vector<Record> out;
    for (const auto& w : effects_of<WriteRecord>(effects))
        out.push_back(w.record);
    return out;
}

// (phase, step) of a step id in the chef-server-12 plan.
std::pair<int, int> find_step(const Plan& plan, const std::string& id)
{
    for (std::size_t p = 0; p < plan.phases.size(); ++p)
        for (std::size_t s = 0; s < plan.phases[p].steps.size(); ++s)
            if (plan.phases[p].steps[s].id == id)
                return {static_cast<int>(p), static_cast<int>(s)};
    FAIL("no step " << id);
    return {};
}

// A follower whose journal says it finished every step before `id` on its role.
std::vector<Record> finished_before(const NodeSetup& s, Role role, const std::string& id)
{
    std::vector<Record> journal{EpochRecord{1}};
    const auto target = find_step(s.plan, id);
    for (std::size_t p = 1; p < s.plan.phases.size(); ++p)
        for (std::size_t st = 0; st < s.plan.phases[p].steps.size(); ++st) {
            if (std::make_pair(static_cast<int>(p), static_cast<int>(st)) >= target)
                return journal;
            const Step& step = s.plan.phases[p].steps[st];
            if (runs_on(step, role) && step.when.kind == Condition::Kind::always && step.kind != StepKind::gate)
                journal.push_back(FinishedRecord{static_cast<int>(p), static_cast<int>(st), 0, Outcome::ok, 0, {}, {}, 0, 0});
        }
    return journal;
}

Envelope from_leader(Message m)
{
    return Envelope{"be1", std::move(m)};
}

}  // namespace

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

TEST_CASE("a leader whose plan changed since the join refuses its journal at start, applying nothing", "[leader]")
{
    auto s = setup_for("be1");
    Node leader(s);
    const auto booted = leader.boot({EpochRecord{1}, JoinedRecord{s.topology_digest, "another plan", "pkg", "key", 0}}, 0);
    REQUIRE_FALSE(booted);
    CHECK(booted.error().kind == ErrorKind::config);  // exit 78: no restart loop
    CHECK_THAT(booted.error().message, Catch::Contains("differs from what the cluster agreed at its join"));
    CHECK(leader.take_effects().empty());  // not started: no epoch, no order
}

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

namespace {

// A leader at install-package (every node, 1800 s), its own attempt begun at 0, the downtime begun at 500 (a
// report of phase 3); and what a Presence says of a node at that step.
struct AtInstall {
    NodeSetup s = setup_for("be1");
    int phase = 0, step = 0;
    std::unique_ptr<Node> leader;
    AtInstall()
    {
        std::tie(phase, step) = find_step(s.plan, "install-package");
        const auto [sp, ss] = find_step(s.plan, "stop-frontend");
        std::vector<Record> journal{EpochRecord{1}, JoinedRecord{s.topology_digest, s.plan_digest, "pkg", "key", 0}};
        journal.push_back(ReportRecord{"fe1", sp, ss, 0, {Outcome::ok, 0, {}, {}}, 500, 600});
        for (int ph = 1; ph < phase; ++ph)
            journal.push_back(PhaseRecord{ph, 100});
        for (const Record& own : finished_before(s, Role::bootstrap, "install-package"))
            journal.push_back(own);
        leader = std::make_unique<Node>(s);
        REQUIRE(leader->boot(journal, 0));
        leader->take_effects();
    }
    Presence hello(std::int64_t running_ms, bool running = true) const
    {
        return Presence{2,
                        s.plan.name,
                        s.topology_digest,
                        s.plan_digest,
                        "pkg",
                        "key",
                        "test",
                        phase,
                        step,
                        running,
                        static_cast<std::uint64_t>(running_ms)};
    }
    void hear(const std::string& node, std::int64_t running_ms, std::int64_t now, bool running = true)
    {
        leader->on_message(Envelope{node, hello(running_ms, running)}, now);
        leader->take_effects();
    }
    // The leader's beat at `now`, as the follower `to` gets it.
    Beat beat(const std::string& to, std::int64_t now)
    {
        leader->on_tick(now);
        for (const auto& send : effects_of<Send>(leader->take_effects()))
            if (send.to == to && std::holds_alternative<Beat>(send.message))
                return std::get<Beat>(send.message);
        FAIL("no beat to " << to);
        return {};
    }
};

const PeerInfo& row(const NodeStatus& st, const std::string& node)
{
    for (const auto& p : st.peers)
        if (p.name == node)
            return p;
    FAIL("no row for " << node);
    return st.peers.front();
}

}  // namespace

TEST_CASE("a node not heard for the peer timeout reads lost on the leader and its followers, with what the cluster waits "
          "for and the drop command for a frontend",
          "[leader][lost]")
{
    AtInstall at;
    at.hear("be2", 0, 5, false);
    at.hear("fe1", 0, 5, false);
    CHECK(static_cast<State>(row(at.leader->status(5), "fe1").state) != State::lost);
    const std::int64_t later = 5 + at.s.config.cluster.peer_timeout_ms + 1;
    at.hear("be2", 0, later, false);

    const NodeStatus leader = at.leader->status(later);
    CHECK(static_cast<State>(row(leader, "fe1").state) == State::lost);
    CHECK(static_cast<State>(row(leader, "be2").state) != State::lost);
    CHECK(leader.state == State::running);  // the cluster waits for it: nothing failed
    CHECK(leader.last_error == lost_wait_text("fe1", Role::frontend, later - 5));
    CHECK_THAT(leader.last_error, Catch::Contains("sudo chef-ha-upgrade-ctl drop fe1"));
    CHECK(leader.next == "waiting for fe1 (lost): bring it back, or drop it: sudo chef-ha-upgrade-ctl drop fe1");
    CHECK(leader.downtime_expected_end_ms == 0);

    // A follower shows what the leader's beat says: the same row, error and next line.
    auto s2 = setup_for("be2");
    Node follower(s2);
    REQUIRE(follower.boot(finished_before(s2, Role::secondary, "install-package"), 0));
    follower.on_message(from_leader(at.beat("be2", later)), later);
    const NodeStatus seen = follower.status(later);
    CHECK(static_cast<State>(row(seen, "fe1").state) == State::lost);
    CHECK(seen.last_error == leader.last_error);
    CHECK(seen.next == leader.next);

    // A backend lost as well: it must come back, it cannot be dropped.
    const std::int64_t last = later + at.s.config.cluster.peer_timeout_ms + 1;
    const std::string both = at.leader->status(last).last_error;
    CHECK_THAT(both, Catch::StartsWith("waiting for be2 (secondary backend, lost: not heard for 5 s): bring it back") &&
                         Catch::Contains("a backend cannot be dropped") && Catch::Contains("; waiting for fe1 (frontend"));
    CHECK_THAT(both, !Catch::Contains("drop be2"));

    // The follower that no longer hears the leader shows the leader lost, and waits for it.
    const NodeStatus alone = follower.status(last);
    CHECK(static_cast<State>(row(alone, "be1").state) == State::lost);
    CHECK_THAT(alone.next, Catch::StartsWith("wait for the leader be1, not reachable from this node"));
}

TEST_CASE("every running step shows its time against the plan's on the leader and its followers, and Progress weighs "
          "the plan's expectations",
          "[leader][progress]")
{
    AtInstall at;
    at.hear("be2", 60'000, 60'000);
    at.hear("fe1", 0, 60'000, false);
    const NodeStatus leader = at.leader->status(60'000);
    REQUIRE(leader.running.size() == 2);
    CHECK(leader.running[0].node == "be1");
    CHECK(leader.running[1].node == "be2");
    CHECK(leader.running[1].started_ms == 0);
    CHECK(leader.running[1].expected_ms == 1800'000);
    CHECK_THAT(leader.step,
               Catch::EndsWith(", 1 min (expected ≤ 30 min); be2: " + leader.running[1].action + ", 1 min (expected ≤ 30 min)"));

    // The follower fe1, idle, shows both from the leader's beat.
    auto s3 = setup_for("fe1");
    Node follower(s3);
    REQUIRE(follower.boot(finished_before(s3, Role::frontend, "install-package"), 0));
    follower.on_message(from_leader(at.beat("fe1", 60'000)), 60'000);
    const NodeStatus seen = follower.status(64'000);
    REQUIRE(seen.running.size() == 2);
    CHECK_THAT(seen.step, Catch::Contains("; be1: " + leader.running[0].action + ", 1 min (expected ≤ 30 min)") &&
                              Catch::Contains("; be2: " + leader.running[1].action + ", 1 min (expected ≤ 30 min)"));
    CHECK(seen.progress == leader.progress);

    // Progress moves while the step runs, by its time against the plan's.
    at.hear("be2", 900'000, 900'000);
    at.hear("fe1", 900'000, 900'000);
    const std::uint32_t halfway = at.leader->status(900'000).progress;
    CHECK(halfway > leader.progress);
    at.hear("be2", 3600'000, 3600'000);
    at.hear("fe1", 3600'000, 3600'000);
    const std::uint32_t overdue = at.leader->status(3600'000).progress;
    CHECK(overdue > halfway);
    CHECK(overdue < 100);
}

TEST_CASE("the downtime's expected end holds still while the steps run on plan, and cannot be told once a node is lost",
          "[leader][downtime]")
{
    AtInstall at;
    at.hear("be2", 60'000, 60'000);
    at.hear("fe1", 60'000, 60'000);
    const NodeStatus first = at.leader->status(60'000);
    REQUIRE(first.downtime_begin_ms == 500);
    const std::int64_t end = first.downtime_expected_end_ms;
    CHECK(end % 60'000 == 0);
    CHECK(end >= 1800'000);  // at least what remains of this step
    at.hear("be2", 600'000, 600'000);
    at.hear("fe1", 600'000, 600'000);
    CHECK(at.leader->status(600'000).downtime_expected_end_ms == end);
    CHECK(at.leader->status(600'000).next == "nothing: the phase runs");

    const std::int64_t later = 600'000 + at.s.config.cluster.peer_timeout_ms + 1;
    at.hear("be2", later, later);
    const NodeStatus lost = at.leader->status(later);
    CHECK(lost.downtime_expected_end_ms == 0);
    CHECK(downtime_outlook(lost, later) == "its end cannot be estimated while a node is lost");
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

// ---------------------------------------------------------------- the state machines, move by move

namespace {

// A step's order for round `round` (copy steps: with the archive's digest and size).
Order order_for(std::pair<int, int> ref, std::uint32_t round = 0, const std::string& archive = {})
{
    Order o{1, ref.first, ref.second, round, {}, 0, false};
    if (!archive.empty()) {
        o.archive_digest = archive_digest(archive);
        o.archive_size = archive.size();
    }
    return o;
}

StepResult result_of(std::pair<int, int> ref, std::uint32_t round, std::uint32_t attempt, Outcome outcome,
                     std::string detail = {})
{
    return StepResult{ref.first, ref.second, round, attempt, {outcome, outcome == Outcome::ok ? 0 : 1, {}, std::move(detail)}};
}

std::vector<Report> reports_in(const std::vector<Effect>& effects)
{
    std::vector<Report> out;
    for (const auto& send : effects_of<Send>(effects))
        if (auto* r = std::get_if<Report>(&send.message))
            out.push_back(*r);
    return out;
}

std::vector<std::pair<std::string, Order>> orders_in(const std::vector<Effect>& effects)
{
    std::vector<std::pair<std::string, Order>> out;
    for (const auto& send : effects_of<Send>(effects))
        if (auto* o = std::get_if<Order>(&send.message))
            out.emplace_back(send.to, *o);
    return out;
}

std::set<std::string> missing_moves(const std::set<std::string>& all, const std::set<std::string>& taken)
{
    std::set<std::string> out;
    std::set_difference(all.begin(), all.end(), taken.begin(), taken.end(), std::inserter(out, out.begin()));
    return out;
}

// How a node's step ends in the drives below: ok, with what a healthy cluster reads.
StepOutcome healthy(const NodeSetup& s, const std::string& node, const Order& o)
{
    const Step& step = s.plan.phases[o.phase].steps[o.step];
    std::string value;
    if (step.kind == StepKind::check && step.check == Check::keepalived_status)
        value = node == "be1" ? "master" : "backup";
    else if (step.kind == StepKind::check && step.check == Check::migration_level)
        value = "1.0";
    return {Outcome::ok, 0, value, {}};
}

// A leader and its followers answering every order at once (the leader's own steps too), as `answer` says.
struct Drive {
    Node& leader;
    std::function<StepOutcome(const std::string& node, const Order& order)> answer;
    std::int64_t now = 100;
    std::vector<Effect> seen = {};
    std::set<std::string> silent = {};  // nodes gone: their orders are never answered

    // Runs until nothing more happens.
    void run()
    {
        for (int i = 0; i < 400; ++i) {
            now += 10;
            auto effects = leader.take_effects();
            seen.insert(seen.end(), effects.begin(), effects.end());
            bool acted = false;
            for (const auto& [to, o] : orders_in(effects)) {
                if (silent.count(to))
                    continue;
                const StepOutcome end = o.skip ? StepOutcome{Outcome::skipped, 0, {}, {}} : answer(to, o);
                leader.on_message(Envelope{to, Report{o.epoch, o.phase, o.step, o.round, end, now, now}}, now);
                acted = true;
            }
            for (const auto& run : effects_of<RunStep>(effects)) {
                const StepOutcome end = answer(leader.name(), Order{1, run.phase, run.step, run.round, {}, 0, false});
                leader.on_step_finished(StepResult{run.phase, run.step, run.round, run.attempt, end}, now);
                acted = true;
            }
            for (const auto& pack : effects_of<PackArchive>(effects)) {
                leader.on_archive(pack.phase, pack.step, std::string("archive"), now);
                acted = true;
            }
            if (!acted)
                return;
        }
    }
};

Presence hello_of(const NodeSetup& s)
{
    return Presence{0, s.plan.name, s.topology_digest, s.plan_digest, "pkg", "key", "test", 0, -1, false};
}

}  // namespace

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

TEST_CASE("what the leader rebuilds from its journal is what it had: one path from a record to state", "[leader][replay]")
{
    auto s = setup_for("be1");
    Node live(s);
    REQUIRE(live.boot({}, 0));
    for (const char* n : {"be2", "fe1"})
        live.on_message(Envelope{n, hello_of(s)}, 5);
    const auto stop = find_step(s.plan, "stop-frontend");
    bool failed_once = false;
    Drive drive{live, [&](const std::string& node, const Order& o) {
                    if (std::make_pair(int(o.phase), int(o.step)) == stop && !failed_once) {
                        failed_once = true;
                        return StepOutcome{Outcome::failed, 1, {}, "boom"};
                    }
                    return healthy(s, node, o);
                }};
    drive.run();
    live.on_operator(1, Op::pause, drive.now + 1);
    live.on_operator(2, Op::retry, drive.now + 2);
    drive.run();
    const auto journal = records_of(drive.seen);
    Node rebuilt(s);
    REQUIRE(rebuilt.restore(journal));
    CHECK(rebuilt.journaled() == live.journaled());
    CHECK(rebuilt.journaled().leader->hold == Leader::Hold::paused);
    CHECK(rebuilt.journaled().leader->targets.at({"fe1", {stop.first, stop.second}}).round == 1);
}

TEST_CASE("a journal that no longer fits the plan or the agreement is refused whole, naming the record", "[leader][replay]")
{
    auto s = setup_for("be1");
    const JoinedRecord agreed{s.topology_digest, s.plan_digest, "pkg", "key", 0};
    {
        Node leader(s);
        const auto refused = leader.restore({EpochRecord{1}, JoinedRecord{s.topology_digest, "another plan", "pkg", "key", 0}});
        REQUIRE_FALSE(refused);
        CHECK(refused.error().kind == ErrorKind::config);
        CHECK_THAT(refused.error().message, Catch::StartsWith("inputs changed: the plan (chef-server-12"));
        CHECK(leader.journaled().leader->epoch == 0);  // nothing applied
    }
    {  // An add-on removed from the config: its phase, past the plan now.
        Node fe(setup_for("fe1"));
        const int past = static_cast<int>(s.plan.phases.size());
        const auto refused = fe.restore({EpochRecord{1}, FinishedRecord{past, 0, 0, {Outcome::ok, 0, {}, {}}, 0, 0}});
        REQUIRE_FALSE(refused);
        CHECK(refused.error().kind == ErrorKind::config);
        CHECK_THAT(refused.error().message, Catch::Contains("record 2 (the end of step 0 of phase " + std::to_string(past) +
                                                            ") names a step that plan chef-server-12"));
    }
    {  // An approval that names no gate, and a report from a node the topology does not have.
        Node leader(s);
        CHECK_FALSE(leader.restore({agreed, DecisionRecord{Op::approve, "", 1, 0, 0, 0}}));
        CHECK_FALSE(leader.restore({agreed, ReportRecord{"fe9", 1, 0, 0, {}, 0, 0}}));
    }
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

TEST_CASE("a journal an older daemon wrote (format 1) is read as it meant: reports without an exit status, an approval "
          "without its gate",
          "[leader][replay]")
{
    auto s = setup_for("be1");
    // Format-1 bytes written by hand, as that daemon's encoder laid them out, not by today's field lists.
    auto frame = [](std::uint8_t tag, const std::function<void(Writer&)>& fields) {
        Writer payload;
        payload.u8(1);
        payload.u8(tag);
        fields(payload);
        Writer out;
        out.u32(static_cast<std::uint32_t>(payload.bytes().size()));
        out.u64(checksum64(payload.bytes()));
        return out.bytes() + payload.bytes();
    };
    const std::string report = frame(ReportRecord::tag, [](Writer& w) {
        w.str("fe1");
        w.u32(1), w.u32(0), w.u32(0);
        w.u8(static_cast<std::uint8_t>(Outcome::failed));
        w.str(""), w.str("[ERROR] boom");
        w.i64(10), w.i64(20);
    });
    const std::string approval = frame(DecisionRecord::tag, [](Writer& w) {
        w.u8(static_cast<std::uint8_t>(Op::approve));
        w.str("");
        w.u32(0), w.u32(0), w.u32(0);
        w.i64(30);
    });
    const std::string joined = encode_record(JoinedRecord{s.topology_digest, s.plan_digest, "pkg", "key", 0});
    const JournalScan scan = scan_journal(encode_record(EpochRecord{1}) + joined + report + approval);
    REQUIRE(scan.problem.empty());
    REQUIRE(scan.records.size() == 4);
    const auto& r = std::get<ReportRecord>(scan.records[2]);
    CHECK(r.end.outcome == Outcome::failed);
    CHECK(r.end.detail == "[ERROR] boom");
    CHECK(r.end.exit_code == 0);  // not kept by format 1

    Node leader(s);
    REQUIRE(leader.restore(scan.records));
    const auto gate = find_step(s.plan, "approve-cleanup");
    CHECK(leader.journaled().leader->approved == std::set<StepRef>{{gate.first, gate.second}});
    CHECK(leader.journaled().leader->targets.at({"fe1", {1, 0}}).state == Leader::TargetState::failed);
}

namespace {

NodeStatus cluster_at(State state, int phase, std::int64_t heard_ms)
{
    NodeStatus s;
    s.node = s.leader = "be1";
    s.state = state;
    s.phase = phase;
    s.phase_count = 14;
    for (const char* n : {"be1", "be2", "fe1"})
        s.peers.push_back(PeerInfo{n, 0, static_cast<std::uint8_t>(state), phase, "", heard_ms});
    return s;
}

std::vector<std::string> kinds(const std::vector<Event>& events)
{
    std::vector<std::string> out;
    for (const auto& e : events)
        out.push_back(std::string(event_name(e.kind)) + " " + std::to_string(e.phase));
    return out;
}

}  // namespace

TEST_CASE("the leader's events follow the cluster phase by phase, with the downtime, the failures, the gate and lost nodes",
          "[events]")
{
    const auto setup = setup_for("be1");
    EventWatch watch(setup);
    using V = std::vector<std::string>;
    CHECK(watch.next(cluster_at(State::joining, 0, 0), 1000).empty());  // where it starts
    CHECK(kinds(watch.next(cluster_at(State::running, 1, 1000), 1100)) == V{"joined 0", "phase-started 1"});

    NodeStatus at3 = cluster_at(State::running, 3, 2000);
    at3.downtime_begin_ms = 2000;
    CHECK(kinds(watch.next(at3, 2100)) ==
          V{"phase-complete 1", "phase-started 2", "phase-complete 2", "phase-started 3", "downtime-began 3"});

    NodeStatus failed = at3;
    failed.state = State::failed;
    failed.last_error = "node fe1, step stop-frontend failed";
    failed.peers[2].state = static_cast<std::uint8_t>(State::failed);
    failed.peers[2].step = "stop-frontend";
    const auto failure = watch.next(failed, 2200);
    REQUIRE(kinds(failure) == V{"step-failed 3"});
    CHECK(failure[0].node == "fe1");
    CHECK(failure[0].step == "stop-frontend");
    CHECK(failure[0].message == failed.last_error);
    CHECK(failure[0].phase_name == setup.plan.phases[3].title);
    CHECK(failure[0].at_ms == 2200);

    NodeStatus gate = cluster_at(State::awaiting_approval, 12, 3000);
    gate.downtime_begin_ms = 2000;
    gate.downtime_end_ms = 2900;
    gate.step_id = "approve-cleanup";
    const auto to_gate = watch.next(gate, 3000);
    CHECK(kinds(to_gate) == V{"phase-complete 3",  "phase-started 4",   "phase-complete 4",  "phase-started 5",
                              "phase-complete 5",  "phase-started 6",   "phase-complete 6",  "phase-started 7",
                              "phase-complete 7",  "phase-started 8",   "phase-complete 8",  "phase-started 9",
                              "phase-complete 9",  "phase-started 10",  "phase-complete 10", "phase-started 11",
                              "phase-complete 11", "downtime-ended 11", "phase-started 12",  "awaiting-approval 12"});
    CHECK(to_gate.back().step == "approve-cleanup");

    NodeStatus silent = gate;
    const std::int64_t later = 3000 + setup.config.cluster.peer_timeout_ms + 1;
    silent.peers[1].last_heard_ms = later;
    silent.peers[2].last_heard_ms = 3000;
    const auto lost = watch.next(silent, later);
    REQUIRE(kinds(lost) == V{"node-lost 12"});
    CHECK(lost[0].node == "fe1");
    silent.peers[2].last_heard_ms = 9000;
    CHECK(kinds(watch.next(silent, 9000)) == V{"node-back 12"});

    NodeStatus done = cluster_at(State::complete, 13, 9500);
    done.downtime_begin_ms = 2000;
    done.downtime_end_ms = 2900;
    CHECK(kinds(watch.next(done, 9500)) == V{"phase-complete 12", "phase-started 13", "phase-complete 13", "complete 13"});
    CHECK(watch.history().size() == 2 + 5 + 1 + 20 + 2 + 4);
}

TEST_CASE("a follower that loses the leader says so of the leader alone, and its events serialize as one JSON line", "[events]")
{
    const auto setup = setup_for("fe1");  // the watch keeps a reference to it
    EventWatch watch(setup);
    NodeStatus s = cluster_at(State::running, 5, 1000);
    s.node = "fe1";
    CHECK(watch.next(s, 1000).empty());
    s.leader_reachable = false;
    const auto lost = watch.next(s, 60'000);  // every peer's last_heard is old now: only the leader is judged
    REQUIRE(kinds(lost) == std::vector<std::string>{"node-lost 5"});
    CHECK(lost[0].node == "be1");
    const std::string json = event_json(lost[0], "fe1");
    CHECK(json == "{\"event\":\"node-lost\",\"node\":\"be1\",\"phase\":5,\"phase_name\":\"" + lost[0].phase_name +
                      "\",\"step\":\"\",\"state\":\"running\",\"message\":\"the leader be1 is not reachable\","
                      "\"at_usec\":60000000,\"source\":\"fe1\"}");
    for (std::uint8_t k = 0; k <= static_cast<std::uint8_t>(last_event_kind); ++k)
        CHECK(event_named(event_name(static_cast<EventKind>(k))) == static_cast<EventKind>(k));
}

// ---------------------------------------------------------------- the preflight rehearsal

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
