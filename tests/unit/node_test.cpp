// Behaviours of the coordination core, one node or a small cluster driven by hand.
#include "config/plan_file.hpp"
#include "core/node.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <memory>

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
    NodeSetup s;
    s.topology = parse_topology(topology_text, "test.rb").value();
    auto raw = load_plan(std::string(CHU_SOURCE_DIR) + "/conf/plans/chef-server-12.plan", "");
    REQUIRE(raw);
    s.plan = effective_plan(raw.value(), config).value();
    s.config = config;
    s.node = node;
    s.facts = NodeFacts{"/usr/bin/private-chef-ctl", config.upgrade.package, PackageFormat::deb};
    s.topology_digest = topology_digest(s.topology);
    s.plan_digest = plan_digest(s.plan);
    s.package_digest = "pkg";
    s.key_id = "key";
    s.version = "test";
    return s;
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
            if (runs_on(step, role) && step.when.empty() && step.kind != StepKind::gate)
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
    fe.boot(finished_before(s, Role::frontend, "stop-frontend"), 0);
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
    CHECK(report.outcome == Outcome::ok);
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
    leader.boot({}, 0);
    CHECK(effects_of<Underway>(leader.take_effects()).empty());
    const Hello good{0, s.plan.name, s.topology_digest, s.plan_digest, "pkg", "key", "test", 0, -1, false};
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
    fe.boot(finished_before(fs, Role::frontend, "stop-frontend"), 0);
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
    secondary.boot(finished_before(s, Role::secondary, "start"), 0);
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
    fe.boot(finished_before(s, Role::frontend, "install-package"), 0);  // install not done
    fe.take_effects();
    fe.on_message(from_leader(Order{1, p, st, 0, {}, 0, false}), 10);
    auto effects = fe.take_effects();
    CHECK(effects_of<RunStep>(effects).empty());
    CHECK_THAT(effects_of<Log>(effects).at(0).text, Catch::Contains("before step install-package finished"));
    // Said to the leader as a failure of the step, so that the cluster stops naming this node and step.
    auto sent = effects_of<Send>(effects);
    REQUIRE(sent.size() == 1);
    const auto& report = std::get<Report>(sent[0].message);
    CHECK(report.outcome == Outcome::failed);
    CHECK(std::make_pair(int(report.phase), int(report.step)) == std::make_pair(p, st));
    CHECK_THAT(report.detail, Catch::Contains("install-package"));
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
    fe.boot(journal, 0);
    fe.take_effects();
    const auto [p, st] = find_step(s.plan, "stop-frontend");
    fe.on_message(from_leader(Order{1, p, st, 0, {}, 0, false}), 10);
    auto effects = fe.take_effects();
    REQUIRE(effects_of<RunStep>(effects).size() == 1);
    auto records = records_of(effects);
    REQUIRE(records.size() == 2);
    const auto& recovered = std::get<FinishedRecord>(records[0]);
    CHECK(std::make_pair(int(recovered.phase), int(recovered.step)) == std::make_pair(rp, rs));
    CHECK(recovered.outcome == Outcome::ok);
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
    fe.boot(journal, 0);
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
    secondary.boot(finished_before(fs, Role::secondary, "upgrade-secondary"), 0);
    secondary.take_effects();
    secondary.on_message(from_leader(Order{1, sp, sst, 0, {}, 0, false}), 100);
    REQUIRE(effects_of<RunStep>(secondary.take_effects()).size() == 1);

    // The upgrade's own timeout: it exits non-zero, and the plan re-runs it.
    secondary.on_step_finished(StepResult{sp, sst, 0, 1, Outcome::failed, 1, {}, "timed out"}, 200);
    auto after_first = secondary.take_effects();
    CHECK(effects_of<Send>(after_first).empty());  // not reported: it will re-run
    secondary.on_tick(5199);  // the plan's backoff is 5 s
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
    CHECK(std::get<Report>(sent[0].message).outcome == Outcome::failed);
    CHECK(std::get<Report>(sent[0].message).detail == "still boom");
}

TEST_CASE("cleanup's chef-mover error is expected and counts as success, other errors do not", "[worker]")
{
    auto s = setup_for("fe1");
    const auto [p, st] = find_step(s.plan, "cleanup");
    for (const auto& [output, expected] : std::vector<std::pair<std::string, Outcome>>{
             {"ok: down: opscode-chef-mover\n[ERROR] opscode-chef-mover is not running\n", Outcome::ok},
             {"[ERROR] opscode-chef-mover is not running\n[ERROR] postgresql is not running\n", Outcome::failed},
             {"something else broke\n", Outcome::failed}}) {
        Node fe(s);
        fe.boot(finished_before(s, Role::frontend, "cleanup"), 0);
        fe.take_effects();
        fe.on_message(from_leader(Order{1, p, st, 0, {}, 0, false}), 10);
        fe.take_effects();
        fe.on_step_finished(StepResult{p, st, 0, 1, Outcome::failed, 1, {}, output}, 20);
        auto sent = effects_of<Send>(fe.take_effects());
        REQUIRE(sent.size() == 1);
        CHECK(std::get<Report>(sent[0].message).outcome == expected);
    }
}

TEST_CASE("the leader refuses a node whose plan differs, naming it, and does not start", "[join]")
{
    auto s = setup_for("be1");
    Node leader(s);
    leader.boot({}, 0);
    leader.take_effects();
    Hello good{0, s.plan.name, s.topology_digest, s.plan_digest, "pkg", "key", "test", 0, -1, false};
    Hello other = good;
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
    leader.boot({}, 0);
    leader.take_effects();
    leader.on_message(Envelope{"intruder", Hello{}}, 10);
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
    leader.boot(journal, 1000);
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

TEST_CASE("a leader whose plan changed since the join refuses to go on", "[leader]")
{
    auto s = setup_for("be1");
    Node leader(s);
    leader.boot({EpochRecord{1}, JoinedRecord{s.topology_digest, "another plan", "pkg", "key", 0}}, 0);
    leader.take_effects();
    const auto st = leader.status(0);
    CHECK(st.state == State::failed);
    CHECK_THAT(st.last_error, Catch::Contains("changed since the cluster joined"));
    for (const PeerInfo& peer : st.peers)  // the leader's own halt: no node is merely held
        if (peer.name == "be1")
            CHECK(static_cast<State>(peer.state) == State::failed);
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
                journal.push_back(ReportRecord{n, gp, st, 0, Outcome::ok, {}, {}, 0, 0});
    // The leader's own worker finished its steps too: else it would refuse the cleanup, failing the cluster.
    const auto own = finished_before(s, Role::bootstrap, "cleanup");
    journal.insert(journal.end(), own.begin() + 1, own.end());
    Node leader(s);
    leader.boot(journal, 0);
    leader.take_effects();
    CHECK(leader.status(0).state == State::awaiting_approval);

    // Approval asked on a follower travels to the leader and its answer comes back.
    auto fs = setup_for("fe1");
    Node fe(fs);
    fe.boot({EpochRecord{2}}, 0);
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
    fe.boot({}, 0);
    fe.take_effects();
    fe.on_operator(1, Op::pause, 10);
    auto effects = fe.take_effects();
    CHECK(effects_of<Send>(effects).empty());
    auto answers = effects_of<Answer>(effects);
    REQUIRE(answers.size() == 1);
    CHECK_FALSE(answers[0].ok);
    CHECK_THAT(answers[0].text, Catch::Contains("the leader be1 is not reachable"));
}

TEST_CASE("a failed step skipped by the operator is recorded as skipped on its node, and the cluster goes on", "[gate]")
{
    auto s = setup_for("be1");
    const auto [p, st] = find_step(s.plan, "stop-frontend");  // frontends only
    std::vector<Record> journal{EpochRecord{1}, JoinedRecord{s.topology_digest, s.plan_digest, "pkg", "key", 0}};
    for (int ph = 1; ph < p; ++ph)
        journal.push_back(PhaseRecord{ph, 100});
    journal.push_back(ReportRecord{"fe1", p, st, 0, Outcome::failed, {}, "boom", 0, 0});
    Node leader(s);
    leader.boot(journal, 0);
    leader.take_effects();
    REQUIRE(leader.status(0).state == State::failed);
    // Once heard, only the node whose step failed shows failed; the others are held until the operator decides.
    for (const char* peer : {"be2", "fe1", "fe2"})
        leader.on_message(Envelope{peer, Hello{2, s.plan.name, s.topology_digest, s.plan_digest, "pkg", "key", "test", p, st, false}}, 5);
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
    fe.boot(fe_journal, 0);
    fe.take_effects();
    fe.on_message(from_leader(order), 20);
    auto skipped = fe.take_effects();
    CHECK(effects_of<RunStep>(skipped).empty());
    const auto sent = effects_of<Send>(skipped);
    REQUIRE(sent.size() == 1);
    const auto& report = std::get<Report>(sent[0].message);
    CHECK(report.outcome == Outcome::skipped);
    CHECK(report.round == 1);

    leader.on_message(Envelope{"fe1", report}, 30);
    leader.take_effects();
    CHECK(leader.status(30).state != State::failed);

    // A restarted leader replays the skip with its round, and still waits for the skipped report only.
    auto replay = journal;
    replay.push_back(DecisionRecord{Op::skip, "fe1", p, st, 1, 10});
    Node restarted(s);
    restarted.boot(replay, 40);
    auto resent = effects_of<Send>(restarted.take_effects());
    bool reordered = false;
    for (const auto& send : resent)
        if (auto* o = std::get_if<Order>(&send.message))
            reordered = reordered || (send.to == "fe1" && o->round == 1 && o->skip);
    CHECK(reordered);
}

TEST_CASE("a worker's command past its timeout is stalled, never killed, and only the operator's interrupt ends it", "[worker][stall]")
{
    auto s = setup_for("be2");
    const auto [p, st] = find_step(s.plan, "upgrade-secondary");  // timeout 7200 s
    Node worker(s);
    worker.boot(finished_before(s, Role::secondary, "upgrade-secondary"), 0);
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
    CHECK(report.outcome == Outcome::failed);
    CHECK_THAT(report.detail, Catch::Contains("interrupted by the operator"));
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
    leader.boot(journal, 0);
    leader.take_effects();
    const int phase = p, step = st;  // a lambda may not capture structured bindings (C++17)
    const auto hello = [&](std::uint64_t running_ms) {
        return Hello{2, s.plan.name, s.topology_digest, s.plan_digest, "pkg", "key", "test", phase, step, running_ms > 0, running_ms};
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

TEST_CASE("a leader that never heard from a node names it, with the port to open between the nodes", "[leader][join]")
{
    auto s = setup_for("be1");
    Node leader(s);
    leader.boot({}, 0);
    leader.take_effects();
    const std::string waiting = leader.status(10).last_error;
    CHECK_THAT(waiting, Catch::Contains("waiting for be2, fe1 to join (never heard from") &&
                            Catch::Contains("TCP port 9683 open between the nodes"));
}
