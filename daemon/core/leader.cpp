#include "leader.hpp"

#include "digest.hpp"
#include "node.hpp"
#include "overloaded.hpp"
#include "rehearsal.hpp"
#include "words.hpp"

#include <algorithm>

namespace chu {

namespace {

using P = Leader::Progress;
using H = Leader::Hold;
using T = Leader::TargetState;

using On = Leader::On;

// Every move of the leader's three machines, and the event that makes it. Anything else is a bug.
// clang-format off
constexpr Move<P, On> progress_moves[] = {
    {P::joining,  On::start,      P::starting},  // started before every node joined
    {P::joining,  On::joined,     P::idle},
    {P::starting, On::joined,     P::running},
    {P::idle,     On::start,      P::running},
    {P::running,  On::all_passed, P::complete},
    {P::joining,  On::abort,      P::aborted},
    {P::starting, On::abort,      P::aborted},
    {P::idle,     On::abort,      P::aborted},
    {P::running,  On::abort,      P::aborted},
};

constexpr Move<H, On> hold_moves[] = {
    {H::released, On::pause,  H::paused},
    {H::paused,   On::resume, H::released},
};

constexpr Move<T, On> target_moves[] = {
    {T::pending, On::ordered,  T::ordered},
    {T::ordered, On::ordered,  T::ordered},  // re-sent: the network may have lost it
    {T::pending, On::passed,   T::done},     // a report (replayed: the order's sending is not journaled)
    {T::pending, On::failed,   T::failed},
    {T::ordered, On::passed,   T::done},
    {T::ordered, On::failed,   T::failed},
    {T::failed,  On::reset,    T::pending},  // the operator retried or skipped it
    {T::done,    On::reset,    T::pending},  // the operator retried a disagreement: the check runs again
};
// clang-format on

const char* target_state_name(T state)
{
    switch (state) {
    case T::pending: return "pending";
    case T::ordered: return "ordered";
    case T::done: return "done";
    case T::failed: return "failed";
    }
    return "unknown";
}

const char* hold_name(H hold)
{
    return hold == H::paused ? "paused" : "released";
}

const char* on_name(On on)
{
    switch (on) {
    case On::start: return "start";
    case On::joined: return "joined";
    case On::all_passed: return "all-passed";
    case On::abort: return "abort";
    case On::pause: return "pause";
    case On::resume: return "resume";
    case On::ordered: return "ordered";
    case On::passed: return "passed";
    case On::failed: return "failed";
    case On::reset: return "reset";
    }
    return "unknown";
}

const MachineNames<P, On> progress_names{"leader", progress_name, on_name};
const MachineNames<H, On> hold_names{"hold", hold_name, on_name};
const MachineNames<T, On> target_names{"target", target_state_name, on_name};

}  // namespace

const char* progress_name(P progress)
{
    switch (progress) {
    case P::joining: return "joining";
    case P::starting: return "starting";
    case P::idle: return "idle";
    case P::running: return "running";
    case P::complete: return "complete";
    case P::aborted: return "aborted";
    }
    return "unknown";
}

bool Leader::Target::operator==(const Target& o) const
{
    auto journaled = [](T s) { return s == T::ordered ? T::pending : s; };
    return journaled(state) == journaled(o.state) && round == o.round && skip == o.skip && interrupt == o.interrupt &&
           end == o.end && reported == o.reported;
}

bool Leader::Journaled::operator==(const Journaled& o) const
{
    const bool same_agreement =
        agreement.has_value() == o.agreement.has_value() &&
        (!agreement ||
         (agreement->topology_digest == o.agreement->topology_digest && agreement->plan_digest == o.agreement->plan_digest &&
          agreement->package_digest == o.agreement->package_digest && agreement->key_id == o.agreement->key_id &&
          agreement->at_ms == o.agreement->at_ms));
    // A target ordered for the first time has no record yet: it is the pending target the journal implies.
    auto same_targets = [](const std::map<TargetKey, Target>& a, const std::map<TargetKey, Target>& b) {
        const Target none;
        for (const auto& [key, t] : a)
            if (auto it = b.find(key); it == b.end() ? !(t == none) : !(t == it->second))
                return false;
        for (const auto& [key, t] : b)
            if (!a.count(key) && !(t == none))
                return false;
        return true;
    };
    return epoch == o.epoch && same_agreement && progress == o.progress && hold == o.hold && phase == o.phase &&
           same_targets(targets, o.targets) && approved == o.approved && accepted == o.accepted &&
           downtime_end_ms == o.downtime_end_ms && timeline == o.timeline && dropped == o.dropped;
}

Leader::Leader(const NodeSetup& setup, Outbox& out, const Worker& own) : setup_(setup), out_(out), own_(own)
{
    for (const auto& server : setup_.topology.servers)
        members_[server.name].server = &server;
    // auto_start is the operator's start given in the config; a rehearsal changes nothing and needs none.
    journal_.progress = setup_.config.upgrade.auto_start || setup_.mode().starts_itself() ? P::starting : P::joining;
}

void Leader::go(On on)
{
    if (on == On::pause || on == On::resume)
        chu::go(out_, hold_moves, hold_names, journal_.hold, on);
    else
        chu::go(out_, progress_moves, progress_names, journal_.progress, on);
}

void Leader::go(Target& target, On on)
{
    chu::go(out_, target_moves, target_names, target.state, on);
}

std::set<std::string> Leader::all_moves()
{
    auto out = move_names(progress_moves, progress_names);
    out.merge(move_names(hold_moves, hold_names));
    out.merge(move_names(target_moves, target_names));
    return out;
}

// ---------------------------------------------------------------- the journal

void Leader::apply(const Record& record)
{
    std::visit(Overloaded{
                   [&](const EpochRecord& e) { journal_.epoch = std::max(journal_.epoch, e.epoch); },
                   [&](const JoinedRecord& j) {
                       journal_.agreement = j;
                       go(On::joined);
                   },
                   [&](const ReportRecord& r) { apply_report(r); },
                   [&](const PhaseRecord& p) { apply_phase(p); },
                   [&](const DecisionRecord& d) { apply_decision(d); },
                   [](const StartedRecord&) {},  // the worker's
                   [](const FinishedRecord&) {},
                   [](const DroppedRecord&) {},
               },
               record);
}

void Leader::apply_report(const ReportRecord& r)
{
    journal_.timeline.push_back(r);
    Target& t = journal_.targets[{r.node, {r.phase, r.step}}];
    if (r.round != t.round)
        return;  // kept for the timeline; the operator's retry made a newer round
    const Step& step = step_at(setup_.plan, {r.phase, r.step});
    // A may_fail step's failure passes its barrier: the plan answers it with its `when = failed:` steps.
    go(t, succeeded(r.end.outcome) || step.may_fail ? On::passed : On::failed);
    t.end = r.end;
    t.reported = journal_.timeline.size();
    if (phase_at(setup_.plan, r.phase).downtime_begins && (downtime_begin_ms_ == 0 || r.started_ms < downtime_begin_ms_))
        downtime_begin_ms_ = r.started_ms;
}

void Leader::apply_phase(const PhaseRecord& p)
{
    journal_.phase = std::max(journal_.phase, p.phase + 1);
    step_ = 0;
    if (phase_at(setup_.plan, p.phase).downtime_ends)
        journal_.downtime_end_ms = p.at_ms;
    if (!current_phase() && journal_.progress == P::running)
        go(On::all_passed);
}

void Leader::apply_decision(const DecisionRecord& d)
{
    const StepRef ref{d.phase, d.step};
    switch (d.op) {
    case Op::start: go(On::start); break;
    case Op::pause: go(On::pause); break;
    case Op::resume: go(On::resume); break;
    case Op::abort: go(On::abort); break;
    case Op::approve: journal_.approved.insert(ref); break;
    case Op::drop: journal_.dropped[d.node] = d; break;
    case Op::interrupt:  // replayed, the target may have no record yet: its order's sending is not journaled
        if (Target& t = journal_.targets[{d.node, ref}]; t.round == d.round)
            t.interrupt = true;
        break;
    case Op::retry: {
        Target& t = journal_.targets[{d.node, ref}];
        go(t, On::reset);
        t = Target{};
        t.round = d.round;
        break;
    }
    case Op::skip:
        if (d.node.empty()) {
            journal_.accepted.insert(ref);  // the operator accepts the nodes' disagreement
        } else if (Target& t = journal_.targets[{d.node, ref}]; t.state != T::done) {
            go(t, On::reset);
            t = Target{};
            t.round = d.round;
            t.skip = true;
        }
        break;
    }
}

// ---------------------------------------------------------------- start and join

void Leader::start(std::int64_t now)
{
    out_.record(EpochRecord{journal_.epoch + 1});
    out_.log(Log::Level::info, "leading the cluster as " + setup_.node + ", epoch " + std::to_string(journal_.epoch));
    // A finished or aborted upgrade stays so, and says it again at every start: whatever the run that ended
    // it did not get to do (the node's marker) is done.
    if (journal_.progress == P::complete || journal_.progress == P::aborted) {
        const bool aborted = journal_.progress == P::aborted;
        out_.completed(aborted ? State::aborted : finished(), aborted ? "the upgrade was aborted" : finished_text());
    } else if (journal_.agreement) {
        out_.log(Log::Level::info, "resuming at phase " + std::to_string(journal_.phase) + " (" + current_phase()->title + ")");
    }
    (void)now;
}

std::string Leader::refusal_of(const Presence& h) const
{
    const bool agreed = journal_.agreement.has_value();
    const std::string& topo = agreed ? journal_.agreement->topology_digest : setup_.topology_digest;
    const std::string& plan = agreed ? journal_.agreement->plan_digest : setup_.plan_digest;
    const std::string& pkg = agreed ? journal_.agreement->package_digest : setup_.package_digest;
    const std::string& key = agreed ? journal_.agreement->key_id : setup_.key_id;
    if (h.version != setup_.version)
        return "it runs chef-ha-upgrade " + h.version + ", the leader " + setup_.version + " (peer protocol " +
               std::to_string(wire_protocol_version) + ", journal format " + std::to_string(journal_format_version) +
               "): install the same chef-ha-upgrade on every node";
    if (h.topology_digest != topo)
        return "its topology (" + setup_.topology.file + ") differs from the leader's: copy the bootstrap's file to it";
    if (is_rehearsal_name(h.plan_name) != setup_.mode().rehearsal)
        return setup_.mode().rehearsal ? "it runs the upgrade, and the leader a preflight rehearsal: stop chef-ha-upgrade there "
                                         "until the rehearsal is over, or start chef-ha-upgrade on every node"
                                       : "it runs a preflight rehearsal, and the leader the upgrade: stop "
                                         "chef-ha-upgrade-preflight there and start chef-ha-upgrade";
    if (h.plan_name != setup_.plan.name || h.plan_digest != plan)
        return "its plan (" + h.plan_name + ", add-ons included) differs from the leader's (" + setup_.plan.name +
               "): use the same [upgrade] plan and addons on every node";
    if (h.key_id != key)
        return "its cluster key differs from the leader's: give every node the same private-chef-secrets.json or key_file";
    if (!setup_.mode().compares_packages())
        return {};  // a rehearsal compares the packages as one of its checks (same-package)
    if (h.package_digest.empty())
        return "it has no readable package: set [upgrade] package to the Chef Server package on that node";
    if (h.package_digest != pkg)
        return "its package (sha256 " + h.package_digest.substr(0, 12) + "…) differs from the leader's (" + pkg.substr(0, 12) +
               "…): put the same package on every node";
    return {};
}

void Leader::on_presence(const std::string& from, const Presence& h, std::int64_t now)
{
    Member& m = members_[from];
    m.presence = h;
    m.heard_ms = now;
    if (dropped(from)) {  // told so by every beat, whatever it agrees to
        if (m.refusal.empty())
            out_.log(Log::Level::warning, "node " + from + " is back, but the operator dropped it: it is told to stop");
        m.refusal = "the operator dropped it from the upgrade: it runs nothing more";
        return;
    }
    const std::string why = refusal_of(h);
    if (why == m.refusal)
        return;
    m.refusal = why;
    if (!why.empty())
        out_.log(Log::Level::error, "node " + from + " refused at join: " + why);
    else
        out_.log(Log::Level::info, "node " + from + " joined");
}

void Leader::check_join(std::int64_t now)
{
    for (const auto& [name, m] : members_)
        if (name != setup_.node && !dropped(name) && (m.heard_ms == 0 || !m.refusal.empty()))
            return;
    if (setup_.package_digest.empty() && setup_.mode().compares_packages())
        return;  // said by problem(): the leader has no package
    out_.record(JoinedRecord{setup_.topology_digest, setup_.plan_digest, setup_.package_digest, setup_.key_id, now});
    out_.log(Log::Level::info,
             "every node joined (" + std::to_string(members_.size()) + " nodes agree on topology, plan " + setup_.plan.name +
                 ", package and key)",
             0);
}

// ---------------------------------------------------------------- reports and archives

void Leader::on_report(const std::string& from, const Report& r, std::int64_t now)
{
    if (r.epoch != journal_.epoch || StepRef{r.phase, r.step} != here())
        return;  // stale: older epochs are re-ordered, older steps are finished
    const Target* t = target(from, here());
    if (!t || t->round != r.round || t->state == T::done || t->state == T::failed || dropped(from))
        return;
    out_.record(ReportRecord{from, r.phase, r.step, r.round, r.end, r.started_ms, r.finished_ms});
    const Step& step = *current_step();
    if (!succeeded(r.end.outcome) && !setup_.mode().holds_on_problems())
        out_.log(Log::Level::warning, "rehearsal: node " + from + ", check " + step.id + " found a problem: " + r.end.detail,
                 r.phase);
    else if (!succeeded(r.end.outcome) && step.may_fail)
        out_.log(Log::Level::warning,
                 "node " + from + ", step " + describe_step(here()) +
                     " failed; the plan answers it with the steps for its failure: " + r.end.detail,
                 r.phase);
    else if (!succeeded(r.end.outcome))
        out_.log(Log::Level::error, problem(), r.phase);
    (void)now;
}

void Leader::on_fetch(const std::string& from, const Fetch& f)
{
    if (journal_.progress == P::aborted || !archive_ || archive_->ref != StepRef{f.phase, f.step} || archive_->bytes.empty() ||
        f.offset > archive_->bytes.size())
        return;
    const std::size_t n = std::min<std::size_t>(chunk_size, archive_->bytes.size() - f.offset);
    out_.send(from, Chunk{journal_.epoch, f.phase, f.step, f.offset, archive_->bytes.substr(f.offset, n)});
}

std::string Leader::copy_source(const Step& step) const
{
    if (step.copy_from == CopySource::bootstrap)
        return setup_.node;
    for (const auto& server : setup_.topology.servers)
        if (server.role == Role::frontend && !dropped(server.name))
            return server.name;
    return {};
}

void Leader::ask_source(std::int64_t now)
{
    archive_->asked_ms = now;
    const StepRef ref = archive_->ref;
    if (!archive_->packed)
        out_.send(archive_->source, Pack{journal_.epoch, ref.phase, ref.step});
    else
        out_.send(archive_->source, Fetch{journal_.epoch, ref.phase, ref.step, archive_->incoming.size()});
}

void Leader::on_packed(const std::string& from, const Packed& p, std::int64_t now)
{
    if (!archive_ || archive_->source != from || archive_->ref != StepRef{p.phase, p.step} || p.epoch != journal_.epoch ||
        archive_->packed || !archive_->bytes.empty())
        return;
    if (!p.problem.empty() || p.size == 0) {
        const std::string problem = from + " could not pack " + step_at(setup_.plan, archive_->ref).copy + ": " +
                                    (p.problem.empty() ? std::string("it is empty") : p.problem);
        if (problem != archive_->problem)  // asked again every beat: said once until it changes
            out_.log(Log::Level::error, problem + " (asked again)", p.phase);
        archive_->problem = problem;
        return;  // Pack goes out again at the next beat
    }
    archive_->problem.clear();
    archive_->packed = true;
    archive_->size = p.size;
    archive_->digest = p.digest;
    archive_->incoming.clear();
    ask_source(now);
}

void Leader::on_chunk(const std::string& from, const Chunk& c, std::int64_t now)
{
    if (!archive_ || archive_->source != from || archive_->ref != StepRef{c.phase, c.step} || c.epoch != journal_.epoch ||
        !archive_->packed || !archive_->bytes.empty() || c.offset != archive_->incoming.size() || c.data.empty() ||
        archive_->incoming.size() + c.data.size() > archive_->size)
        return;  // a duplicate or a late piece: the next Fetch asks again
    archive_->incoming += c.data;
    if (archive_->incoming.size() < archive_->size) {
        ask_source(now);
        return;
    }
    if (archive_digest(archive_->incoming) != archive_->digest) {
        out_.log(Log::Level::error, "the archive relayed from " + from + " does not match its digest: asking again", c.phase);
        archive_->packed = false;
        archive_->incoming.clear();
        return;
    }
    archive_->bytes = std::move(archive_->incoming);
    archive_->incoming.clear();
    out_.log(Log::Level::info,
             "relaying the archive of " + step_at(setup_.plan, archive_->ref).id + " from " + from + " (" +
                 std::to_string(archive_->bytes.size()) + " bytes)",
             c.phase);
    advance(now);
}

void Leader::on_archive(StepRef ref, const Result<std::string>& archive, std::int64_t now)
{
    if (!archive_ || archive_->ref != ref)
        return;
    archive_->requested = false;
    if (!archive) {
        archive_->problem = "the bootstrap could not pack " + step_at(setup_.plan, ref).copy + ": " + archive.error().message;
        out_.log(Log::Level::error, archive_->problem, ref.phase);
        return;  // asked again at the next advance
    }
    archive_->problem.clear();
    archive_->bytes = archive.value();
    archive_->digest = archive_digest(archive_->bytes);
    advance(now);
}

// ---------------------------------------------------------------- walking the plan

std::vector<std::string> Leader::targets_of(const Step& step) const
{
    std::vector<std::string> out;
    const Topology& t = setup_.topology;
    if (runs_on(step, Role::bootstrap))
        out.push_back(t.bootstrap().name);
    if (runs_on(step, Role::secondary))
        out.push_back(t.secondary().name);
    if (runs_on(step, Role::frontend))
        for (const auto* f : t.frontends())
            if (!dropped(f->name))
                out.push_back(f->name);
    return out;
}

Leader::Target* Leader::target(const std::string& node, StepRef ref)
{
    auto it = journal_.targets.find({node, ref});
    return it == journal_.targets.end() ? nullptr : &it->second;
}

const Leader::Target* Leader::target(const std::string& node, StepRef ref) const
{
    auto it = journal_.targets.find({node, ref});
    return it == journal_.targets.end() ? nullptr : &it->second;
}

bool Leader::condition_holds(const Condition& when) const
{
    switch (when.kind) {
    case Condition::Kind::always: return true;
    case Condition::Kind::failed: {
        // The may_fail step earlier in this phase failed on one of its nodes.
        const Step& earlier = step_at(setup_.plan, {journal_.phase, when.step_index});
        for (const auto& n : targets_of(earlier))
            if (const Target* t = target(n, {journal_.phase, when.step_index});
                t && t->state == T::done && !succeeded(t->end.outcome))
                return true;
        return false;
    }
    case Condition::Kind::bootstrap_not_master:
        // The latest keepalived-status the bootstrap reported in this phase.
        for (std::int32_t s = step_ - 1; s >= 0; --s) {
            const Step& st = step_at(setup_.plan, {journal_.phase, s});
            if (st.kind != StepKind::check || st.check != Check::keepalived_status)
                continue;
            const Target* t = target(setup_.topology.bootstrap().name, {journal_.phase, s});
            return !t || t->end.value != "master";
        }
        return true;
    }
    return false;
}

bool Leader::disagree(const Step& step) const
{
    if (step.agree == Agreement::none || journal_.accepted.count(here()))
        return false;
    std::multiset<std::string> values;
    for (const auto& n : targets_of(step))
        values.insert(target(n, here())->end.value);
    return !values_agree(step.agree, values);
}

Leader::Barrier Leader::barrier(const Step& step) const
{
    if (step.kind == StepKind::gate)
        return journal_.approved.count(here()) || setup_.config.upgrade.cleanup == CleanupMode::automatic
                   ? Barrier::passed
                   : Barrier::awaiting_approval;
    bool all_done = true;
    for (const auto& n : targets_of(step)) {
        const Target* t = target(n, here());
        if (t && t->state == T::failed)
            return Barrier::failed;
        all_done = all_done && t && t->state == T::done;
    }
    if (all_done)  // a rehearsal holds for nothing: a disagreement is one of its results
        return disagree(step) && setup_.mode().holds_on_problems() ? Barrier::disagreed : Barrier::passed;
    if (step.kind == StepKind::copy && (!archive_ || archive_->ref != here() || archive_->bytes.empty()))
        return Barrier::packing;
    return Barrier::open;
}

void Leader::advance(std::int64_t now)
{
    if (journal_.progress == P::joining || journal_.progress == P::starting)
        check_join(now);
    if (journal_.progress != P::running)
        return;
    while (const Phase* ph = current_phase()) {
        const Step* st = current_step();
        if (!st) {
            out_.log(Log::Level::info, "phase " + std::to_string(journal_.phase) + " (" + ph->title + ") complete on every node",
                     journal_.phase);
            out_.record(PhaseRecord{journal_.phase, now});
            continue;
        }
        if (!condition_holds(st->when)) {
            ++step_;
            continue;
        }
        switch (barrier(*st)) {
        case Barrier::passed: ++step_; continue;
        case Barrier::failed:
        case Barrier::awaiting_approval: return;
        case Barrier::disagreed:
            if (disagreement_said_ != here()) {
                disagreement_said_ = here();
                out_.log(Log::Level::error, disagreement_text(*st), journal_.phase, st->id);
            }
            return;
        case Barrier::packing:
            if (!archive_ || archive_->ref != here() || (archive_->bytes.empty() && dropped(archive_->source))) {
                archive_ = Archive{};
                archive_->ref = here();
                archive_->source = copy_source(*st);
            }
            if (archive_->source != setup_.node) {  // relayed: asked here, and again at each beat
                if (!archive_->requested && !archive_->source.empty()) {
                    archive_->requested = true;
                    ask_source(now);
                }
                return;
            }
            if (!archive_->requested) {
                archive_->requested = true;
                auto dir = resolve_action(*st, setup_.config, setup_.plan, setup_.facts);
                out_.push(PackArchive{journal_.phase, step_, st->id, dir ? dir->dir : st->copy});
            }
            return;
        case Barrier::open:
            if (journal_.hold == H::released)
                order_pending(*st, now);
            return;
        }
    }
    out_.log(Log::Level::info, finished_text());
    out_.completed(finished(), finished_text());
}

// Orders the step's pending nodes: backends one at a time (bootstrap first) where the plan says so, then
// frontends at most max_parallel at a time.
void Leader::order_pending(const Step& st, std::int64_t now)
{
    const auto nodes = targets_of(st);
    unsigned frontends_in_flight = 0;
    for (const auto& n : nodes)
        if (const Target* t = target(n, here()); t && t->state == T::ordered && members_.at(n).server->role == Role::frontend)
            ++frontends_in_flight;
    const unsigned limit = setup_.config.upgrade.max_parallel;
    bool backend_pending = false;
    for (const auto& n : nodes) {
        Target& t = journal_.targets[{n, here()}];
        const Role role = members_.at(n).server->role;
        if (st.order == NodeOrder::backends_serial) {
            if (role != Role::frontend) {
                if (backend_pending)
                    continue;  // one backend at a time, bootstrap first
                backend_pending = t.state != T::done;
            } else if (backend_pending) {
                continue;  // frontends after both backends
            }
        }
        if (t.state != T::pending || !members_.at(n).refusal.empty())
            continue;
        if (role == Role::frontend) {
            if (limit != 0 && frontends_in_flight >= limit)
                continue;
            ++frontends_in_flight;
        }
        if (current_phase()->downtime_begins && downtime_begin_ms_ == 0)
            downtime_begin_ms_ = now;
        order(n, here(), t, now);
    }
}

void Leader::order(const std::string& node, StepRef ref, Target& target, std::int64_t now)
{
    Order o{journal_.epoch, ref.phase, ref.step, target.round, {}, 0, target.skip, target.interrupt};
    if (archive_ && archive_->ref == ref) {
        o.archive_digest = archive_->digest;
        o.archive_size = archive_->bytes.size();
    }
    go(target, On::ordered);
    target.sent_ms = now;
    out_.send(node, o);
}

void Leader::on_tick(std::int64_t now, bool beat_due)
{
    notice_losses(now);
    if (!beat_due)
        return;
    NodeStatus mine;
    fill_status(mine, now);
    Beat beat{journal_.epoch,
              static_cast<std::uint8_t>(mine.state),
              journal_.phase,
              step_,
              mine.progress,
              mine.last_error,
              mine.downtime_begin_ms,
              mine.downtime_end_ms,
              {},
              mine.peers,
              mine.downtime_expected_end_ms};
    for (const auto& [name, member] : members_) {
        if (name == setup_.node)
            continue;
        Beat b = beat;
        b.refusal = member.refusal;
        out_.send(name, std::move(b));
    }
    if (journal_.progress == P::aborted)
        return;  // no order goes out after an abort
    if (archive_ && archive_->requested && archive_->source != setup_.node && archive_->bytes.empty() &&
        now - archive_->asked_ms >= setup_.config.cluster.heartbeat_ms)
        ask_source(now);  // a relayed archive's Pack or Fetch may have been lost
    // Orders are re-sent until answered: the network may have lost them.
    for (auto& [key, t] : journal_.targets)
        if (t.state == T::ordered && key.first != setup_.node && !dropped(key.first) &&
            now - t.sent_ms >= setup_.config.cluster.heartbeat_ms)
            order(key.first, key.second, t, now);
}

// Peers that fall silent (or come back) are said once, when it happens.
void Leader::notice_losses(std::int64_t now)
{
    for (auto& [name, m] : members_) {
        if (name == setup_.node || m.heard_ms == 0 || dropped(name))
            continue;
        const bool lost = now - m.heard_ms > setup_.config.cluster.peer_timeout_ms;
        if (lost == m.lost)
            continue;
        m.lost = lost;
        const std::string gone =
            m.server->role == Role::frontend ? "; if it is gone for good: chef-ha-upgrade-ctl drop " + name : std::string();
        if (lost)
            out_.log(Log::Level::warning, "node " + name + " is not reachable (last heard " +
                                              std::to_string((now - m.heard_ms) / 1000) + " s ago); waiting for it" + gone);
        else
            out_.log(Log::Level::info, "node " + name + " is back");
    }
}

// ---------------------------------------------------------------- the operator's decisions

Answer Leader::decide(const Command& call, std::int64_t now)
{
    const Op op = call.op;
    auto no = [](std::string why) { return Answer{0, false, std::move(why)}; };
    auto decided = [&](DecisionRecord d, std::string text) {
        d.op = op;
        d.at_ms = now;
        out_.record(d);
        out_.log(Log::Level::info, "operator: " + text);
        return Answer{0, true, std::move(text)};
    };
    if (journal_.progress == P::complete || journal_.progress == P::aborted)
        return no(std::string("the upgrade is over (") + state_name(state(now)) + "); nothing to " + op_name(op));
    switch (op) {
    case Op::start:
        if (journal_.progress == P::starting || journal_.progress == P::running)
            return no("the upgrade has already started");
        return decided({}, "start");
    case Op::pause:
        if (journal_.hold == H::paused)
            return no("already paused");
        return decided({}, "paused: running steps finish, no new step starts");
    case Op::resume:
        if (journal_.hold == H::released)
            return no("not paused");
        return decided({}, "resumed");
    case Op::retry:
    case Op::skip: return retry_or_skip(op, call.force, now);
    case Op::abort: {
        const std::string phase = std::to_string(journal_.phase);
        Answer a = decided({}, "abort: no further step starts on any node");
        out_.completed(State::aborted, "aborted by the operator at phase " + phase);
        return a;
    }
    case Op::interrupt: return interrupt_stalled(now);
    case Op::approve: return approve(now);
    case Op::drop: return drop(call, now);
    }
    return no("unknown decision");
}

Answer Leader::retry_or_skip(Op op, bool force, std::int64_t now)
{
    const Step* st = journal_.progress == P::running ? current_step() : nullptr;
    auto failed = failed_here();
    const bool disagreement = st && failed.empty() && barrier(*st) == Barrier::disagreed;
    if (failed.empty() && !disagreement)
        return Answer{0, false, std::string("nothing to ") + op_name(op) + ": no step has failed"};
    if (op == Op::skip && !force && st && !st->skip_risk.empty())
        return Answer{0, false,
                      "skipping step " + st->id + " risks this: " + st->skip_risk +
                          ". Fix it and retry; to skip it all the same: chef-ha-upgrade-ctl skip --force"};
    if (disagreement && op == Op::skip) {  // skip accepts it; retry re-runs the check everywhere
        out_.record(DecisionRecord{Op::skip, "", journal_.phase, step_, 0, now});
        const std::string what = "skip the disagreement in step " + st->id;
        out_.log(Log::Level::info, "operator: " + what);
        return Answer{0, true, what};
    }
    if (disagreement)
        for (const auto& n : targets_of(*st))
            failed.push_back({n, here()});
    std::vector<std::string> names;
    for (const auto& key : failed) {
        // A new round either way: the node answers an order of the old round from its journal (the failure).
        out_.record(DecisionRecord{op, key.first, journal_.phase, step_, journal_.targets[key].round + 1, now});
        names.push_back(key.first);
    }
    disagreement_said_.reset();
    const std::string what =
        std::string(op == Op::retry ? "retry" : "skip") + " step " + describe_step(here()) + " on " + join_names(names);
    out_.log(Log::Level::info, "operator: " + what);
    return Answer{0, true, what};
}

Answer Leader::interrupt_stalled(std::int64_t now)
{
    std::vector<std::string> names;
    for (auto& [key, t] : journal_.targets) {
        if (key.second != here() || t.state != T::ordered || t.interrupt || stalled_for(key.first, now) == 0)
            continue;
        out_.record(DecisionRecord{Op::interrupt, key.first, key.second.phase, key.second.step, t.round, now});
        order(key.first, key.second, t, now);
        names.push_back(key.first);
    }
    if (names.empty())
        return Answer{0, false, "no command is stalled (past its plan's timeout): interrupt ends only a stalled one"};
    const std::string what = "interrupt step " + describe_step(here()) + " on " + join_names(names) +
                             ": its command is ended and the step fails; then retry, skip or abort";
    out_.log(Log::Level::warning, "operator: " + what);
    return Answer{0, true, what};
}

Answer Leader::approve(std::int64_t now)
{
    const Step* st = journal_.progress == P::running ? current_step() : nullptr;
    if (!st || st->kind != StepKind::gate) {
        const Phase* ph = current_phase() ? current_phase() : &setup_.plan.phases.back();
        return Answer{0, false,
                      "nothing to approve yet: the cluster is at phase " + std::to_string(journal_.phase) + " (" + ph->title +
                          ")"};
    }
    out_.record(DecisionRecord{Op::approve, "", journal_.phase, step_, 0, now});
    out_.log(Log::Level::info, "operator: cleanup approved");
    return Answer{0, true, "cleanup approved"};
}

// A frontend gone for good holds every barrier: the operator takes it out of the upgrade (Chef rebuilds a
// frontend from /etc/opscode and the package). A backend cannot go: the procedure needs both.
Answer Leader::drop(const Command& call, std::int64_t now)
{
    auto no = [](std::string why) { return Answer{0, false, std::move(why)}; };
    const Server* server = setup_.topology.find(call.node);
    if (!server) {
        std::vector<std::string> names;
        for (const auto& s : setup_.topology.servers)
            names.push_back(s.name);
        return no("there is no node " + call.node + " in " + setup_.topology.file + " (" + join_names(names) + ")");
    }
    if (server->role != Role::frontend)
        return no(call.node + " is the " + role_name(server->role) +
                  " backend: the upgrade needs both backends (DRBD and keepalived fail over between them), so only a "
                  "frontend can be dropped. Bring it back, or abort");
    if (dropped(call.node))
        return no(call.node + " was dropped already");
    const Member& m = members_.at(call.node);
    const bool heard = m.heard_ms != 0 && now - m.heard_ms <= setup_.config.cluster.peer_timeout_ms;
    if (heard && !call.force)
        return no(call.node + " is heard from (last " + duration_text(now - m.heard_ms) +
                  " ago): drop only a frontend that is gone for good, or add --force (it then runs nothing more, and "
                  "its daemon stops)");
    if (heard && m.presence.running)
        return no(call.node + " runs step " + describe_step({m.presence.phase, m.presence.step}) +
                  " now: drop it once that ends, or interrupt it first");
    out_.record(DecisionRecord{Op::drop, call.node, journal_.phase, step_, 0, now});
    const std::string what = "dropped " + call.node +
                             " from the upgrade: no barrier waits for it from now on. Once the upgrade is complete, "
                             "rebuild it (README: Rebuild a dropped frontend)";
    out_.log(Log::Level::warning, "operator: " + what);
    return Answer{0, true, what};
}

std::vector<Leader::TargetKey> Leader::failed_here() const
{
    std::vector<TargetKey> out;
    for (const auto& [key, t] : journal_.targets)
        if (t.state == T::failed && key.second == here())
            out.push_back(key);
    return out;
}

}  // namespace chu
