// One simulated run: nodes, crashes and restarts, the replay check, and the main loop.
#include "simulation.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace chu::sim {

namespace {

constexpr std::int64_t run_limit_ms = 6 * 3600 * 1000;  // simulated
constexpr std::int64_t after_abort_ms = 60000;          // after an abort, run on a while to see that nothing new starts

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

// What differs between the leader state rebuilt from a journal and the one the node had.
std::string leader_difference(const Leader::Journaled& got, const Leader::Journaled& had)
{
    if (got.progress != had.progress)
        return std::string("progress (") + progress_name(got.progress) + " rebuilt, " + progress_name(had.progress) + " had)";
    if (got.phase != had.phase)
        return "phase (" + std::to_string(got.phase) + " rebuilt, " + std::to_string(had.phase) + " had)";
    if (got.hold != had.hold)
        return "hold";
    if (!(got.targets == had.targets))
        return "targets (" + target_difference(got.targets, had.targets) + ")";
    return "epoch, agreement, approvals, accepted disagreements, timeline or drops";
}

}  // namespace

void Tally::add(const Tally& other)
{
    replay_checks += other.replay_checks;
    crashes_mid_effects += other.crashes_mid_effects;
    crashes_between += other.crashes_between;
    for (std::size_t k = 0; k < effects.size(); ++k)
        effects[k] += other.effects[k];
    for (std::size_t k = 0; k < events.size(); ++k)
        events[k] += other.events[k];
    moves.insert(other.moves.begin(), other.moves.end());
}

Simulation::Simulation(std::uint64_t seed, bool trace)
    : seed_(seed), trace_(trace), random_(seed), cluster_(draw_cluster(random_)), network_(random_),
      crash_rate_(random_.chance(0.4) ? 0.0 : static_cast<double>(random_.pick(1, 20)) / 1000),
      chef_(random_, cluster_.topology, cluster_.plan), operator_(random_), checker_(cluster_, now_)
{
    for (const auto& server : cluster_.topology.servers) {
        index_[server.name] = nodes_.size();
        nodes_.emplace_back();
        nodes_.back().name = server.name;
        nodes_.back().role = server.role;
    }
}

void Simulation::say(const std::string& s) const
{
    if (trace_)
        std::printf("%8lld  %s\n", static_cast<long long>(now_), s.c_str());
}

void Simulation::boot(SimNode& n)
{
    n.core = std::make_unique<Node>(setup_of(cluster_, n.name));
    n.up = true;
    n.running.reset();
    checker_.booted(n.name);
    auto scan = scan_journal(n.journal);
    if (!scan.problem.empty())
        say(n.name + " drops its torn journal tail: " + scan.problem);
    n.journal.resize(scan.valid_bytes);
    if (auto booted = n.core->boot(scan.records, now_); !booted)
        checker_.violation(n.name + " refused its own journal: " + booted.error().message);
    carry_out(n);
}

// The journal is the node's state: rebuilt from it, a node has the leader state, targets, rounds, phase and
// finished steps it had.
void Simulation::check_replay(const SimNode& n)
{
    Node rebuilt(setup_of(cluster_, n.name));
    const auto scan = scan_journal(n.journal);
    ++tally_.replay_checks;
    if (auto restored = rebuilt.restore(scan.records); !restored) {
        checker_.violation(n.name + "'s journal is refused on replay: " + restored.error().message);
        return;
    }
    const Node::Journaled had = n.core->journaled(), got = rebuilt.journaled();
    if (got == had)
        return;
    std::string what = !(got.worker == had.worker) ? "its worker's finished steps, attempts, epoch or drop" : "its leader's ";
    if (got.leader && had.leader && !(*got.leader == *had.leader))
        what += leader_difference(*got.leader, *had.leader);
    checker_.violation(n.name + ": the state rebuilt from its journal differs from the state it had: " + what);
}

void Simulation::crash(SimNode& n, const char* why, bool journal_whole)
{
    say(n.name + " crashes (" + why + ")");
    if (journal_whole)
        check_replay(n);
    down(n);
    network_.restart(n.name, now_);
}

// The operator dropped the node: it stops, and no restart brings it back.
void Simulation::stop(SimNode& n, bool journal_whole)
{
    say(n.name + " stops for good (dropped)");
    if (journal_whole)
        check_replay(n);
    down(n);
    n.gone = true;
}

void Simulation::down(SimNode& n)
{
    tally_.moves.insert(n.core->moves().begin(), n.core->moves().end());
    checker_.went_down(n.name);
    n.up = false;
    n.stopping = false;
    n.running.reset();
    n.core.reset();
}

// Now and then a node dies part-way through carrying out its effects: before any one of them, or in the
// middle of writing a record.
bool Simulation::crashes_now()
{
    return crash_rate_ > 0 && random_.chance(crash_rate_ / 20);
}

// A simulated node's ports: the bytes of its journal, the network, Chef, and the checker told of each effect.
class Simulation::NodePorts final : public Ports {
public:
    NodePorts(Simulation& sim, SimNode& n) : sim_(sim), n_(n) {}

    bool proceed(const Effect&) override { return !n_.stopping && !sim_.crashes_now(); }
    bool write(const std::vector<Record>& records) override
    {
        for (const auto& record : records) {
            if (n_.stopping)
                return false;
            const std::string bytes = encode_record(record);
            if (sim_.crashes_now()) {
                n_.journal += bytes.substr(0, sim_.random_.pick(0, bytes.size() - 1));  // torn mid-write
                return false;
            }
            n_.journal += bytes;
            sim_.checker_.wrote(n_.name, record);
            if (const auto* d = std::get_if<DecisionRecord>(&record); d && (d->op == Op::retry || d->op == Op::skip))
                sim_.chef_.fixed(*d);
        }
        return true;
    }
    bool underway() override
    {
        sim_.checker_.underway(n_.name);
        return true;
    }
    void send(Send& send) override { sim_.checker_.sent(n_.name, send, sim_.network_.send(n_.name, send, sim_.now_)); }
    void run(RunStep& run) override { sim_.start_step(n_, std::move(run)); }
    void interrupt(const Interrupt& interrupt) override
    {
        if (!n_.running || n_.running->phase != interrupt.phase || n_.running->step != interrupt.step)
            return;
        sim_.checker_.interrupted(n_.name, interrupt, n_.running->round);
        sim_.say(n_.name + " ends " + interrupt.step_id + " (interrupted)");
        n_.interrupted = true;
        n_.running_until = std::min(n_.running_until, sim_.now_ + sim_.random_.ms(10, 500));
    }
    // Packed at once: carry takes what the node decides on it in its next round.
    void pack(const PackArchive& pack) override
    {
        const std::size_t size = sim_.random_.chance(0.1) ? sim_.random_.pick(1, 3 * chunk_size) : sim_.random_.pick(1, 4096);
        n_.core->on_archive(pack.phase, pack.step, Result<std::string>(std::string(size, 'x')), sim_.now_);
    }
    void log(const Log& log) override
    {
        if (log.level != Log::Level::info)
            sim_.say(n_.name + ": " + log.text);
    }
    void answer(const Answer& answer) override
    {
        sim_.say(n_.name + " answers call " + std::to_string(answer.id) + ": " + answer.text);
        sim_.checker_.answered(n_.name, answer);
    }
    void completed(const Completed& completed) override
    {
        sim_.say(n_.name + " completed: " + state_name(completed.outcome));
        sim_.checker_.completed(n_.name, completed);
    }
    void notify(const Notify& notify) override
    {
        ++sim_.tally_.events[static_cast<std::size_t>(notify.event.kind)];
        sim_.checker_.notified(n_.name, notify);
    }
    void stop(const Stop&) override
    {
        sim_.checker_.stopped(n_.name);
        n_.stopping = true;
    }
    void halt(const Halt&) override {}  // of a bug: carry_out aborts the run on it

private:
    Simulation& sim_;
    SimNode& n_;
};

// Carries out a node's effects through its ports, as the daemon does (core/carry.hpp).
void Simulation::carry_out(SimNode& n)
{
    NodePorts ports(*this, n);
    const Carried carried = carry(*n.core, ports);
    for (std::size_t k = 0; k < effect_kinds; ++k)
        tally_.effects[k] += carried.counts[k];
    if (!n.core->bugs().empty()) {
        // A move outside a table: the core's state is no longer what its tables say; nothing after it means much.
        std::fprintf(stderr, "seed %llu: %s made a move its state machine does not allow: %s\n",
                     static_cast<unsigned long long>(seed_), n.name.c_str(), n.core->bugs().front().c_str());
        std::abort();
    }
    if (!carried.stopped)
        return;
    // What the node applied but did not write whole is not on disk: its state then is not the journal's.
    if (n.stopping) {
        stop(n, carried.unwritten == 0);
        return;
    }
    ++tally_.crashes_mid_effects;
    crash(n, "mid-effects", carried.unwritten == 0);
}

void Simulation::start_step(SimNode& n, RunStep run)
{
    checker_.started(n.name, n.role, run);
    say(n.name + " runs " + step_of(run.phase, run.step).id + " attempt " + std::to_string(run.attempt));
    n.running_until = chef_.start(n.name, run, now_);
    n.interrupted = false;
    n.running = std::move(run);
}

void Simulation::finish_step(SimNode& n)
{
    const RunStep run = std::move(*n.running);
    n.running.reset();
    n.core->on_step_finished(chef_.finish(n.name, n.role, run, n.interrupted), now_);
    carry_out(n);
}

void Simulation::operator_acts()
{
    if (now_ < operator_.next_at())
        return;
    std::optional<NodeStatus> status;
    if (leader().up)
        status = leader().core->status(now_);
    std::vector<Seen> seen;
    for (const auto& n : nodes_)
        seen.push_back(Seen{n.name, n.role, n.up, n.running.has_value(), n.gone});
    const auto call = operator_.act(now_, status ? &*status : nullptr, seen);
    if (!call)
        return;
    const Command& c = call->command;
    say("operator: " + std::string(op_name(c.op)) + (c.node.empty() ? "" : " " + c.node) + (c.force ? " --force" : "") +
        " (call " + std::to_string(c.id) + ") via " + call->via);
    SimNode& via = node(call->via);
    checker_.called(via.name, call->command.id);
    via.core->on_operator(call->command, now_);
    carry_out(via);
}

// Everything the network holds for now: frames, and restarts.
void Simulation::deliver()
{
    while (auto d = network_.take_due(now_)) {
        SimNode& to = node(d->to);
        if (d->frame.empty()) {
            say(to.name + " restarts from its journal");
            boot(to);
            continue;
        }
        if (!to.up)
            continue;
        auto envelope = decode_frame(d->frame);
        if (!envelope) {
            checker_.violation("undecodable frame: " + envelope.error().message);
            continue;
        }
        to.core->on_message(envelope.value(), now_);
        carry_out(to);
    }
}

bool Simulation::go_on() const
{
    const auto aborted = checker_.aborted_at();
    return checker_.problem().empty() && now_ < run_limit_ms && !checker_.complete() &&
           !(aborted && now_ > *aborted + after_abort_ms);
}

// One turn of the main loop: the clock moves to the next thing to happen, and everything due happens.
void Simulation::turn()
{
    std::int64_t next = std::min(operator_.next_at(), network_.next_at());
    for (auto& n : nodes_)
        if (n.up)
            next = std::min({next, n.core->next_deadline(), n.running ? n.running_until : never});
    now_ = std::max(now_, next);
    if (crash_rate_ > 0 && random_.chance(crash_rate_ / 20)) {
        SimNode& victim = nodes_[random_.pick(0, nodes_.size() - 1)];
        if (victim.up) {
            ++tally_.crashes_between;
            crash(victim, "killed");
        }
    }
    deliver();
    for (auto& n : nodes_) {
        if (n.up && n.running && n.running_until <= now_)
            finish_step(n);
        if (n.up && n.core->next_deadline() <= now_) {
            n.core->on_tick(now_);
            carry_out(n);
        }
    }
    operator_acts();
    checker_.check_calls();
    // Completion is the leader's state; the signal is lost when the leader dies right before it.
    if (now_ >= next_state_check_ && leader().up) {
        next_state_check_ = now_ + 1000;
        if (leader().core->status(now_).state == State::complete)
            checker_.saw_complete();
    }
}

// The end of a run: every node's journal replays to its state, and one that is down boots from it.
void Simulation::end()
{
    for (auto& n : nodes_) {
        if (n.up)
            check_replay(n);
        else if (!n.gone)
            boot(n);
        if (n.up)
            tally_.moves.insert(n.core->moves().begin(), n.core->moves().end());
    }
    if (checker_.problem().empty())
        checker_.check_end(leader().up ? state_name(leader().core->status(now_).state) : "down");
}

std::string Simulation::run()
{
    for (auto& n : nodes_)
        boot(n);
    while (go_on())
        turn();
    end();
    return checker_.problem();
}

}  // namespace chu::sim
