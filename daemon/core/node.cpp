#include "node.hpp"

#include "digest.hpp"
#include "utf8.hpp"

#include <algorithm>

namespace chu {

namespace {

constexpr std::int32_t join_phase = 0;
constexpr const char* may_fail_value = "failed";  // a may_fail step's failure, as the leader keeps it

std::int64_t backoff_ms(const Step& step, std::uint32_t failures)
{
    // Doubles per failure, up to eight times the plan's backoff.
    const std::uint32_t factor = 1u << std::min<std::uint32_t>(failures > 0 ? failures - 1 : 0, 3);
    return static_cast<std::int64_t>(step.backoff_s) * 1000 * factor;
}

bool retry_applies(const Step& step, Outcome outcome)
{
    return (outcome == Outcome::timeout && step.retry_on_timeout) || (outcome == Outcome::failed && step.retry_on_failure);
}

// "45 s", "3 min 5 s", "2 h 14 min": how an operator reads a running time.
std::string duration_text(std::int64_t ms)
{
    const std::int64_t s = std::max<std::int64_t>(ms, 0) / 1000;
    auto part = [](std::int64_t n, const char* unit) { return n ? " " + std::to_string(n) + " " + unit : std::string(); };
    std::string out = s >= 3600 ? std::to_string(s / 3600) + " h" + part(s % 3600 / 60, "min")
                      : s >= 60 ? std::to_string(s / 60) + " min" + part(s % 60, "s")
                                : std::to_string(s) + " s";
    return out;
}

}  // namespace

Node::Node(NodeSetup setup) : setup_(std::move(setup))
{
    me_ = setup_.topology.find(setup_.node);
    for (const auto& server : setup_.topology.servers)
        members_[server.name].server = &server;
}

// ---------------------------------------------------------------- boot and replay

void Node::boot(const std::vector<Record>& journal, std::int64_t now)
{
    for (const auto& rec : journal) {
        if (auto* e = std::get_if<EpochRecord>(&rec)) {
            epoch_ = std::max(epoch_, e->epoch);
        } else if (auto* j = std::get_if<JoinedRecord>(&rec)) {
            joined_ = true;
            agreement_ = *j;
        } else if (auto* s = std::get_if<StartedRecord>(&rec)) {
            const StepKey key{s->phase, s->step};
            auto done = finished_.find(key);
            if (done == finished_.end() || done->second.round < s->round)
                attempts_[key] = s->attempt;
        } else if (auto* f = std::get_if<FinishedRecord>(&rec)) {
            finished_[{f->phase, f->step}] = *f;
        } else if (auto* r = std::get_if<ReportRecord>(&rec)) {
            timeline_.push_back(*r);
            Target& t = targets_[{r->node, r->phase, r->step}];
            if (r->round == t.round) {
                const bool may_fail = setup_.plan.phases.at(static_cast<std::size_t>(r->phase)).steps.at(static_cast<std::size_t>(r->step)).may_fail;
                const bool done = r->outcome == Outcome::ok || r->outcome == Outcome::skipped;
                t.state = done || may_fail ? TargetState::done : TargetState::failed;
                t.value = done || !may_fail ? r->value : may_fail_value;
                t.detail = r->detail;
            }
            const Phase& ph = setup_.plan.phases.at(static_cast<std::size_t>(r->phase));
            if (ph.downtime_begins && (downtime_begin_ms_ == 0 || r->started_ms < downtime_begin_ms_))
                downtime_begin_ms_ = r->started_ms;
        } else if (auto* p = std::get_if<PhaseRecord>(&rec)) {
            phase_ = std::max(phase_, p->phase + 1);
            step_ = 0;
            if (setup_.plan.phases.at(static_cast<std::size_t>(p->phase)).downtime_ends)
                downtime_end_ms_ = p->at_ms;
        } else if (auto* d = std::get_if<DecisionRecord>(&rec)) {
            switch (d->op) {
            case Op::start: started_ = true; break;
            case Op::pause: paused_ = true; break;
            case Op::resume: paused_ = false; break;
            case Op::abort: aborted_ = true; break;
            case Op::approve: approved_ = true; break;
            case Op::interrupt: {
                auto it = targets_.find({d->node, d->phase, d->step});
                if (it != targets_.end() && it->second.round == d->round)
                    it->second.interrupt = true;
                break;
            }
            case Op::retry: {
                Target& t = targets_[{d->node, d->phase, d->step}];
                t = Target{};
                t.round = d->round;
                break;
            }
            case Op::skip:
                if (d->node.empty())
                    agreement_skipped_ = true;
                else {
                    Target& t = targets_[{d->node, d->phase, d->step}];
                    if (t.state != TargetState::done) {
                        t.state = TargetState::pending;
                        t.round = d->round;
                        t.skip = true;
                        t.interrupt = false;
                    }
                }
                break;
            }
        }
    }
    if (setup_.config.upgrade.auto_start)
        started_ = true;
    // A finished or aborted upgrade stays so. The leader says it again at every start, as a follower does at
    // the leader's first beat: whatever the run that ended it did not get to do (the node's marker) is done.
    if (is_leader() && (aborted_ || phase_ >= static_cast<std::int32_t>(setup_.plan.phases.size()))) {
        completed_sent_ = true;
        effects_.push_back(Completed{aborted_ ? State::aborted : State::complete,
                                     aborted_ ? "the upgrade was aborted" : "upgrade complete on every node"});
    }
    if (joined_ && (agreement_.topology_digest != setup_.topology_digest || agreement_.plan_digest != setup_.plan_digest ||
                    agreement_.package_digest != setup_.package_digest || agreement_.key_id != setup_.key_id)) {
        halted_ = "this node's topology, plan, package or key changed since the cluster joined; restore them "
                  "(the journal in " + setup_.config.paths.state_dir + " records what was agreed)";
        log(Log::Level::error, halted_);
    }
    if (is_leader()) {
        ++epoch_;
        record(EpochRecord{epoch_});
        log(Log::Level::info, "leading the cluster as " + setup_.node + ", epoch " + std::to_string(epoch_));
        if (joined_ && phase_ < static_cast<std::int32_t>(setup_.plan.phases.size()) && !aborted_)
            log(Log::Level::info, "resuming at phase " + std::to_string(phase_) + " (" +
                                      setup_.plan.phases[static_cast<std::size_t>(phase_)].title + ")");
    } else {
        log(Log::Level::info, "following the leader " + leader_name());
    }
    next_beat_ = now;
    on_tick(now);
}

// ---------------------------------------------------------------- events

void Node::on_message(const Envelope& envelope, std::int64_t now)
{
    const std::string& from = envelope.from;
    if (!members_.count(from) || from == setup_.node) {
        log(Log::Level::warning, "dropped a message from \"" + from + "\", which is not a peer in " + setup_.topology.file);
        return;
    }
    const bool from_leader = from == leader_name();
    std::visit(
        [&](const auto& m) {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, Hello>) {
                if (is_leader())
                    leader_hello(from, m, now);
            } else if constexpr (std::is_same_v<T, Report>) {
                if (is_leader())
                    leader_report(from, m, now);
            } else if constexpr (std::is_same_v<T, Fetch>) {
                if (is_leader())
                    leader_fetch(from, m);
            } else if constexpr (std::is_same_v<T, Command>) {
                if (is_leader()) {
                    Answer a = decide(m.op, now);
                    send(from, Reply{m.id, a.ok, a.text});
                }
            } else if constexpr (std::is_same_v<T, Beat>) {
                if (from_leader && m.epoch >= epoch_) {
                    if (m.epoch > epoch_) {
                        epoch_ = m.epoch;
                        record(EpochRecord{epoch_});
                    }
                    leader_heard_ms_ = now;
                    cluster_ = m;
                    notice_losses(now);
                    // A follower learns the end from the leader: once per daemon run, like the leader says it.
                    const auto state = static_cast<State>(m.state);
                    if ((state == State::complete || state == State::aborted) && !completed_sent_) {
                        completed_sent_ = true;
                        effects_.push_back(Completed{state, std::string("upgrade ") + state_name(state) + " (the leader " +
                                                                leader_name() + " says so)"});
                    }
                }
            } else if constexpr (std::is_same_v<T, Order>) {
                if (from_leader) {
                    leader_heard_ms_ = now;
                    worker_order(m, now);
                }
            } else if constexpr (std::is_same_v<T, Chunk>) {
                if (from_leader)
                    worker_chunk(m, now);
            } else if constexpr (std::is_same_v<T, Reply>) {
                if (from_leader && forwarded_.erase(m.id))
                    effects_.push_back(Answer{m.id, m.ok, m.text});
            }
        },
        envelope.message);
    if (is_leader())
        advance(now);
    deliver_local(now);
}

void Node::on_step_finished(const StepResult& result, std::int64_t now)
{
    if (!running_ || running_->key != StepKey{result.phase, result.step} || running_->round != result.round ||
        running_->attempt != result.attempt || running_->retry_at != 0)
        return;  // a result for an attempt we no longer wait on
    const Step& step = setup_.plan.phases[static_cast<std::size_t>(result.phase)].steps[static_cast<std::size_t>(result.step)];
    Outcome outcome = result.outcome;
    if (running_->interrupted) {
        finish_running(Outcome::failed, result.exit_code, {},
                       valid_utf8(tail_lines("interrupted by the operator; its output ended with:\n" + result.detail, max_detail)), now);
        deliver_local(now);
        return;
    }
    if (outcome == Outcome::failed && only_expected_errors(step, result.detail, setup_.config, setup_.plan, setup_.facts)) {
        log(Log::Level::info, "exit status " + std::to_string(result.exit_code) + " with only expected messages (" +
                                  step.harmless.front() + "): counted as success",
            result.phase, step.id);
        outcome = Outcome::ok;
    }
    if (outcome != Outcome::ok && retry_applies(step, outcome) &&
        running_->failures < static_cast<std::uint32_t>(std::max(step.retries, 0))) {
        ++running_->failures;
        running_->retry_at = now + backoff_ms(step, running_->failures);
        log(Log::Level::warning,
            std::string(outcome == Outcome::timeout ? "timed out" : "failed") + " (attempt " + std::to_string(result.attempt) +
                "), re-running in " + std::to_string((running_->retry_at - now) / 1000) + " s: " + result.detail,
            result.phase, step.id);
        return;
    }
    // Only the end of the output matters for an error, and it travels in every report.
    finish_running(outcome, result.exit_code, valid_utf8(result.value.substr(0, max_value)),
                   valid_utf8(tail_lines(result.detail, max_detail)), now);
    deliver_local(now);
}

void Node::on_archive(std::int32_t phase, std::int32_t step, const Result<std::string>& archive, std::int64_t now)
{
    if (!archive_ || archive_->key != StepKey{phase, step})
        return;
    if (!archive) {
        last_error_ = "the bootstrap could not pack " + setup_.plan.phases[static_cast<std::size_t>(phase)].steps[static_cast<std::size_t>(step)].copy +
                      ": " + archive.error().message;
        log(Log::Level::error, last_error_, phase);
        archive_->requested = false;  // asked again at the next beat
        return;
    }
    archive_->bytes = archive.value();
    archive_->digest = sha256_hex(archive_->bytes);
    advance(now);
    deliver_local(now);
}

void Node::on_operator(std::uint64_t id, Op op, std::int64_t now)
{
    if (is_leader()) {
        Answer a = decide(op, now);
        a.id = id;
        effects_.push_back(a);
        advance(now);
        deliver_local(now);
        return;
    }
    if (leader_heard_ms_ == 0 || now - leader_heard_ms_ > setup_.config.cluster.peer_timeout_ms) {
        effects_.push_back(Answer{id, false,
                                  "the leader " + leader_name() + " is not reachable; nothing was decided. Check chef-ha-upgrade "
                                  "on " + leader_name() + ", or run this command there"});
        return;
    }
    forwarded_[id] = Pending{now + setup_.config.cluster.peer_timeout_ms};
    send(leader_name(), Command{id, op});
}

void Node::on_tick(std::int64_t now)
{
    notice_losses(now);
    notice_stall(now);
    if (running_ && running_->retry_at != 0 && now >= running_->retry_at)
        start_attempt(now);
    for (auto it = forwarded_.begin(); it != forwarded_.end();) {
        if (now >= it->second.deadline) {
            effects_.push_back(Answer{it->first, false,
                                      "no answer from the leader " + leader_name() + "; the decision may or may not have "
                                      "been taken: check with chef-ha-upgrade-ctl status"});
            it = forwarded_.erase(it);
        } else {
            ++it;
        }
    }
    if (now >= next_beat_) {
        next_beat_ = now + setup_.config.cluster.heartbeat_ms;
        if (is_leader()) {
            const Beat beat = cluster_beat(now);
            for (const auto& [name, member] : members_) {
                if (name == setup_.node)
                    continue;
                Beat b = beat;
                b.refusal = member.refusal;
                send(name, std::move(b));
            }
            // Orders are re-sent until answered: the network may have lost them. Not after an abort.
            for (auto& [key, target] : targets_)
                if (!aborted_ && target.state == TargetState::ordered && std::get<0>(key) != setup_.node &&
                    now - target.sent_ms >= setup_.config.cluster.heartbeat_ms)
                    order(std::get<0>(key), std::get<1>(key), std::get<2>(key), target, now);
        } else {
            send(leader_name(), hello(now));
        }
        if (receive_ && now - receive_->asked_ms >= setup_.config.cluster.heartbeat_ms) {
            receive_->asked_ms = now;
            send(leader_name(), Fetch{epoch_, receive_->key.first, receive_->key.second, receive_->data.size()});
        }
    }
    if (is_leader())
        advance(now);
    deliver_local(now);
}

std::int64_t Node::next_deadline() const
{
    std::int64_t next = next_beat_;
    if (running_ && running_->retry_at != 0)
        next = std::min(next, running_->retry_at);
    if (running_ && running_->retry_at == 0 && running_->expected_ms != 0 && !running_->stall_said)
        next = std::min(next, running_->attempt_ms + running_->expected_ms);
    for (const auto& [id, pending] : forwarded_)
        next = std::min(next, pending.deadline);
    return next;
}

std::vector<Effect> Node::take_effects()
{
    std::vector<Effect> out;
    out.swap(effects_);
    return out;
}

// ---------------------------------------------------------------- worker

Hello Node::hello(std::int64_t now) const
{
    Hello h;
    h.epoch = epoch_;
    h.plan_name = setup_.plan.name;
    h.topology_digest = setup_.topology_digest;
    h.plan_digest = setup_.plan_digest;
    h.package_digest = setup_.package_digest;
    h.key_id = setup_.key_id;
    h.version = setup_.version;
    if (running_) {
        h.phase = running_->key.first;
        h.step = running_->key.second;
        h.running = true;
        h.running_ms = running_->retry_at == 0 ? static_cast<std::uint64_t>(std::max<std::int64_t>(now - running_->attempt_ms, 0)) : 0;
    } else if (!finished_.empty()) {
        h.phase = finished_.rbegin()->first.first;
        h.step = finished_.rbegin()->first.second;
    }
    return h;
}

// The node's own guard, whatever the leader says: every earlier step of its schedule must be finished.
std::optional<Node::StepKey> Node::earlier_unfinished(StepKey key) const
{
    for (std::int32_t p = 1; p <= key.first; ++p) {
        const auto& steps = setup_.plan.phases[static_cast<std::size_t>(p)].steps;
        const std::int32_t end = p == key.first ? key.second : static_cast<std::int32_t>(steps.size());
        for (std::int32_t s = 0; s < end; ++s) {
            const Step& st = steps[static_cast<std::size_t>(s)];
            if (!runs_on(st, me_->role) || !st.when.empty() || st.kind == StepKind::gate)
                continue;
            auto it = finished_.find({p, s});
            if (it == finished_.end() ||
                (it->second.outcome != Outcome::ok && it->second.outcome != Outcome::skipped && !st.may_fail))
                return StepKey{p, s};
        }
    }
    return std::nullopt;
}

void Node::worker_order(const Order& o, std::int64_t now)
{
    if (o.epoch < epoch_) {
        log(Log::Level::warning, "ignored an order from epoch " + std::to_string(o.epoch) + " (current " + std::to_string(epoch_) + ")");
        return;
    }
    if (o.epoch > epoch_) {
        epoch_ = o.epoch;
        record(EpochRecord{epoch_});
    }
    const auto& phases = setup_.plan.phases;
    if (o.phase <= join_phase || o.phase >= static_cast<std::int32_t>(phases.size()) || o.step < 0 ||
        o.step >= static_cast<std::int32_t>(phases[static_cast<std::size_t>(o.phase)].steps.size())) {
        log(Log::Level::error, "refused an order for phase " + std::to_string(o.phase) + " step " + std::to_string(o.step) +
                                   ": not in plan " + setup_.plan.name);
        return;
    }
    const StepKey key{o.phase, o.step};
    const Step& step = phases[static_cast<std::size_t>(o.phase)].steps[static_cast<std::size_t>(o.step)];
    if (!runs_on(step, me_->role)) {
        log(Log::Level::error, "refused to run step " + step.id + ": it runs on " + roles_text(step.roles) + ", and " +
                                   setup_.node + " is the " + role_name(me_->role), o.phase, step.id);
        return;
    }
    auto done = finished_.find(key);
    const bool succeeded = done != finished_.end() && (done->second.outcome == Outcome::ok || done->second.outcome == Outcome::skipped);
    // A repeated order is answered from the journal: nothing that finished runs again. The one exception is
    // a check (it changes nothing) in a newer round: the operator retried a disagreement.
    if (done != finished_.end() && (done->second.round >= o.round || (succeeded && step.kind != StepKind::check))) {
        report(done->second);
        return;
    }
    if (o.interrupt) {
        worker_interrupt(o, step, now);
        return;
    }
    if (running_) {
        if (running_->key != key)
            log(Log::Level::warning, "ignored an order for step " + step.id + " while another step runs", o.phase, step.id);
        return;
    }
    if (o.skip) {
        const FinishedRecord d{o.phase, o.step, o.round, Outcome::skipped, 0, {}, "skipped by the operator", now, now};
        record(d);
        finished_[key] = d;
        log(Log::Level::warning, "skipped by the operator", o.phase, step.id);
        report(d);
        return;
    }
    auto missing = earlier_unfinished(key);
    // The leader orders a step only once this node has reported every earlier one, and a report leaves only
    // after its FinishedRecord is durable. So an earlier step that this journal shows started, with no end,
    // lost its end after it was reported: a torn tail cut at restart, from a disk that acknowledged the write
    // and did not keep it. The leader's durable report stands for it here.
    if (missing && !finished_.count(*missing) && attempts_.count(*missing)) {
        const Step& lost = phases[static_cast<std::size_t>(missing->first)].steps[static_cast<std::size_t>(missing->second)];
        const FinishedRecord d{missing->first, missing->second, 0, Outcome::ok, 0, {},
                               "its end was lost from this node's journal; the leader holds its report", now, now};
        record(d);
        finished_[*missing] = d;
        log(Log::Level::warning, "the end of step " + lost.id + " was lost from the journal (torn at restart), but the leader "
                                 "ordered the next step, so it had its report: recorded as done", missing->first, lost.id);
        missing = earlier_unfinished(key);
    }
    if (missing) {
        const std::string why = "refused to run step " + step.id + " before step " +
                                phases[static_cast<std::size_t>(missing->first)].steps[static_cast<std::size_t>(missing->second)].id +
                                " finished here";
        log(Log::Level::error, why, o.phase, step.id);
        // Told to the leader as this step's failure: the cluster stops, naming this node and step, instead of
        // re-sending an order this node will never take.
        send(leader_name(), Report{epoch_, o.phase, o.step, o.round, Outcome::failed, 0, {},
                                   why + " (its journal in " + setup_.config.paths.state_dir + " does not show it)", now, now});
        return;
    }
    if (step.kind == StepKind::copy) {
        if (!receive_ || receive_->key != key || receive_->digest != o.archive_digest) {
            receive_ = Receive{key, o.round, o.archive_digest, o.archive_size, {}, now};
            send(leader_name(), Fetch{epoch_, o.phase, o.step, 0});
        }
        return;
    }
    running_ = Running{key, o.round, attempts_[key], 0, now, 0, {}};
    start_attempt(now);
}

void Node::worker_chunk(const Chunk& c, std::int64_t now)
{
    if (!receive_ || receive_->key != StepKey{c.phase, c.step} || c.offset != receive_->data.size())
        return;  // a duplicate or a late piece: the next Fetch asks again
    receive_->data += c.data;
    receive_->asked_ms = now;
    if (receive_->data.size() < receive_->size && !c.data.empty()) {
        send(leader_name(), Fetch{epoch_, c.phase, c.step, receive_->data.size()});
        return;
    }
    Receive got = std::move(*receive_);
    receive_.reset();
    running_ = Running{got.key, got.round, attempts_[got.key], 0, now, 0, {}};
    if (got.data.size() != got.size || sha256_hex(got.data) != got.digest) {
        record(StartedRecord{got.key.first, got.key.second, got.round, ++running_->attempt, now});
        finish_running(Outcome::failed, 0, {}, "the archive received from " + leader_name() + " does not match its digest", now);
        return;
    }
    running_->archive = std::move(got.data);
    start_attempt(now);
}

void Node::start_attempt(std::int64_t now)
{
    Running& r = *running_;
    r.retry_at = 0;
    ++r.attempt;
    attempts_[r.key] = r.attempt;
    const Step& step = setup_.plan.phases[static_cast<std::size_t>(r.key.first)].steps[static_cast<std::size_t>(r.key.second)];
    auto action = resolve_action(step, setup_.config, setup_.plan, setup_.facts);
    record(StartedRecord{r.key.first, r.key.second, r.round, r.attempt, now});
    if (!action) {
        finish_running(Outcome::failed, 0, {}, action.error().message, now);
        return;
    }
    r.attempt_ms = now;
    r.expected_ms = static_cast<std::int64_t>(action.value().expected_s) * 1000;
    r.stall_said = false;
    log(Log::Level::info, describe(action.value()) + (r.attempt > 1 ? " (attempt " + std::to_string(r.attempt) + ")" : ""),
        r.key.first, step.id);
    RunStep run{r.key.first, r.key.second, r.round, r.attempt, std::move(action.value()), {}};
    if (step.kind == StepKind::copy)
        run.archive = r.archive;  // kept: a retry unpacks the same verified archive
    effects_.push_back(std::move(run));
}

void Node::finish_running(Outcome outcome, std::int32_t exit_code, std::string value, std::string detail, std::int64_t now)
{
    const Running r = std::move(*running_);
    running_.reset();
    const FinishedRecord d{r.key.first, r.key.second, r.round, outcome, exit_code, std::move(value), std::move(detail), r.started_ms, now};
    record(d);
    finished_[r.key] = d;
    const Step& step = setup_.plan.phases[static_cast<std::size_t>(r.key.first)].steps[static_cast<std::size_t>(r.key.second)];
    if (outcome == Outcome::ok)
        log(Log::Level::info, "done" + (d.value.empty() ? std::string() : ": " + d.value), r.key.first, step.id);
    else
        log(Log::Level::error, std::string(outcome_name(outcome)) + " after " + std::to_string(r.attempt) + " attempt(s): " + d.detail,
            r.key.first, step.id);
    report(d);
}

// The operator ends a stalled command. Its step then fails like any other, and nothing re-runs it by itself.
void Node::worker_interrupt(const Order& o, const Step& step, std::int64_t now)
{
    const StepKey key{o.phase, o.step};
    if (running_ && running_->key == key) {
        if (running_->retry_at != 0) {  // between attempts: nothing runs to stop
            finish_running(Outcome::failed, 0, {}, "interrupted by the operator while waiting to re-run", now);
        } else if (!running_->interrupted) {
            running_->interrupted = true;
            log(Log::Level::warning, "interrupted by the operator: ending the command (SIGTERM, then SIGKILL)", o.phase, step.id);
            effects_.push_back(Interrupt{o.phase, o.step});
        }
        return;
    }
    if (running_)
        return;  // another step: the order is not for what runs here
    // Ordered but not running (e.g. this daemon restarted since): it fails without starting.
    const FinishedRecord d{o.phase, o.step, o.round, Outcome::failed, 0, {}, "interrupted by the operator before it ran", now, now};
    record(d);
    finished_[key] = d;
    log(Log::Level::warning, d.detail, o.phase, step.id);
    report(d);
}

// A command that changes the cluster is never killed by a timer: past its plan's timeout it is said once.
void Node::notice_stall(std::int64_t now)
{
    if (!running_ || running_->retry_at != 0 || running_->expected_ms == 0 || running_->stall_said ||
        now - running_->attempt_ms < running_->expected_ms)
        return;
    running_->stall_said = true;
    const Step& step = setup_.plan.phases[static_cast<std::size_t>(running_->key.first)].steps[static_cast<std::size_t>(running_->key.second)];
    log(Log::Level::warning,
        "stalled: running for " + duration_text(now - running_->attempt_ms) + ", longer than the " +
            duration_text(running_->expected_ms) + " expected; it changes the cluster, so it is not killed. If it "
            "really hangs, end it with: chef-ha-upgrade-ctl interrupt",
        running_->key.first, step.id);
}

void Node::report(const FinishedRecord& d)
{
    send(leader_name(), Report{epoch_, d.phase, d.step, d.round, d.outcome, d.exit_code, d.value, d.detail, d.started_ms, d.at_ms});
}

// ---------------------------------------------------------------- leader

void Node::leader_hello(const std::string& from, const Hello& h, std::int64_t now)
{
    Member& m = members_[from];
    m.hello = h;
    m.heard_ms = now;
    std::string why;
    const bool agreed = joined_;
    const std::string& topo = agreed ? agreement_.topology_digest : setup_.topology_digest;
    const std::string& plan = agreed ? agreement_.plan_digest : setup_.plan_digest;
    const std::string& pkg = agreed ? agreement_.package_digest : setup_.package_digest;
    const std::string& key = agreed ? agreement_.key_id : setup_.key_id;
    if (h.topology_digest != topo)
        why = "its topology (" + setup_.topology.file + ") differs from the leader's: copy the bootstrap's file to it";
    else if (h.plan_name != setup_.plan.name || h.plan_digest != plan)
        why = "its plan (" + h.plan_name + ", add-ons included) differs from the leader's (" + setup_.plan.name +
              "): use the same [upgrade] plan and addons on every node";
    else if (h.package_digest.empty())
        why = "it has no readable package: set [upgrade] package to the Chef Server package on that node";
    else if (h.package_digest != pkg)
        why = "its package (sha256 " + h.package_digest.substr(0, 12) + "…) differs from the leader's (" + pkg.substr(0, 12) +
              "…): put the same package on every node";
    else if (h.key_id != key)
        why = "its cluster key differs from the leader's: give every node the same private-chef-secrets.json or key_file";
    if (why != m.refusal) {
        m.refusal = why;
        if (!why.empty()) {
            last_error_ = "node " + from + " refused at join: " + why;
            log(Log::Level::error, last_error_);
        } else {
            log(Log::Level::info, "node " + from + " joined");
            if (last_error_.rfind("node " + from + " refused", 0) == 0)
                last_error_.clear();
        }
    }
}

void Node::check_join(std::int64_t now)
{
    for (const auto& [name, m] : members_) {
        if (name == setup_.node)
            continue;
        if (m.heard_ms == 0 || !m.refusal.empty())
            return;
    }
    if (setup_.package_digest.empty()) {
        last_error_ = "the leader " + setup_.node + " has no readable package: set [upgrade] package";
        return;
    }
    joined_ = true;
    agreement_ = JoinedRecord{setup_.topology_digest, setup_.plan_digest, setup_.package_digest, setup_.key_id, now};
    record(agreement_);
    log(Log::Level::info, "every node joined (" + std::to_string(members_.size()) + " nodes agree on topology, plan " +
                              setup_.plan.name + ", package and key)", join_phase);
}

void Node::leader_report(const std::string& from, const Report& r, std::int64_t now)
{
    if (r.epoch != epoch_ || r.phase != phase_ || r.step != step_)
        return;  // stale: older epochs are re-ordered, older steps are finished
    auto it = targets_.find({from, r.phase, r.step});
    if (it == targets_.end() || it->second.round != r.round || it->second.state == TargetState::done ||
        it->second.state == TargetState::failed)
        return;
    Target& t = it->second;
    timeline_.push_back(ReportRecord{from, r.phase, r.step, r.round, r.outcome, r.value, r.detail, r.started_ms, r.finished_ms});
    record(timeline_.back());
    t.value = r.value;
    t.detail = r.detail;
    const Step& step = setup_.plan.phases[static_cast<std::size_t>(r.phase)].steps[static_cast<std::size_t>(r.step)];
    if (r.outcome != Outcome::ok && r.outcome != Outcome::skipped && step.may_fail) {
        t.state = TargetState::done;
        t.value = may_fail_value;
        log(Log::Level::warning, "node " + from + ", step " + describe_step(r.phase, r.step) + " failed; the plan answers it "
                                 "with the steps for its failure: " + r.detail, r.phase);
    } else if (r.outcome == Outcome::ok || r.outcome == Outcome::skipped) {
        t.state = TargetState::done;
        if (setup_.plan.phases[static_cast<std::size_t>(r.phase)].downtime_begins &&
            (downtime_begin_ms_ == 0 || r.started_ms < downtime_begin_ms_))
            downtime_begin_ms_ = r.started_ms;
    } else {
        t.state = TargetState::failed;
        last_error_ = "node " + from + ", step " + describe_step(r.phase, r.step) + ": " + outcome_name(r.outcome) +
                      (r.outcome == Outcome::failed ? " (exit status " + std::to_string(r.exit_code) + ")" : "") + ": " +
                      r.detail + ". Fix it, then: chef-ha-upgrade-ctl retry (or skip, or abort)";
        log(Log::Level::error, last_error_, r.phase);
    }
    (void)now;
}

void Node::leader_fetch(const std::string& from, const Fetch& f)
{
    if (aborted_ || !archive_ || archive_->key != StepKey{f.phase, f.step} || archive_->bytes.empty() ||
        f.offset > archive_->bytes.size())
        return;
    const std::size_t n = std::min<std::size_t>(chunk_size, archive_->bytes.size() - f.offset);
    send(from, Chunk{epoch_, f.phase, f.step, f.offset, archive_->bytes.substr(f.offset, n)});
}

std::vector<std::string> Node::targets_of(const Step& step) const
{
    std::vector<std::string> out;
    const Topology& t = setup_.topology;
    if (runs_on(step, Role::bootstrap))
        out.push_back(t.bootstrap().name);
    if (runs_on(step, Role::secondary))
        out.push_back(t.secondary().name);
    if (runs_on(step, Role::frontend))
        for (const auto* f : t.frontends())
            out.push_back(f->name);
    return out;
}

bool Node::condition_holds(const std::string& when) const
{
    if (when.rfind(failed_condition, 0) == 0) {
        const std::string id = when.substr(std::string(failed_condition).size());
        const auto& steps = setup_.plan.phases[static_cast<std::size_t>(phase_)].steps;
        for (std::int32_t s = 0; s < step_; ++s) {
            if (steps[static_cast<std::size_t>(s)].id != id)
                continue;
            for (const auto& n : targets_of(steps[static_cast<std::size_t>(s)])) {
                auto it = targets_.find({n, phase_, s});
                if (it != targets_.end() && it->second.value == may_fail_value)
                    return true;
            }
        }
        return false;
    }
    if (when == "bootstrap-not-master") {
        // The latest keepalived-status the bootstrap reported in this phase.
        const auto& steps = setup_.plan.phases[static_cast<std::size_t>(phase_)].steps;
        for (std::int32_t s = step_ - 1; s >= 0; --s) {
            if (steps[static_cast<std::size_t>(s)].check != "keepalived-status")
                continue;
            auto it = targets_.find({setup_.topology.bootstrap().name, phase_, s});
            return it == targets_.end() || it->second.value != "master";
        }
        return true;
    }
    return false;
}

bool Node::agreement_failed() const
{
    const Step& st = setup_.plan.phases[static_cast<std::size_t>(phase_)].steps[static_cast<std::size_t>(step_)];
    if (st.agree == Agreement::none || agreement_skipped_)
        return false;
    std::multiset<std::string> values;
    for (const auto& n : targets_of(st)) {
        auto it = targets_.find({n, phase_, step_});
        if (it == targets_.end() || it->second.state != TargetState::done)
            return false;
        values.insert(it->second.value);
    }
    if (st.agree == Agreement::one_master)
        return values.count("master") != 1 || values.count("backup") != values.size() - 1;
    return std::set<std::string>(values.begin(), values.end()).size() > 1;
}

std::int64_t Node::stalled_for(const std::string& node, std::int64_t now) const
{
    const Hello h = node == setup_.node ? hello(now) : members_.at(node).hello;
    if (!h.running || h.phase != phase_ || h.step != step_ || phase_ >= static_cast<std::int32_t>(setup_.plan.phases.size()))
        return 0;
    const Phase& ph = setup_.plan.phases[static_cast<std::size_t>(phase_)];
    if (step_ < 0 || step_ >= static_cast<std::int32_t>(ph.steps.size()) || only_reads(ph.steps[static_cast<std::size_t>(step_)]))
        return 0;
    const auto expected = static_cast<std::int64_t>(ph.steps[static_cast<std::size_t>(step_)].timeout_s) * 1000;
    const auto running = static_cast<std::int64_t>(h.running_ms);
    return running > expected ? running - expected : 0;
}

// "be1.example.com: running for 2 h 14 min, longer than the 2 h expected"
std::string Node::stall_text(const std::string& node, std::int64_t now) const
{
    const std::int64_t past = stalled_for(node, now);
    const auto expected = static_cast<std::int64_t>(
        setup_.plan.phases[static_cast<std::size_t>(phase_)].steps[static_cast<std::size_t>(step_)].timeout_s) * 1000;
    return node + ": running for " + duration_text(expected + past) + ", longer than the " + duration_text(expected) + " expected";
}

std::vector<Node::TargetKey> Node::failed_targets() const
{
    std::vector<TargetKey> out;
    for (const auto& [key, t] : targets_)
        if (t.state == TargetState::failed && std::get<1>(key) == phase_ && std::get<2>(key) == step_)
            out.push_back(key);
    return out;
}

void Node::order(const std::string& node, std::int32_t phase, std::int32_t step, Target& target, std::int64_t now)
{
    Order o{epoch_, phase, step, target.round, {}, 0, target.skip, target.interrupt};
    if (archive_ && archive_->key == StepKey{phase, step}) {
        o.archive_digest = archive_->digest;
        o.archive_size = archive_->bytes.size();
    }
    target.state = TargetState::ordered;
    target.sent_ms = now;
    send(node, o);
}

void Node::advance(std::int64_t now)
{
    if (!halted_.empty())
        return;
    if (!joined_) {
        check_join(now);
        if (!joined_)
            return;
    }
    const auto phase_count = static_cast<std::int32_t>(setup_.plan.phases.size());
    if (aborted_ || !started_)
        return;
    while (phase_ < phase_count) {
        const Phase& ph = setup_.plan.phases[static_cast<std::size_t>(phase_)];
        if (step_ >= static_cast<std::int32_t>(ph.steps.size())) {
            record(PhaseRecord{phase_, now});
            if (ph.downtime_ends)
                downtime_end_ms_ = now;
            log(Log::Level::info, "phase " + std::to_string(phase_) + " (" + ph.title + ") complete on every node", phase_);
            ++phase_;
            step_ = 0;
            agreement_skipped_ = false;
            continue;
        }
        const Step& st = ph.steps[static_cast<std::size_t>(step_)];
        if (!st.when.empty() && !condition_holds(st.when)) {
            ++step_;
            continue;
        }
        if (st.kind == StepKind::gate) {
            if (!approved_ && setup_.config.upgrade.cleanup != CleanupMode::automatic)
                return;
            ++step_;
            continue;
        }
        if (st.kind == StepKind::copy && (!archive_ || archive_->key != StepKey{phase_, step_})) {
            archive_ = Archive{{phase_, step_}, false, {}, {}};
        }
        if (st.kind == StepKind::copy && archive_->bytes.empty()) {
            if (!archive_->requested) {
                archive_->requested = true;
                auto dir = resolve_action(st, setup_.config, setup_.plan, setup_.facts);
                effects_.push_back(PackArchive{phase_, step_, dir ? dir->dir : st.copy});
            }
            return;
        }
        const auto nodes = targets_of(st);
        bool all_done = true, any_failed = false, backend_pending = false;
        unsigned frontends_in_flight = 0;
        for (const auto& n : nodes) {
            const Target& t = targets_[{n, phase_, step_}];
            all_done = all_done && t.state == TargetState::done;
            any_failed = any_failed || t.state == TargetState::failed;
            if (t.state == TargetState::ordered && members_[n].server->role == Role::frontend)
                ++frontends_in_flight;
        }
        if (all_done) {
            if (agreement_failed()) {
                if (last_error_.rfind("step " + st.id, 0) != 0) {
                    std::string values;
                    for (const auto& n : nodes)
                        values += (values.empty() ? "" : ", ") + n + "=" + targets_[{n, phase_, step_}].value;
                    last_error_ = "step " + st.id + ": the nodes disagree (" + values + "); " +
                                  (st.agree == Agreement::one_master
                                       ? "exactly one backend must be keepalived master and the other backup, with no "
                                         "transition running (both keepalived up: `chef-server-ctl start keepalived`)"
                                       : "make them equal") +
                                  ", then chef-ha-upgrade-ctl retry (or skip)";
                    log(Log::Level::error, last_error_, phase_, st.id);
                }
                return;
            }
            ++step_;
            continue;
        }
        if (any_failed || paused_)
            return;
        const unsigned limit = setup_.config.upgrade.max_parallel;
        for (const auto& n : nodes) {
            Target& t = targets_[{n, phase_, step_}];
            const Role role = members_[n].server->role;
            if (st.order == NodeOrder::backends_serial) {
                if (role != Role::frontend) {
                    if (backend_pending)
                        continue;  // one backend at a time, bootstrap first
                    if (t.state != TargetState::done)
                        backend_pending = true;
                } else if (backend_pending) {
                    continue;  // frontends after both backends
                }
            }
            if (t.state != TargetState::pending || !members_[n].refusal.empty())
                continue;
            if (role == Role::frontend) {
                if (limit != 0 && frontends_in_flight >= limit)
                    continue;
                ++frontends_in_flight;
            }
            if (ph.downtime_begins && downtime_begin_ms_ == 0)
                downtime_begin_ms_ = now;
            order(n, phase_, step_, t, now);
        }
        return;
    }
    if (!completed_sent_) {
        completed_sent_ = true;
        log(Log::Level::info, "upgrade complete on every node");
        effects_.push_back(Completed{State::complete, "upgrade complete on every node"});
    }
}

Answer Node::decide(Op op, std::int64_t now)
{
    const auto phase_count = static_cast<std::int32_t>(setup_.plan.phases.size());
    const bool over = aborted_ || phase_ >= phase_count;
    auto no = [](std::string why) { return Answer{0, false, std::move(why)}; };
    auto decided = [&](DecisionRecord d, std::string text) {
        d.op = op;
        d.at_ms = now;
        record(d);
        log(Log::Level::info, "operator: " + text);
        return Answer{0, true, std::move(text)};
    };
    if (over)
        return no(std::string("the upgrade is over (") + state_name(cluster_state(now)) + "); nothing to " + op_name(op));
    switch (op) {
    case Op::start:
        if (started_)
            return no("the upgrade has already started");
        started_ = true;
        return decided({}, "start");
    case Op::pause:
        if (paused_)
            return no("already paused");
        paused_ = true;
        return decided({}, "paused: running steps finish, no new step starts");
    case Op::resume:
        if (!paused_)
            return no("not paused");
        paused_ = false;
        return decided({}, "resumed");
    case Op::retry:
    case Op::skip: {
        auto failed = failed_targets();
        if (failed.empty() && !(joined_ && phase_ < phase_count && agreement_failed()))
            return no(std::string("nothing to ") + op_name(op) + ": no step has failed");
        std::string names;
        if (failed.empty()) {  // a disagreement: retry re-runs the check everywhere, skip accepts it
            const Step& st = setup_.plan.phases[static_cast<std::size_t>(phase_)].steps[static_cast<std::size_t>(step_)];
            if (op == Op::skip) {
                agreement_skipped_ = true;
                return decided({Op::skip, "", phase_, step_, 0, 0}, "skip the disagreement in step " + st.id);
            }
            for (const auto& n : targets_of(st))
                failed.push_back({n, phase_, step_});
        }
        for (const auto& key : failed) {
            Target& t = targets_[key];
            t.state = TargetState::pending;
            // A new round either way: the node answers an order of the old round from its journal (the failure).
            ++t.round;
            t.skip = op == Op::skip;
            t.interrupt = false;
            record(DecisionRecord{op, std::get<0>(key), phase_, step_, t.round, now});
            names += (names.empty() ? "" : ", ") + std::get<0>(key);
        }
        last_error_.clear();
        const std::string what = std::string(op == Op::retry ? "retry" : "skip") + " step " + describe_step(phase_, step_) + " on " + names;
        log(Log::Level::info, "operator: " + what);
        return Answer{0, true, what};
    }
    case Op::abort:
        aborted_ = true;
        effects_.push_back(Completed{State::aborted, "aborted by the operator at phase " + std::to_string(phase_)});
        completed_sent_ = true;
        return decided({}, "abort: no further step starts on any node");
    case Op::interrupt: {
        std::string names;
        for (auto& [key, t] : targets_) {
            const auto& [node, phase, step] = key;
            if (phase != phase_ || step != step_ || t.state != TargetState::ordered || t.interrupt || stalled_for(node, now) == 0)
                continue;
            t.interrupt = true;
            record(DecisionRecord{op, node, phase, step, t.round, now});
            order(node, phase, step, t, now);
            names += (names.empty() ? "" : ", ") + node;
        }
        if (names.empty())
            return no("no command is stalled (past its plan's timeout): interrupt ends only a stalled one");
        const std::string what = "interrupt step " + describe_step(phase_, step_) + " on " + names +
                                 ": its command is ended and the step fails; then retry, skip or abort";
        log(Log::Level::warning, "operator: " + what);
        return Answer{0, true, what};
    }
    case Op::approve: {
        const bool at_gate = joined_ && phase_ < phase_count && step_ < static_cast<std::int32_t>(setup_.plan.phases[static_cast<std::size_t>(phase_)].steps.size()) &&
                             setup_.plan.phases[static_cast<std::size_t>(phase_)].steps[static_cast<std::size_t>(step_)].kind == StepKind::gate;
        if (!at_gate)
            return no("nothing to approve yet: the cluster is at phase " + std::to_string(phase_) + " (" +
                      setup_.plan.phases[static_cast<std::size_t>(std::min(phase_, phase_count - 1))].title + ")");
        approved_ = true;
        return decided({}, "cleanup approved");
    }
    }
    return no("unknown decision");
}

State Node::cluster_state(std::int64_t now) const
{
    const auto phase_count = static_cast<std::int32_t>(setup_.plan.phases.size());
    if (aborted_)
        return State::aborted;
    if (!halted_.empty())
        return State::failed;
    if (!joined_)
        return State::joining;
    if (phase_ >= phase_count)
        return State::complete;
    if (!started_)
        return State::idle;
    if (!failed_targets().empty() || agreement_failed())
        return State::failed;
    for (const auto& [name, m] : members_)
        if (stalled_for(name, now) != 0)
            return State::stalled;
    if (paused_)
        return State::paused;
    const auto& steps = setup_.plan.phases[static_cast<std::size_t>(phase_)].steps;
    if (step_ < static_cast<std::int32_t>(steps.size()) && steps[static_cast<std::size_t>(step_)].kind == StepKind::gate && !approved_ &&
        setup_.config.upgrade.cleanup != CleanupMode::automatic)
        return State::awaiting_approval;
    if (setup_.plan.phases[static_cast<std::size_t>(phase_)].id == "preflight")
        return State::preflight;
    return State::running;
}

std::uint32_t Node::progress() const
{
    std::size_t total = 0, done = 0;
    for (std::int32_t p = 1; p < static_cast<std::int32_t>(setup_.plan.phases.size()); ++p) {
        const auto& steps = setup_.plan.phases[static_cast<std::size_t>(p)].steps;
        for (std::int32_t s = 0; s < static_cast<std::int32_t>(steps.size()); ++s) {
            const auto nodes = steps[static_cast<std::size_t>(s)].kind == StepKind::gate ? 1 : targets_of(steps[static_cast<std::size_t>(s)]).size();
            total += nodes;
            if (p < phase_ || (p == phase_ && s < step_)) {
                done += nodes;
            } else if (p == phase_ && s == step_) {
                for (const auto& n : targets_of(steps[static_cast<std::size_t>(s)])) {
                    auto it = targets_.find({n, p, s});
                    done += it != targets_.end() && it->second.state == TargetState::done;
                }
            }
        }
    }
    return total == 0 ? 100 : static_cast<std::uint32_t>(done * 100 / total);
}

std::string Node::describe_step(std::int32_t phase, std::int32_t step) const
{
    const auto& steps = setup_.plan.phases[static_cast<std::size_t>(phase)].steps;
    if (step < 0 || step >= static_cast<std::int32_t>(steps.size()))
        return setup_.plan.phases[static_cast<std::size_t>(phase)].title;
    return steps[static_cast<std::size_t>(step)].id + " (phase " + std::to_string(phase) + ")";
}

Beat Node::cluster_beat(std::int64_t now) const
{
    Beat b;
    b.epoch = epoch_;
    b.state = static_cast<std::uint8_t>(cluster_state(now));
    b.phase = phase_;
    b.step = step_;
    const NodeStatus mine = status(now);
    b.progress = mine.progress;
    b.last_error = mine.last_error;
    b.downtime_begin_ms = downtime_begin_ms_;
    b.downtime_end_ms = downtime_end_ms_;
    b.peers = mine.peers;
    return b;
}

// ---------------------------------------------------------------- status

NodeStatus Node::status(std::int64_t now) const
{
    NodeStatus st;
    st.node = setup_.node;
    st.role = me_->role;
    st.leader = leader_name();
    st.epoch = epoch_;
    st.phase_count = static_cast<std::int32_t>(setup_.plan.phases.size());
    st.versions = version_change(setup_.facts);
    std::int32_t step = 0;
    if (is_leader()) {
        st.state = cluster_state(now);
        st.phase = std::min(phase_, st.phase_count - 1);
        step = step_;
        st.progress = progress();
        st.last_error = halted_.empty() ? last_error_ : halted_;
        if (!joined_ && st.last_error.empty()) {
            std::string missing;
            for (const auto& [name, m] : members_)
                if (name != setup_.node && m.heard_ms == 0)
                    missing += (missing.empty() ? "" : ", ") + name;
            if (!missing.empty())
                st.last_error = "waiting for " + missing + " to join (never heard from; is chef-ha-upgrade running there, "
                                "with the same cluster key, and is TCP port " + std::to_string(setup_.config.cluster.port) +
                                " open between the nodes?)";
        }
        st.downtime_begin_ms = downtime_begin_ms_;
        st.downtime_end_ms = downtime_end_ms_;
        const State cluster = st.state;
        // A step that failed on some nodes holds the others; a halt or a disagreement is everyone's.
        const bool held = cluster == State::failed && halted_.empty() && !failed_targets().empty();
        for (const auto& [name, m] : members_) {
            PeerInfo p;
            p.name = name;
            p.role = static_cast<std::uint8_t>(m.server->role);
            const bool self = name == setup_.node;
            const Hello h = self ? hello(now) : m.hello;
            p.last_heard_ms = self ? now : m.heard_ms;
            p.phase = h.phase;
            State s = cluster;
            if (!m.refusal.empty() || (!self && m.heard_ms == 0))
                s = State::joining;
            else if (targets_.count({name, phase_, step_}) && targets_.at({name, phase_, step_}).state == TargetState::failed)
                s = State::failed;
            else if (h.running)
                s = stalled_for(name, now) != 0 ? State::stalled : State::running;
            else if (held)
                s = State::paused;  // until the operator retries or skips the failed step
            p.state = static_cast<std::uint8_t>(s);
            // A peer's Hello says where it is; a phase outside this plan names no step.
            if (h.phase >= 0 && h.phase < st.phase_count) {
                const auto& steps = setup_.plan.phases[static_cast<std::size_t>(h.phase)].steps;
                if (h.step >= 0 && h.step < static_cast<std::int32_t>(steps.size()))
                    p.step = steps[static_cast<std::size_t>(h.step)].id;
            }
            st.peers.push_back(std::move(p));
        }
    } else {
        st.leader_reachable = leader_heard_ms_ != 0 && now - leader_heard_ms_ <= setup_.config.cluster.peer_timeout_ms;
        st.state = leader_heard_ms_ == 0 ? State::joining : static_cast<State>(cluster_.state);
        st.phase = std::min(cluster_.phase, st.phase_count - 1);
        step = cluster_.step;
        st.progress = cluster_.progress;
        st.last_error = !cluster_.refusal.empty() ? "refused by the leader: " + cluster_.refusal : cluster_.last_error;
        if (!st.leader_reachable && leader_heard_ms_ != 0)
            st.last_error = "the leader " + leader_name() + " is not reachable (last heard " +
                            std::to_string((now - leader_heard_ms_) / 1000) + " s ago); holding";
        st.downtime_begin_ms = cluster_.downtime_begin_ms;
        st.downtime_end_ms = cluster_.downtime_end_ms;
        st.peers = cluster_.peers;
    }
    if (running_ && running_->key.first > st.phase)
        st.phase = running_->key.first;  // ordered into the next phase before the leader's next beat says so
    st.phase_name = setup_.plan.phases[static_cast<std::size_t>(std::max(0, st.phase))].title;
    if (running_) {
        const Step& s = setup_.plan.phases[static_cast<std::size_t>(running_->key.first)].steps[static_cast<std::size_t>(running_->key.second)];
        auto action = resolve_action(s, setup_.config, setup_.plan, setup_.facts);
        st.step = action ? describe(action.value()) : s.id;
        st.attempt = running_->attempt;
        if (running_->stall_said)
            st.step += ": running for " + duration_text(now - running_->attempt_ms) + ", longer than the " +
                       duration_text(running_->expected_ms) + " expected";
    } else {
        const auto& steps = setup_.plan.phases[static_cast<std::size_t>(std::max(0, st.phase))].steps;
        if (step >= 0 && step < static_cast<std::int32_t>(steps.size()))
            st.step = steps[static_cast<std::size_t>(step)].title.empty() ? steps[static_cast<std::size_t>(step)].id
                                                                           : steps[static_cast<std::size_t>(step)].title;
    }
    if (is_leader())
        for (const auto& [name, m] : members_)
            if (name != setup_.node && stalled_for(name, now) != 0)
                st.step += "; stalled on " + stall_text(name, now);
    return st;
}

// ---------------------------------------------------------------- plumbing

void Node::send(const std::string& to, Message message)
{
    if (to == setup_.node)
        local_.push_back(std::move(message));
    else
        effects_.push_back(Send{to, std::move(message)});
}

void Node::record(Record r)
{
    if (!underway_sent_ && (std::holds_alternative<JoinedRecord>(r) || std::holds_alternative<StartedRecord>(r))) {
        underway_sent_ = true;
        effects_.push_back(Underway{});
    }
    effects_.push_back(WriteRecord{std::move(r)});
}

void Node::log(Log::Level level, std::string text, std::int32_t phase, std::string step)
{
    effects_.push_back(Log{level, std::move(text), phase, std::move(step)});
}

// Peers that fall silent (or come back) are said once, when it happens: a follower holds without its leader.
void Node::notice_losses(std::int64_t now)
{
    const std::int64_t timeout = setup_.config.cluster.peer_timeout_ms;
    if (!is_leader()) {
        const bool reachable = leader_heard_ms_ != 0 && now - leader_heard_ms_ <= timeout;
        if (reachable != leader_reachable_ && leader_heard_ms_ != 0) {
            leader_reachable_ = reachable;
            if (reachable)
                log(Log::Level::info, "in touch with the leader " + leader_name());
            else
                log(Log::Level::warning, "the leader " + leader_name() + " is not reachable (last heard " +
                                             std::to_string((now - leader_heard_ms_) / 1000) +
                                             " s ago): holding here; nothing new runs until it is back");
        }
        return;
    }
    for (auto& [name, m] : members_) {
        if (name == setup_.node || m.heard_ms == 0)
            continue;
        const bool lost = now - m.heard_ms > timeout;
        if (lost != m.lost) {
            m.lost = lost;
            if (lost)
                log(Log::Level::warning, "node " + name + " is not reachable (last heard " +
                                             std::to_string((now - m.heard_ms) / 1000) + " s ago); waiting for it");
            else
                log(Log::Level::info, "node " + name + " is back");
        }
    }
}

// The leader's own worker gets its orders through the same path as everyone's, without the network.
void Node::deliver_local(std::int64_t now)
{
    while (!local_.empty()) {
        std::vector<Message> batch;
        batch.swap(local_);
        for (auto& m : batch) {
            std::visit(
                [&](const auto& msg) {
                    using T = std::decay_t<decltype(msg)>;
                    if constexpr (std::is_same_v<T, Order>)
                        worker_order(msg, now);
                    else if constexpr (std::is_same_v<T, Report>)
                        leader_report(setup_.node, msg, now);
                    else if constexpr (std::is_same_v<T, Reply>) {
                        if (forwarded_.erase(msg.id))
                            effects_.push_back(Answer{msg.id, msg.ok, msg.text});
                    }
                },
                m);
        }
        if (is_leader())
            advance(now);
    }
}

}  // namespace chu
