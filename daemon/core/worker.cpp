#include "worker.hpp"

#include "digest.hpp"
#include "overloaded.hpp"
#include "utf8.hpp"

#include <algorithm>

namespace chu {

namespace {

// The leader's word for an archive's size is room reserved up to this; a bigger one grows as it comes.
constexpr std::uint64_t reserved_archive_max = 1ull << 30;

using S = Worker::Work;
using On = Worker::On;

// Every move the worker makes, and the event that makes it. Anything else is a bug.
// clang-format off
constexpr Move<S, On> moves[] = {
    {S::waiting,      On::ordered_copy,     S::receiving},
    {S::waiting,      On::ordered,          S::running},
    {S::receiving,    On::archive_verified, S::running},
    {S::receiving,    On::superseded,       S::waiting},
    {S::receiving,    On::interrupted,      S::waiting},  // it fails before it ran
    {S::receiving,    On::ended,            S::waiting},  // the archive does not match its digest
    {S::running,      On::past_timeout,     S::stalled},  // never killed for it
    {S::running,      On::attempt_failed,   S::backing_off},
    {S::running,      On::interrupted,      S::interrupting},
    {S::running,      On::ended,            S::waiting},
    {S::stalled,      On::attempt_failed,   S::backing_off},
    {S::stalled,      On::interrupted,      S::interrupting},
    {S::stalled,      On::ended,            S::waiting},
    {S::backing_off,  On::backoff_over,     S::running},
    {S::backing_off,  On::ended,            S::waiting},  // interrupted between attempts, or its action cannot be resolved
    {S::interrupting, On::ended,            S::waiting},  // the ended command's result came in: the step failed
};
// clang-format on

const char* on_name(On on)
{
    switch (on) {
    case On::ordered: return "ordered";
    case On::ordered_copy: return "ordered-copy";
    case On::archive_verified: return "archive-verified";
    case On::superseded: return "superseded";
    case On::past_timeout: return "past-timeout";
    case On::attempt_failed: return "attempt-failed";
    case On::backoff_over: return "backoff-over";
    case On::interrupted: return "interrupted";
    case On::ended: return "ended";
    }
    return "unknown";
}

const MachineNames<S, On> names{"worker", work_name, on_name};

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

}  // namespace

const char* work_name(Worker::Work work)
{
    switch (work) {
    case S::waiting: return "waiting";
    case S::receiving: return "receiving";
    case S::running: return "running";
    case S::stalled: return "stalled";
    case S::backing_off: return "backing-off";
    case S::interrupting: return "interrupting";
    }
    return "unknown";
}

bool Worker::Journaled::operator==(const Journaled& o) const
{
    return epoch == o.epoch && attempts == o.attempts && finished == o.finished && dropped_ms == o.dropped_ms;
}

Worker::Worker(const NodeSetup& setup, Outbox& out) : setup_(setup), me_(setup.topology.at(setup.node)), out_(out) {}

void Worker::go(On on)
{
    chu::go(out_, moves, names, work_, on);
}

std::set<std::string> Worker::all_moves()
{
    return move_names(moves, names);
}

const Step& Worker::step_of(StepRef ref) const
{
    return step_at(setup_.plan, ref);  // refs in hand were checked against the plan when ordered or replayed
}

// ---------------------------------------------------------------- the journal

void Worker::apply(const Record& record)
{
    std::visit(Overloaded{
                   [&](const EpochRecord& e) { journal_.epoch = std::max(journal_.epoch, e.epoch); },
                   [&](const StartedRecord& s) {
                       const StepRef ref{s.phase, s.step};
                       auto done = journal_.finished.find(ref);
                       if (done == journal_.finished.end() || done->second.round < s.round)
                           journal_.attempts[ref] = s.attempt;
                   },
                   [&](const FinishedRecord& f) {
                       journal_.finished[{f.phase, f.step}] = f;
                   },
                   [&](const DroppedRecord& d) { journal_.dropped_ms = d.at_ms; },
                   [](const JoinedRecord&) {},  // the leader's
                   [](const ReportRecord&) {},
                   [](const PhaseRecord&) {},
                   [](const DecisionRecord&) {},
               },
               record);
}

// ---------------------------------------------------------------- orders

void Worker::on_order(const Order& o, std::int64_t now)
{
    leader_heard_ms_ = now;
    if (o.epoch < journal_.epoch) {
        out_.log(Log::Level::warning,
                 "ignored an order from epoch " + std::to_string(o.epoch) + " (current " + std::to_string(journal_.epoch) + ")");
        return;
    }
    if (o.epoch > journal_.epoch)
        out_.record(EpochRecord{o.epoch});
    if (dropped()) {
        out_.log(Log::Level::warning, "ignored an order: the operator dropped this node from the upgrade");
        return;
    }
    const Step* step = o.phase > 0 ? find_step(setup_.plan, {o.phase, o.step}) : nullptr;
    if (!step) {
        out_.log(Log::Level::error, "refused an order for phase " + std::to_string(o.phase) + " step " + std::to_string(o.step) +
                                        ": not in plan " + setup_.plan.name);
        return;
    }
    if (!runs_on(*step, me_.role)) {
        out_.log(Log::Level::error,
                 "refused to run step " + step->id + ": it runs on " + roles_text(step->roles) + ", and " + setup_.node +
                     " is the " + role_name(me_.role),
                 o.phase, step->id);
        return;
    }
    if (step->kind == StepKind::gate) {
        out_.log(Log::Level::error,
                 "refused to run step " + step->id + ": a gate runs nothing; the leader waits for the operator", o.phase,
                 step->id);
        return;
    }
    if (answered_from_journal(o, *step))
        return;
    if (o.interrupt) {
        interrupt(o, *step, now);
        return;
    }
    const bool same = work_ != S::waiting && job_.ref == StepRef{o.phase, o.step};
    if (work_ == S::receiving) {
        if (same && receive_.digest == o.archive_digest)
            return;          // already on its way
        go(On::superseded);  // the leader wants something else now: what came so far is of no use
        receive_ = {};
    }
    if (work_ != S::waiting) {
        if (!same)
            out_.log(Log::Level::warning, "ignored an order for step " + step->id + " while another step runs", o.phase,
                     step->id);
        return;
    }
    if (o.skip) {
        const FinishedRecord d{o.phase, o.step, o.round, {Outcome::skipped, 0, {}, "skipped by the operator"}, now, now};
        out_.record(d);
        out_.log(Log::Level::warning, "skipped by the operator", o.phase, step->id);
        report(d);
        return;
    }
    if (refuse_out_of_order(o, *step, now))
        return;
    take(o, *step, now);
}

// A repeated order is answered from the journal: nothing that finished runs again. The one exception is a
// check (it changes nothing) in a newer round: the operator retried a disagreement.
bool Worker::answered_from_journal(const Order& o, const Step& step)
{
    auto done = journal_.finished.find({o.phase, o.step});
    if (done == journal_.finished.end())
        return false;
    const FinishedRecord& d = done->second;
    if (d.round < o.round && (!succeeded(d.end.outcome) || step.kind == StepKind::check))
        return false;
    report(d);
    return true;
}

// The node's own guard, whatever the leader says: every earlier step of its schedule must be finished.
std::optional<StepRef> Worker::earlier_unfinished(StepRef ref) const
{
    for (std::int32_t p = 1; p <= ref.phase; ++p) {
        const auto& steps = phase_at(setup_.plan, p).steps;
        const std::int32_t end = p == ref.phase ? ref.step : static_cast<std::int32_t>(steps.size());
        for (std::int32_t s = 0; s < end; ++s) {
            const Step& st = step_at(setup_.plan, {p, s});
            if (!runs_on(st, me_.role) || st.when.kind != Condition::Kind::always || st.kind == StepKind::gate)
                continue;
            auto it = journal_.finished.find({p, s});
            if (it == journal_.finished.end() || (!succeeded(it->second.end.outcome) && !st.may_fail))
                return StepRef{p, s};
        }
    }
    return std::nullopt;
}

bool Worker::refuse_out_of_order(const Order& o, const Step& step, std::int64_t now)
{
    auto missing = earlier_unfinished({o.phase, o.step});
    // The leader orders a step only once this node has reported every earlier one, and a report leaves only
    // after its FinishedRecord is durable. So an earlier step that this journal shows started, with no end,
    // lost its end after it was reported: a torn tail cut at restart, from a disk that acknowledged the write
    // and did not keep it. The leader's durable report stands for it here.
    if (missing && !journal_.finished.count(*missing) && journal_.attempts.count(*missing)) {
        const Step& lost = step_of(*missing);
        out_.record(FinishedRecord{missing->phase,
                                   missing->step,
                                   0,
                                   {Outcome::ok, 0, {}, "its end was lost from this node's journal; the leader holds its report"},
                                   now,
                                   now});
        out_.log(Log::Level::warning,
                 "the end of step " + lost.id +
                     " was lost from the journal (torn at restart), but the "
                     "leader ordered the next step, so it had its report: recorded as done",
                 missing->phase, lost.id);
        missing = earlier_unfinished({o.phase, o.step});
    }
    if (!missing)
        return false;
    const std::string why = "refused to run step " + step.id + " before step " + step_of(*missing).id + " finished here";
    out_.log(Log::Level::error, why, o.phase, step.id);
    // Told to the leader as this step's failure: the cluster stops, naming this node and step, instead of
    // re-sending an order this node will never take.
    out_.send(setup_.topology.bootstrap().name,
              Report{journal_.epoch,
                     o.phase,
                     o.step,
                     o.round,
                     {Outcome::failed, 0, {}, why + " (its journal in " + setup_.config.paths.state_dir + " does not show it)"},
                     now,
                     now});
    return true;
}

void Worker::take(const Order& o, const Step& step, std::int64_t now)
{
    const StepRef ref{o.phase, o.step};
    auto attempts = journal_.attempts.find(ref);
    job_ = Job{ref, o.round, attempts == journal_.attempts.end() ? 0 : attempts->second, 0, now, 0, 0, 0, {}};
    if (step.kind == StepKind::copy) {
        go(On::ordered_copy);
        receive_ = Receive{o.archive_digest, o.archive_size, {}, now};
        receive_.data.reserve(std::min(o.archive_size, reserved_archive_max));  // one buffer, not one per doubling
        out_.send(setup_.topology.bootstrap().name, Fetch{journal_.epoch, o.phase, o.step, 0});
        return;
    }
    go(On::ordered);
    start_attempt(now);
}

void Worker::on_chunk(const Chunk& c, std::int64_t now)
{
    if (work_ != S::receiving || job_.ref != StepRef{c.phase, c.step} || c.offset != receive_.data.size())
        return;  // a duplicate or a late piece: the next Fetch asks again
    receive_.data += c.data;
    receive_.asked_ms = now;
    if (receive_.data.size() < receive_.size && !c.data.empty()) {
        out_.send(setup_.topology.bootstrap().name, Fetch{journal_.epoch, c.phase, c.step, receive_.data.size()});
        return;
    }
    Receive got = std::move(receive_);
    receive_ = {};
    if (got.data.size() != got.size || archive_digest(got.data) != got.digest) {
        out_.record(StartedRecord{job_.ref.phase, job_.ref.step, job_.round, ++job_.attempt, now});
        finish({Outcome::failed,
                0,
                {},
                "the archive received from " + setup_.topology.bootstrap().name + " does not match its digest"},
               now);
        return;
    }
    job_.archive = std::make_shared<const std::string>(std::move(got.data));
    go(On::archive_verified);
    start_attempt(now);
}

// ---------------------------------------------------------------- attempts

void Worker::start_attempt(std::int64_t now)
{
    const Step& step = step_of(job_.ref);
    ++job_.attempt;
    auto action = resolve_action(step, setup_.config, setup_.plan, setup_.facts);
    out_.record(StartedRecord{job_.ref.phase, job_.ref.step, job_.round, job_.attempt, now});
    if (!action) {
        finish({Outcome::failed, 0, {}, action.error().message}, now);
        return;
    }
    job_.attempt_ms = now;
    job_.expected_ms = static_cast<std::int64_t>(action->expected_s) * 1000;
    out_.log(Log::Level::info,
             describe(action.value()) + (job_.attempt > 1 ? " (attempt " + std::to_string(job_.attempt) + ")" : ""),
             job_.ref.phase, step.id);
    RunStep run{job_.ref.phase, job_.ref.step, step.id, job_.round, job_.attempt, std::move(action.value()), {}};
    if (step.kind == StepKind::copy)
        run.archive = job_.archive;  // shared, not copied: a retry unpacks the same verified archive
    out_.push(std::move(run));
}

void Worker::on_step_finished(const StepResult& result, std::int64_t now)
{
    const bool waiting = work_ == S::running || work_ == S::stalled || work_ == S::interrupting;
    if (!waiting || job_.ref != StepRef{result.phase, result.step} || job_.round != result.round ||
        job_.attempt != result.attempt)
        return;  // a result for an attempt we no longer wait on
    const Step& step = step_of(job_.ref);
    StepOutcome end = result.end;
    if (work_ == S::interrupting) {
        finish({Outcome::failed,
                end.exit_code,
                {},
                valid_utf8(tail_lines("interrupted by the operator; its output ended with:\n" + end.detail, max_detail))},
               now);
        return;
    }
    // A failure line is never excused: neither by an exit status of 0 nor by the step's harmless messages.
    const std::string fatal = failure_line(step, setup_.plan, end.detail);
    if (!fatal.empty() && end.outcome == Outcome::ok) {
        // The sentence first, so that what follows may be shortened from its start without losing it.
        const std::string said = valid_utf8(tail_lines("exit status 0, but its output says it failed: " + fatal, max_detail / 2));
        end.outcome = Outcome::failed;
        end.detail = said + "\n" + tail_lines(end.detail, max_detail - said.size() - 1);
    }
    if (fatal.empty() && end.outcome == Outcome::failed &&
        only_expected_errors(step, end.detail, setup_.config, setup_.plan, setup_.facts)) {
        out_.log(Log::Level::info,
                 "exit status " + std::to_string(end.exit_code) + " with only expected messages (" + step.harmless.front() +
                     "): counted as success",
                 result.phase, step.id);
        end.outcome = Outcome::ok;
    }
    if (end.outcome != Outcome::ok && retry_applies(step, end.outcome) &&
        job_.failures < static_cast<std::uint32_t>(std::max(step.retries, 0))) {
        ++job_.failures;
        job_.retry_at = now + backoff_ms(step, job_.failures);
        go(On::attempt_failed);
        out_.log(Log::Level::warning,
                 std::string(end.outcome == Outcome::timeout ? "timed out" : "failed") + " (attempt " +
                     std::to_string(result.attempt) + "), re-running in " + std::to_string((job_.retry_at - now) / 1000) +
                     " s: " + end.detail,
                 result.phase, step.id);
        return;
    }
    // Only the end of the output matters for an error, and it travels in every report.
    end.value = valid_utf8(end.value.substr(0, max_value));
    end.detail = valid_utf8(tail_lines(end.detail, max_detail));
    finish(std::move(end), now);
}

void Worker::finish(StepOutcome end, std::int64_t now)
{
    const FinishedRecord d{job_.ref.phase, job_.ref.step, job_.round, std::move(end), job_.started_ms, now};
    const std::uint32_t attempts = job_.attempt;
    go(On::ended);
    out_.record(d);
    const Step& step = step_of(job_.ref);
    if (d.end.outcome == Outcome::ok)
        out_.log(Log::Level::info, "done" + (d.end.value.empty() ? std::string() : ": " + d.end.value), d.phase, step.id);
    else
        out_.log(Log::Level::error,
                 std::string(outcome_name(d.end.outcome)) + " after " + std::to_string(attempts) + " attempt(s): " + d.end.detail,
                 d.phase, step.id);
    report(d);
}

// A step ordered here that fails without a command of its own running.
void Worker::finish_unstarted(const Order& o, std::string detail, std::int64_t now)
{
    const FinishedRecord d{o.phase, o.step, o.round, {Outcome::failed, 0, {}, std::move(detail)}, now, now};
    out_.record(d);
    out_.log(Log::Level::warning, d.end.detail, o.phase, step_of({o.phase, o.step}).id);
    report(d);
}

// The operator ends a stalled command. Its step then fails like any other, and nothing re-runs it by itself.
void Worker::interrupt(const Order& o, const Step& step, std::int64_t now)
{
    const bool same = work_ != S::waiting && job_.ref == StepRef{o.phase, o.step};
    if (work_ != S::waiting && !same)
        return;  // another step: the order is not for what runs here
    switch (work_) {
    case S::running:
    case S::stalled:
        go(On::interrupted);
        out_.log(Log::Level::warning, "interrupted by the operator: ending the command (SIGTERM, then SIGKILL)", o.phase,
                 step.id);
        out_.push(Interrupt{o.phase, o.step, step.id});
        return;
    case S::interrupting: return;  // already being ended
    case S::backing_off: finish({Outcome::failed, 0, {}, "interrupted by the operator while waiting to re-run"}, now); return;
    case S::receiving:
        go(On::interrupted);
        receive_ = {};
        finish_unstarted(o, "interrupted by the operator before it ran", now);
        return;
    case S::waiting:  // ordered but not running (e.g. this daemon restarted since): it fails without starting
        finish_unstarted(o, "interrupted by the operator before it ran", now);
        return;
    }
}

// A command that changes the cluster is never killed by a timer: past its plan's timeout it is said once.
void Worker::notice_stall(std::int64_t now)
{
    if (work_ != S::running || job_.expected_ms == 0 || now - job_.attempt_ms < job_.expected_ms)
        return;
    go(On::past_timeout);
    out_.log(Log::Level::warning,
             "stalled: running for " + duration_text(now - job_.attempt_ms) + ", longer than the " +
                 duration_text(job_.expected_ms) +
                 " expected; it changes the cluster, so it is not killed. If it really hangs, end it with: "
                 "chef-ha-upgrade-ctl interrupt",
             job_.ref.phase, step_of(job_.ref).id);
}

void Worker::report(const FinishedRecord& d)
{
    out_.send(setup_.topology.bootstrap().name, Report{journal_.epoch, d.phase, d.step, d.round, d.end, d.started_ms, d.at_ms});
}

// ---------------------------------------------------------------- the leader, as a follower hears it

void Worker::on_beat(const Beat& beat, std::int64_t now)
{
    if (beat.epoch < journal_.epoch)
        return;
    if (beat.epoch > journal_.epoch)
        out_.record(EpochRecord{beat.epoch});
    leader_heard_ms_ = now;
    cluster_ = beat;
    notice_leader(now);
    const bool told_dropped = std::any_of(beat.peers.begin(), beat.peers.end(), [&](const PeerInfo& p) {
        return p.name == setup_.node && p.state == static_cast<std::uint8_t>(chu::State::dropped);
    });
    if (told_dropped && !dropped()) {
        out_.record(DroppedRecord{beat.epoch, now});
        say_dropped();
    }
    if (dropped())
        return;
    // A follower learns the end from the leader: once per daemon run, like the leader says it.
    const auto state = static_cast<chu::State>(beat.state);
    if (state == chu::State::complete || state == chu::State::aborted || state == chu::State::rehearsed)
        out_.completed(state, std::string(state == chu::State::rehearsed ? "preflight rehearsal done" : "upgrade ") +
                                  (state == chu::State::rehearsed ? "" : state_name(state)) + " (the leader " +
                                  setup_.topology.bootstrap().name + " says so)");
}

void Worker::on_reply(const Reply& reply)
{
    if (forwarded_.erase(reply.id))
        out_.push(Answer{reply.id, reply.ok, reply.text});
}

void Worker::forward(const Command& call, std::int64_t now)
{
    const std::string& leader = setup_.topology.bootstrap().name;
    if (!leader_reachable(now)) {
        out_.push(Answer{call.id, false,
                         "the leader " + leader +
                             " is not reachable; nothing was decided. Check chef-ha-upgrade "
                             "on " +
                             leader + ", or run this command there"});
        return;
    }
    forwarded_[call.id] = now + setup_.config.cluster.peer_timeout_ms;
    out_.send(leader, call);
}

std::string Worker::dropped_text() const
{
    return "the operator dropped this node from the upgrade (the leader " + setup_.topology.bootstrap().name +
           " said so): it runs nothing more, and chef-ha-upgrade stops here. Once the upgrade is complete, rebuild it "
           "(README: Rebuild a dropped frontend), then move " +
           setup_.config.paths.state_dir + " aside";
}

void Worker::say_dropped()
{
    out_.log(Log::Level::warning, dropped_text());
    out_.completed(chu::State::dropped, dropped_text());
    out_.push(Stop{});  // nothing more runs here: not restarted, and no marker brings it back at boot
}

bool Worker::leader_reachable(std::int64_t now) const
{
    return leader_heard_ms_ != 0 && now - leader_heard_ms_ <= setup_.config.cluster.peer_timeout_ms;
}

// The leader falling silent (or coming back) is said once, when it happens: a follower holds without it.
void Worker::notice_leader(std::int64_t now)
{
    const bool reachable = leader_reachable(now);
    if (reachable == leader_reachable_ || leader_heard_ms_ == 0)
        return;
    leader_reachable_ = reachable;
    const std::string& leader = setup_.topology.bootstrap().name;
    if (reachable)
        out_.log(Log::Level::info, "in touch with the leader " + leader);
    else
        out_.log(Log::Level::warning, "the leader " + leader + " is not reachable (last heard " +
                                          std::to_string((now - leader_heard_ms_) / 1000) +
                                          " s ago): holding here; nothing new runs until it is back");
}

// ---------------------------------------------------------------- time

void Worker::on_tick(std::int64_t now, bool beat_due)
{
    const bool follower = me_.role != Role::bootstrap;
    if (follower)
        notice_leader(now);
    notice_stall(now);
    if (work_ == S::backing_off && now >= job_.retry_at) {
        go(On::backoff_over);
        start_attempt(now);
    }
    for (auto it = forwarded_.begin(); it != forwarded_.end();) {
        if (now < it->second) {
            ++it;
            continue;
        }
        out_.push(Answer{it->first, false,
                         "no answer from the leader " + setup_.topology.bootstrap().name +
                             "; the decision may or may not have been taken: check with chef-ha-upgrade-ctl status"});
        it = forwarded_.erase(it);
    }
    if (!beat_due)
        return;
    if (follower)
        out_.send(setup_.topology.bootstrap().name, presence(now));
    if (work_ == S::receiving && now - receive_.asked_ms >= setup_.config.cluster.heartbeat_ms) {
        receive_.asked_ms = now;
        out_.send(setup_.topology.bootstrap().name, Fetch{journal_.epoch, job_.ref.phase, job_.ref.step, receive_.data.size()});
    }
}

std::int64_t Worker::next_deadline(std::int64_t next) const
{
    if (work_ == S::backing_off)
        next = std::min(next, job_.retry_at);
    if (work_ == S::running && job_.expected_ms != 0)
        next = std::min(next, job_.attempt_ms + job_.expected_ms);
    for (const auto& [id, deadline] : forwarded_)
        next = std::min(next, deadline);
    return next;
}

// ---------------------------------------------------------------- what it shows

Presence Worker::presence(std::int64_t now) const
{
    Presence h;
    h.epoch = journal_.epoch;
    h.plan_name = setup_.plan.name;
    h.topology_digest = setup_.topology_digest;
    h.plan_digest = setup_.plan_digest;
    h.package_digest = setup_.package_digest;
    h.key_id = setup_.key_id;
    h.version = setup_.version;
    if (has_attempt()) {
        h.phase = job_.ref.phase;
        h.step = job_.ref.step;
        h.running = true;
        h.running_ms = work_ != S::backing_off ? static_cast<std::uint64_t>(std::max<std::int64_t>(now - job_.attempt_ms, 0)) : 0;
    } else if (!journal_.finished.empty()) {
        h.phase = journal_.finished.rbegin()->first.phase;
        h.step = journal_.finished.rbegin()->first.step;
    }
    return h;
}

std::optional<StepRef> Worker::in_hand() const
{
    if (!has_attempt())
        return std::nullopt;
    return job_.ref;
}

std::string Worker::running_text(std::int64_t now) const
{
    if (!has_attempt())
        return {};
    const Step& s = step_of(job_.ref);
    auto action = resolve_action(s, setup_.config, setup_.plan, setup_.facts);
    std::string text = action ? describe(action.value()) : s.id;
    if (work_ == S::stalled)
        text += ": running for " + duration_text(now - job_.attempt_ms) + ", longer than the " + duration_text(job_.expected_ms) +
                " expected";
    return text;
}

}  // namespace chu
