// Deterministic simulation of a whole cluster of cores in one process: a network that drops, duplicates,
// reorders and delays; nodes that crash (mid-effects, tearing their journal) and restart from it; steps
// that fail, time out and hang; an operator acting at random times. Checks the plan's invariants, that no
// state machine makes a move its table does not allow, and, at every crash whose journal holds all the
// node wrote, that the state rebuilt from the journal is the state the node had (the replay check).
//
//   chu-simulation --seeds FIRST:COUNT      run many seeds, print failing ones
//   chu-simulation --seed S --trace         replay one seed with a trace of every step
#include "config/plan_file.hpp"
#include "core/node.hpp"
#include "core/records.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace chu;

namespace {

struct Fault {  // a step that keeps failing on a node until the operator "fixes" it (retry or skip)
    int failures_left = 0;
    bool hang = false;  // a read-only step times out; a step that changes the cluster runs until interrupted
};

constexpr std::int64_t never = INT64_MAX;

// The first target whose journaled part differs: "fe1 5/0: done round 1 rebuilt, pending round 1 had".
std::string target_difference(const std::map<Leader::TargetKey, Leader::Target>& got,
                              const std::map<Leader::TargetKey, Leader::Target>& had)
{
    auto text = [](const std::map<Leader::TargetKey, Leader::Target>& m, const Leader::TargetKey& k) {
        auto it = m.find(k);
        if (it == m.end())
            return std::string("none");
        return "state " + std::to_string(static_cast<int>(it->second.state)) + " round " + std::to_string(it->second.round) +
               " skip " + std::to_string(it->second.skip) + " interrupt " + std::to_string(it->second.interrupt) + " reported " +
               std::to_string(it->second.reported);
    };
    std::set<Leader::TargetKey> keys;
    for (const auto& [k, t] : got)
        keys.insert(k);
    for (const auto& [k, t] : had)
        keys.insert(k);
    for (const auto& k : keys)
        if (text(got, k) != text(had, k))
            return k.first + " " + std::to_string(k.second.phase) + "/" + std::to_string(k.second.step) + ": " + text(got, k) +
                   " rebuilt, " + text(had, k) + " had";
    return "?";
}

bool is_check(const Step& step, Check check)
{
    return step.kind == StepKind::check && step.check == check;
}

struct SimNode {
    std::string name;
    Role role = Role::frontend;
    std::unique_ptr<Node> core;
    std::string journal;  // the bytes on disk
    bool up = true;
    std::optional<RunStep> running;
    std::int64_t running_until = 0;
    std::uint64_t run_token = 0;
    bool interrupted = false;  // the operator ended the running command
};

struct Delivery {
    std::int64_t at;
    std::uint64_t seq;
    std::string to;
    std::string frame;
    bool operator>(const Delivery& o) const { return at != o.at ? at > o.at : seq > o.seq; }
};

class Simulation {
public:
    Simulation(std::uint64_t seed, bool trace) : rng_(seed), seed_(seed), trace_(trace) {}

    // Returns an empty string when every invariant held, else what broke.
    std::string run();

private:
    std::uint64_t pick(std::uint64_t lo, std::uint64_t hi) { return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng_); }
    bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
    void say(const std::string& s)
    {
        if (trace_)
            std::printf("%8lld  %s\n", static_cast<long long>(now_), s.c_str());
    }
    void violation(const std::string& s)
    {
        if (problem_.empty())
            problem_ = "t=" + std::to_string(now_) + ": " + s;
    }

    void build();
    NodeSetup setup_of(const SimNode& n) const;
    void boot(SimNode& n);
    void crash(SimNode& n, const char* why, bool journal_whole = true);
    void check_replay(const SimNode& n);
    void apply(SimNode& n);
    void start_step(SimNode& n, RunStep run);
    void finish_step(SimNode& n);
    void operator_acts();
    void check_start(const SimNode& n, const RunStep& run);
    void check_end();
    SimNode& node(const std::string& name) { return nodes_[index_.at(name)]; }
    const Step& step_of(int p, int s) const { return plan_.phases[p].steps[s]; }

    std::mt19937_64 rng_;
    std::uint64_t seed_;
    bool trace_;
    std::string problem_;
    std::int64_t now_ = 0;
    std::uint64_t seq_ = 0;

    Topology topology_;
    Plan plan_;
    Config config_;
    std::vector<SimNode> nodes_;
    std::map<std::string, std::size_t> index_;
    std::priority_queue<Delivery, std::vector<Delivery>, std::greater<Delivery>> network_;
    double drop_ = 0, dup_ = 0, crash_rate_ = 0;
    std::int64_t max_delay_ = 1;
    std::map<std::tuple<std::string, int, int>, Fault> faults_;
    std::string keepalived_ = "master";
    bool bootstrap_holds_vip_ = true;  // at the start
    std::string odd_migration_node_;   // reports another migration level until the operator fixes it
    bool abort_planned_ = false;
    std::int64_t next_operator_ = 0;
    std::int64_t next_state_check_ = 0;
    std::uint64_t next_call_ = 1;

    // What actually happened, for the invariants.
    std::set<std::tuple<std::string, int, int>> finished_;  // journaled ok or skipped
    std::map<std::tuple<std::string, int, int>, std::uint32_t> finished_round_;
    std::set<std::tuple<std::string, int, int>> started_;
    std::map<std::tuple<std::string, int, int>, std::int64_t> first_ordered_;
    std::map<std::string, std::pair<int, int>> last_start_;
    std::set<std::tuple<std::string, int, int, std::uint32_t>> interrupts_decided_;  // node, phase, step, round
    bool aborted_ = false;
    std::int64_t aborted_at_ = 0;
    bool complete_ = false;

public:
    std::uint64_t replay_checks = 0;
    std::set<std::string> moves;  // every state machine move the nodes took
};

void Simulation::build()
{
    const int frontends = static_cast<int>(pick(1, 18));
    std::ostringstream rb;
    rb << "topology \"ha\"\n";
    rb << "server \"be1.example.com\", :ipaddress => \"192.0.2.1\", :role => \"backend\", :bootstrap => true\n";
    rb << "server \"be2.example.com\", :ipaddress => \"192.0.2.2\", :role => \"backend\"\n";
    for (int i = 0; i < frontends; ++i)
        rb << "server \"fe" << i + 1 << ".example.com\", :ipaddress => \"192.0.2." << 10 + i << "\", :role => \"frontend\"\n";
    rb << "backend_vip \"192.0.2.100\", :ipaddress => \"192.0.2.100\", :device => \"eth0\"\n";
    auto topo = parse_topology(rb.str(), "sim/private-chef.rb");
    if (!topo) {
        violation("topology: " + topo.error().message);
        return;
    }
    topology_ = topo.value();

    const bool ec11 = chance(0.3);
    auto raw =
        load_plan(std::string(CHU_SOURCE_DIR) + "/conf/plans/" + (ec11 ? "enterprise-chef-11" : "chef-server-12") + ".plan", "");
    if (!raw) {
        violation("plan: " + raw.error().message);
        return;
    }
    if (!ec11 && chance(0.3))
        config_.upgrade.addons = chance(0.5) ? std::vector<std::string>{"opscode-manage"}
                                             : std::vector<std::string>{"opscode-push-jobs-server", "opscode-manage"};
    config_.upgrade.max_parallel = static_cast<unsigned>(pick(0, 3));
    config_.upgrade.cleanup = chance(0.3) ? CleanupMode::automatic : CleanupMode::manual;
    config_.upgrade.auto_start = chance(0.8);
    config_.upgrade.package =
        chance(0.5) ? "/srv/chef-server-core_12.19.31-1_amd64.deb" : "/srv/chef-server-core-12.19.31-1.el7.x86_64.rpm";
    config_.commands.retries = static_cast<unsigned>(pick(0, 3));
    if (chance(0.8))
        config_.commands.timeout_s = static_cast<unsigned>(pick(5, 900));  // stalls (and read-only kills) come sooner
    auto plan = effective_plan(raw.value(), config_);
    if (!plan) {
        violation("effective plan: " + plan.error().message);
        return;
    }
    plan_ = plan.value();

    drop_ = chance(0.5) ? 0.0 : static_cast<double>(pick(0, 20)) / 100;
    dup_ = static_cast<double>(pick(0, 10)) / 100;
    max_delay_ = static_cast<std::int64_t>(pick(1, 300));
    crash_rate_ = chance(0.4) ? 0.0 : static_cast<double>(pick(1, 20)) / 1000;
    keepalived_ = chance(0.3) ? "backup" : "master";
    bootstrap_holds_vip_ = chance(0.7);
    abort_planned_ = chance(0.04);

    for (const auto& server : topology_.servers) {
        SimNode n;
        n.name = server.name;
        n.role = server.role;
        index_[n.name] = nodes_.size();
        nodes_.push_back(std::move(n));
    }
    // Faults: some steps fail or hang for a while on some nodes.
    for (std::size_t p = 1; p < plan_.phases.size(); ++p)
        for (std::size_t s = 0; s < plan_.phases[p].steps.size(); ++s)
            for (const auto& n : nodes_)
                if (runs_on(plan_.phases[p].steps[s], n.role) && chance(0.02))
                    faults_[{n.name, static_cast<int>(p), static_cast<int>(s)}] =
                        Fault{static_cast<int>(pick(1, 6)), chance(0.3)};
    if (chance(0.1))
        odd_migration_node_ = nodes_[pick(0, nodes_.size() - 1)].name;
    for (auto& n : nodes_)
        boot(n);
}

NodeSetup Simulation::setup_of(const SimNode& n) const
{
    NodeSetup setup;
    setup.topology = topology_;
    setup.plan = plan_;
    setup.config = config_;
    setup.node = n.name;
    setup.facts.old_ctl = "/usr/bin/private-chef-ctl";
    setup.facts.package = config_.upgrade.package;
    setup.facts.format = package_format(config_.upgrade.package);
    setup.topology_digest = topology_digest(topology_);
    setup.plan_digest = plan_digest(plan_);
    setup.package_digest = "b2a1";
    setup.key_id = "k1";
    setup.version = "sim";
    return setup;
}

void Simulation::boot(SimNode& n)
{
    n.core = std::make_unique<Node>(setup_of(n));
    n.up = true;
    n.running.reset();
    auto scan = scan_journal(n.journal);
    if (!scan.problem.empty())
        say(n.name + " drops its torn journal tail: " + scan.problem);
    n.journal.resize(scan.valid_bytes);
    if (auto booted = n.core->boot(scan.records, now_); !booted)
        violation(n.name + " refused its own journal: " + booted.error().message);
    apply(n);
}

// The journal is the node's state: rebuilt from it, a node has the leader state, targets, rounds, phase and
// finished steps it had.
void Simulation::check_replay(const SimNode& n)
{
    Node rebuilt(setup_of(n));
    const auto scan = scan_journal(n.journal);
    ++replay_checks;
    if (auto restored = rebuilt.restore(scan.records); !restored) {
        violation(n.name + "'s journal is refused on replay: " + restored.error().message);
        return;
    }
    const Node::Journaled had = n.core->journaled(), got = rebuilt.journaled();
    if (got == had)
        return;
    std::string what = !(got.worker == had.worker) ? "its worker's finished steps, attempts or epoch" : "its leader's ";
    if (got.leader && had.leader && !(*got.leader == *had.leader)) {
        const auto& g = *got.leader;
        const auto& h = *had.leader;
        what += g.progress != h.progress
                    ? std::string("progress (") + progress_name(g.progress) + " rebuilt, " + progress_name(h.progress) + " had)"
                : g.phase != h.phase ? "phase (" + std::to_string(g.phase) + " rebuilt, " + std::to_string(h.phase) + " had)"
                : g.hold != h.hold   ? std::string("hold")
                : !(g.targets == h.targets) ? "targets (" + target_difference(g.targets, h.targets) + ")"
                                            : std::string("epoch, agreement, approvals, accepted disagreements or timeline");
    }
    violation(n.name + ": the state rebuilt from its journal differs from the state it had: " + what);
}

void Simulation::crash(SimNode& n, const char* why, bool journal_whole)
{
    say(n.name + " crashes (" + why + ")");
    if (journal_whole)
        check_replay(n);
    n.up = false;
    n.running.reset();
    n.core.reset();
    network_.push(Delivery{now_ + static_cast<std::int64_t>(pick(100, 15000)), seq_++, n.name, "restart"});
}

// Carries out a node's effects in order, as the adapters would; may crash the node part-way.
void Simulation::apply(SimNode& n)
{
    if (!n.up)
        return;
    auto effects = n.core->take_effects();
    // Now and then the node dies part-way through carrying out its effects.
    const std::size_t cut =
        crash_rate_ > 0 && !effects.empty() && chance(crash_rate_ / 10) ? pick(0, effects.size() - 1) : SIZE_MAX;
    for (std::size_t i = 0; i < effects.size(); ++i) {
        auto& e = effects[i];
        if (i == cut) {
            if (auto* w = std::get_if<WriteRecord>(&e)) {
                const std::string bytes = encode_record(w->record);
                n.journal += bytes.substr(0, pick(0, bytes.size() - 1));  // torn mid-write
            }
            // What the node decided after a lost record is not on disk: its state then is not the journal's.
            const bool whole = std::none_of(effects.begin() + static_cast<std::ptrdiff_t>(i), effects.end(),
                                            [](const Effect& x) { return std::holds_alternative<WriteRecord>(x); });
            crash(n, "mid-effects", whole);
            return;
        }
        if (auto* w = std::get_if<WriteRecord>(&e)) {
            n.journal += encode_record(w->record);
            if (auto* f = std::get_if<FinishedRecord>(&w->record)) {
                // A may_fail step's failure ends it too: the plan answers it with its when = failed: steps.
                if (f->end.outcome == Outcome::ok || f->end.outcome == Outcome::skipped || step_of(f->phase, f->step).may_fail) {
                    finished_.insert({n.name, f->phase, f->step});
                    finished_round_[{n.name, f->phase, f->step}] = f->round;
                    say(n.name + " finished " + step_of(f->phase, f->step).id + " (" + outcome_name(f->end.outcome) + ")");
                }
            }
            if (auto* d = std::get_if<DecisionRecord>(&w->record)) {
                if (d->op == Op::interrupt)
                    interrupts_decided_.insert({d->node, d->phase, d->step, d->round});
                if (d->op == Op::abort && !aborted_) {
                    aborted_ = true;
                    aborted_at_ = now_;
                }
                if (d->op == Op::retry || d->op == Op::skip) {
                    faults_.erase({d->node, d->phase, d->step});  // the operator fixed it by hand
                    if (d->node == odd_migration_node_ || d->node.empty())
                        odd_migration_node_.clear();
                }
            }
        } else if (auto* s = std::get_if<Send>(&e)) {
            if (chance(drop_))
                continue;
            if (auto* o = std::get_if<Order>(&s->message))
                first_ordered_.emplace(std::make_tuple(s->to, o->phase, o->step), now_);
            const int copies = chance(dup_) ? 2 : 1;
            const std::string frame = encode_frame(Envelope{n.name, s->message});
            for (int c = 0; c < copies; ++c)
                network_.push(Delivery{now_ + static_cast<std::int64_t>(pick(1, static_cast<std::uint64_t>(max_delay_))), seq_++,
                                       s->to, frame});
        } else if (auto* r = std::get_if<RunStep>(&e)) {
            start_step(n, std::move(*r));
        } else if (auto* i = std::get_if<Interrupt>(&e)) {
            // Only the operator ends a command: no timer of the core's may.
            if (!n.running || n.running->phase != i->phase || n.running->step != i->step)
                continue;
            if (!interrupts_decided_.count({n.name, i->phase, i->step, n.running->round}))
                violation(n.name + " ended " + step_of(i->phase, i->step).id + " without the operator's interrupt");
            say(n.name + " ends " + step_of(i->phase, i->step).id + " (interrupted)");
            n.interrupted = true;
            n.running_until = std::min(n.running_until, now_ + static_cast<std::int64_t>(pick(10, 500)));
        } else if (auto* p = std::get_if<PackArchive>(&e)) {
            n.core->on_archive(p->phase, p->step,
                               Result<std::string>(std::string(chance(0.1) ? pick(1, 3 * chunk_size) : pick(1, 4096), 'x')),
                               now_);
            auto more = n.core->take_effects();
            effects.insert(effects.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
        } else if (auto* c = std::get_if<Completed>(&e)) {
            say(std::string("completed: ") + state_name(c->outcome));
            if (c->outcome == State::complete)
                complete_ = true;
        } else if (auto* l = std::get_if<Log>(&e)) {
            if (trace_ && l->level != Log::Level::info)
                say(n.name + ": " + l->text);
        }
    }
    if (!n.core->bugs().empty())
        violation(n.name + " made a move its state machine does not allow: " + n.core->bugs().front());
    moves.insert(n.core->moves().begin(), n.core->moves().end());
}

void Simulation::check_start(const SimNode& n, const RunStep& run)
{
    const Step& st = step_of(run.phase, run.step);
    const auto key = std::make_tuple(n.name, run.phase, run.step);
    if (!runs_on(st, n.role))
        violation(n.name + " (" + role_name(n.role) + ") ran " + st.id + ", which runs on " + roles_text(st.roles));
    auto done = finished_round_.find(key);
    if (done != finished_round_.end() && !(st.kind == StepKind::check && run.round > done->second))
        violation(n.name + " ran " + st.id + " again after it finished");
    // An order already on its way may still start its step; none may be sent after the abort.
    auto ordered = first_ordered_.find(key);
    if (aborted_ && ordered != first_ordered_.end() && ordered->second > aborted_at_)
        violation(n.name + " started " + st.id + ", ordered after the abort");
    auto last = last_start_.find(n.name);
    if (last != last_start_.end() && std::make_pair(run.phase, run.step) < last->second)
        violation(n.name + " ran " + st.id + " after a later step");
    last_start_[n.name] = {run.phase, run.step};
    started_.insert(key);
    // The barrier: every step before this one, on every node it runs on, has finished.
    for (int p = 1; p <= run.phase; ++p) {
        const int end = p == run.phase ? run.step : static_cast<int>(plan_.phases[p].steps.size());
        for (int s = 0; s < end; ++s) {
            const Step& before = step_of(p, s);
            if (before.kind == StepKind::gate)
                continue;
            for (const auto& other : nodes_) {
                if (!runs_on(before, other.role))
                    continue;
                const auto k = std::make_tuple(other.name, p, s);
                const bool required = before.when.kind == Condition::Kind::always || started_.count(k);
                if (required && !finished_.count(k))
                    violation(n.name + " started " + st.id + " (phase " + std::to_string(run.phase) + ") before " + other.name +
                              " finished " + before.id + " (phase " + std::to_string(p) + ")");
            }
        }
    }
    // Inside a backends-serial step: bootstrap, then secondary, then frontends.
    if (st.order == NodeOrder::backends_serial && n.role != Role::bootstrap) {
        for (const auto& other : nodes_) {
            const bool earlier = other.role == Role::bootstrap || (n.role == Role::frontend && other.role == Role::secondary);
            if (earlier && runs_on(st, other.role) && !finished_.count({other.name, run.phase, run.step}))
                violation(n.name + " ran " + st.id + " before " + other.name + " finished it");
        }
    }
}

void Simulation::start_step(SimNode& n, RunStep run)
{
    check_start(n, run);
    say(n.name + " runs " + step_of(run.phase, run.step).id + " attempt " + std::to_string(run.attempt));
    n.running_until = now_ + static_cast<std::int64_t>(pick(10, 3000));
    // A hang of a command that changes the cluster: it runs until the operator interrupts it.
    const Step& st = step_of(run.phase, run.step);
    auto fault = faults_.find({n.name, run.phase, run.step});
    if (fault != faults_.end() && fault->second.failures_left > 0 && fault->second.hang && !only_reads(st)) {
        --fault->second.failures_left;  // this start hangs, however it ends (interrupted, or its node crashes)
        n.running_until = never;
    }
    ++n.run_token;
    n.interrupted = false;
    n.running = std::move(run);
}

void Simulation::finish_step(SimNode& n)
{
    RunStep run = std::move(*n.running);
    n.running.reset();
    const Step& st = step_of(run.phase, run.step);
    StepResult r{run.phase, run.step, run.round, run.attempt, {Outcome::ok, 0, {}, {}}};
    auto fault = faults_.find({n.name, run.phase, run.step});
    if (n.interrupted) {
        r.end.outcome = Outcome::failed;
        r.end.exit_code = 128 + 15;
        r.end.detail = "terminated";
    } else if (fault != faults_.end() && fault->second.failures_left > 0) {
        --fault->second.failures_left;
        r.end.outcome = fault->second.hang ? Outcome::timeout : Outcome::failed;  // a hang here: a read-only step, killed
        r.end.exit_code = fault->second.hang ? 137 : 1;
        r.end.detail = "simulated failure";
    } else if (is_check(st, Check::keepalived_status) && st.agree == Agreement::one_master) {
        r.end.value = (n.role == Role::bootstrap) == bootstrap_holds_vip_ ? "master" : "backup";  // either may hold it
    } else if (is_check(st, Check::keepalived_status)) {
        r.end.value = keepalived_;
    } else if (is_check(st, Check::migration_level)) {
        r.end.value = n.name == odd_migration_node_ ? "1.7" : "1.8";
    } else if (!st.harmless.empty() && chance(0.5)) {
        r.end.outcome = Outcome::failed;  // cleanup's expected chef-mover message, with a non-zero exit
        r.end.exit_code = 1;
        r.end.detail = "ok: down: opscode-chef-mover\n" + st.harmless.front();
    }
    n.core->on_step_finished(r, now_);
    apply(n);
}

void Simulation::operator_acts()
{
    if (now_ < next_operator_)
        return;
    next_operator_ = now_ + static_cast<std::int64_t>(pick(500, 20000));
    SimNode& leader = node(topology_.bootstrap().name);
    if (!leader.up)
        return;
    const NodeStatus st = leader.core->status(now_);
    Op op;
    switch (st.state) {
    case State::failed: op = chance(0.8) ? Op::retry : Op::skip; break;
    case State::stalled:
        if (!chance(0.5))
            return;  // an operator may wait a while before deciding it hangs
        op = Op::interrupt;
        break;
    case State::awaiting_approval: op = Op::approve; break;
    case State::paused: op = Op::resume; break;
    case State::idle: op = Op::start; break;
    case State::complete:
    case State::aborted: return;
    default:
        if (abort_planned_ && chance(0.2))
            op = Op::abort;
        else if (chance(0.1))
            op = Op::pause;
        else if (chance(0.05))
            op = Op::approve;  // too early: refused
        else
            return;
    }
    // From any node: a follower forwards the call to the leader.
    SimNode& via = nodes_[pick(0, nodes_.size() - 1)];
    if (!via.up)
        return;
    say("operator: " + std::string(op_name(op)) + " via " + via.name);
    via.core->on_operator(next_call_++, op, now_);
    apply(via);
}

void Simulation::check_end()
{
    if (aborted_)
        return;
    if (!complete_) {
        const auto& leader = node(topology_.bootstrap().name);
        violation("did not complete (leader state " +
                  std::string(leader.up ? state_name(leader.core->status(now_).state) : "down") + ")");
        return;
    }
    for (std::size_t p = 1; p < plan_.phases.size(); ++p)
        for (std::size_t s = 0; s < plan_.phases[p].steps.size(); ++s) {
            const Step& st = plan_.phases[p].steps[s];
            for (const auto& n : nodes_) {
                const auto k = std::make_tuple(n.name, static_cast<int>(p), static_cast<int>(s));
                if (runs_on(st, n.role) && st.kind != StepKind::gate &&
                    (st.when.kind == Condition::Kind::always || started_.count(k)) && !finished_.count(k))
                    violation("complete, but " + n.name + " never finished " + st.id);
            }
        }
}

std::string Simulation::run()
{
    build();
    const std::int64_t limit = 6 * 3600 * 1000;  // simulated
    // After an abort, run on a while to see that nothing new starts.
    while (problem_.empty() && now_ < limit && !complete_ && !(aborted_ && now_ > aborted_at_ + 60000)) {
        // The next thing to happen: a delivery, a step ending, a node's timer, a restart, the operator.
        std::int64_t next = next_operator_;
        if (!network_.empty())
            next = std::min(next, network_.top().at);
        for (auto& n : nodes_) {
            if (n.up) {
                next = std::min(next, n.core->next_deadline());
                if (n.running)
                    next = std::min(next, n.running_until);
            }
        }
        now_ = std::max(now_, next);
        if (crash_rate_ > 0 && chance(crash_rate_ / 20)) {
            SimNode& victim = nodes_[pick(0, nodes_.size() - 1)];
            if (victim.up)
                crash(victim, "killed");
        }
        while (!network_.empty() && network_.top().at <= now_) {
            Delivery d = network_.top();
            network_.pop();
            SimNode& to = node(d.to);
            if (d.frame == "restart") {
                say(to.name + " restarts from its journal");
                boot(to);
                continue;
            }
            if (!to.up)
                continue;
            auto env = decode_frame(d.frame);
            if (!env) {
                violation("undecodable frame: " + env.error().message);
                continue;
            }
            to.core->on_message(env.value(), now_);
            apply(to);
        }
        for (auto& n : nodes_) {
            if (n.up && n.running && n.running_until <= now_)
                finish_step(n);
            if (n.up && n.core->next_deadline() <= now_) {
                n.core->on_tick(now_);
                apply(n);
            }
        }
        operator_acts();
        // Completion is the leader's state; the signal is lost when the leader dies right before it.
        SimNode& leader = node(topology_.bootstrap().name);
        if (now_ >= next_state_check_ && leader.up) {
            next_state_check_ = now_ + 1000;
            complete_ = complete_ || leader.core->status(now_).state == State::complete;
        }
    }
    for (auto& n : nodes_) {
        if (n.up)
            check_replay(n);
        if (!n.up)
            boot(n);
    }
    if (problem_.empty())
        check_end();
    return problem_;
}

}  // namespace

int main(int argc, char** argv)
{
    std::uint64_t first = 1, count = 200;
    bool trace = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--seeds" && i + 1 < argc) {
            const std::string v = argv[++i];
            first = std::stoull(v.substr(0, v.find(':')));
            count = std::stoull(v.substr(v.find(':') + 1));
        } else if (a == "--seed" && i + 1 < argc) {
            first = std::stoull(argv[++i]);
            count = 1;
        } else if (a == "--trace") {
            trace = true;
        } else {
            std::fprintf(stderr, "usage: %s [--seeds FIRST:COUNT | --seed S [--trace]]\n", argv[0]);
            return 2;
        }
    }
    std::uint64_t failed = 0, replay_checks = 0;
    std::set<std::string> moves;
    for (std::uint64_t seed = first; seed < first + count; ++seed) {
        Simulation sim(seed, trace);
        const std::string problem = sim.run();
        replay_checks += sim.replay_checks;
        moves.insert(sim.moves.begin(), sim.moves.end());
        if (!problem.empty()) {
            ++failed;
            std::printf("seed %llu FAILED: %s\n  replay: %s --seed %llu --trace\n", static_cast<unsigned long long>(seed),
                        problem.c_str(), argv[0], static_cast<unsigned long long>(seed));
        }
    }
    std::printf("simulation: seeds %llu..%llu: %llu passed, %llu failed; %llu replay checks\n",
                static_cast<unsigned long long>(first), static_cast<unsigned long long>(first + count - 1),
                static_cast<unsigned long long>(count - failed), static_cast<unsigned long long>(failed),
                static_cast<unsigned long long>(replay_checks));
    auto all = Worker::all_moves();
    all.merge(Leader::all_moves());
    std::string untaken;
    for (const auto& m : all)
        if (!moves.count(m))
            untaken += "; " + m;
    std::printf("state machine moves taken: %zu of %zu%s\n", all.size() - std::count(untaken.begin(), untaken.end(), ';'),
                all.size(), untaken.empty() ? "" : (" (not taken:" + untaken.substr(1) + ")").c_str());
    return failed == 0 ? 0 : 1;
}
