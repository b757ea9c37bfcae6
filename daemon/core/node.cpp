#include "node.hpp"

#include "outlook.hpp"
#include "overloaded.hpp"

#include <algorithm>
#include <optional>

namespace chu {

namespace {

std::string record_name(const Record& record)
{
    return std::visit(
        [](const auto& r) -> std::string {
            using R = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<R, StartedRecord>)
                return "a start of step " + std::to_string(r.step) + " of phase " + std::to_string(r.phase);
            else if constexpr (std::is_same_v<R, FinishedRecord>)
                return "the end of step " + std::to_string(r.step) + " of phase " + std::to_string(r.phase);
            else if constexpr (std::is_same_v<R, ReportRecord>)
                return r.node + "'s report of step " + std::to_string(r.step) + " of phase " + std::to_string(r.phase);
            else if constexpr (std::is_same_v<R, PhaseRecord>)
                return "the end of phase " + std::to_string(r.phase);
            else if constexpr (std::is_same_v<R, DecisionRecord>)
                return r.op == Op::drop ? "the operator's drop of " + r.node
                                        : std::string("the operator's ") + op_name(r.op) + " of step " + std::to_string(r.step) +
                                              " of phase " + std::to_string(r.phase);
            else
                return "a record";
        },
        record);
}

// Whether a record still names what this node's plan and topology have; "" if so, else what is missing.
std::string misfit(const Record& record, const NodeSetup& s)
{
    auto step = [&](std::int32_t phase, std::int32_t step) { return phase > 0 && find_step(s.plan, {phase, step}); };
    auto node = [&](const std::string& name) { return s.topology.find(name) != nullptr; };
    if (const auto* r = std::get_if<StartedRecord>(&record))
        return step(r->phase, r->step) ? "" : "a step";
    if (const auto* r = std::get_if<FinishedRecord>(&record))
        return step(r->phase, r->step) ? "" : "a step";
    if (const auto* r = std::get_if<ReportRecord>(&record))
        return !node(r->node) ? "a node" : step(r->phase, r->step) ? "" : "a step";
    if (const auto* r = std::get_if<PhaseRecord>(&record))
        return find_phase(s.plan, r->phase) ? "" : "a phase";
    if (const auto* d = std::get_if<DecisionRecord>(&record)) {
        switch (d->op) {
        case Op::start:
        case Op::pause:
        case Op::resume:
        case Op::abort: return "";
        case Op::approve: {
            const Step* gate = find_step(s.plan, {d->phase, d->step});
            return gate && gate->kind == StepKind::gate ? "" : "an approval gate";
        }
        case Op::retry:
        case Op::skip:
        case Op::interrupt:
            if (!d->node.empty() && !node(d->node))
                return "a node";
            return step(d->phase, d->step) ? "" : "a step";
        case Op::drop: return node(d->node) ? "" : "a node";
        }
    }
    return "";
}

// What changed since the join, as this node's journal recorded the agreement; "" if nothing did.
std::string changed_input(const JoinedRecord& j, const NodeSetup& s)
{
    if (j.topology_digest != s.topology_digest)
        return "the topology (" + s.topology.file + ")";
    if (j.plan_digest != s.plan_digest)
        return "the plan (" + s.plan.name + ", from " + s.plan.file + ", with the [upgrade] addons)";
    if (j.package_digest != s.package_digest)
        return "the package (" + s.config.upgrade.package + ")";
    if (j.key_id != s.key_id)
        return "the cluster key";
    return {};
}

// A journal this node's inputs no longer fit is refused whole, before anything of it is applied: acting on
// part of it would run steps out of order.
Status check_journal(const std::vector<Record>& journal, const NodeSetup& s)
{
    const std::string where = s.config.paths.state_dir + "/journal";
    const std::string fix =
        ": restore what was agreed (the journal records the cluster's join), then start chef-ha-upgrade again";
    for (std::size_t i = 0; i < journal.size(); ++i) {
        if (const auto* j = std::get_if<JoinedRecord>(&journal[i])) {
            if (const std::string what = changed_input(*j, s); !what.empty())
                return Error{"inputs changed: " + what + " differs from what the cluster agreed at its join (" + where +
                                 ", record " + std::to_string(i + 1) + ")" + fix,
                             ErrorKind::config};
        } else if (const std::string what = misfit(journal[i], s); !what.empty()) {
            return Error{"inputs changed: " + where + ", record " + std::to_string(i + 1) + " (" + record_name(journal[i]) +
                             ") names " + what + " that plan " + s.plan.name + " and topology " + s.topology.file +
                             " do not have" + fix,
                         ErrorKind::config};
        }
    }
    return Ok{};
}

// A format-1 journal's approval named no gate; the plans of that format each had one, the one approved.
void name_unnamed_gates(std::vector<Record>& journal, const Plan& plan)
{
    std::optional<StepRef> gate;
    for (std::size_t p = 0; p < plan.phases.size() && !gate; ++p)
        for (std::size_t i = 0; i < plan.phases[p].steps.size() && !gate; ++i)
            if (plan.phases[p].steps[i].kind == StepKind::gate)
                gate = StepRef{static_cast<std::int32_t>(p), static_cast<std::int32_t>(i)};
    for (auto& record : journal)
        if (auto* d = std::get_if<DecisionRecord>(&record);
            gate && d && d->op == Op::approve && d->phase == approval_gate_unnamed) {
            d->phase = gate->phase;
            d->step = gate->step;
        }
}

}  // namespace

Node::Node(NodeSetup setup)
    : setup_(std::move(setup)), out_(setup_.node, setup_.mode().keeps_underway(), [this](const Record& r) { apply(r); }),
      worker_(setup_, out_), source_(setup_, out_), events_(setup_)
{
    if (setup_.topology.at(setup_.node).role == Role::bootstrap)
        leader_.emplace(setup_, out_, worker_);
}

// ---------------------------------------------------------------- the journal

void Node::apply(const Record& record)
{
    worker_.apply(record);
    if (leader_)
        leader_->apply(record);
}

Status Node::restore(std::vector<Record> journal)
{
    name_unnamed_gates(journal, setup_.plan);
    if (auto fits = check_journal(journal, setup_); !fits)
        return fits;
    for (const auto& record : journal)
        apply(record);
    return Ok{};
}

void Node::start(std::int64_t now)
{
    if (leader_)
        leader_->start(now);
    else if (worker_.dropped())
        worker_.say_dropped();
    else
        out_.log(Log::Level::info, "following the leader " + leader_name());
    next_beat_ = now;
    on_tick(now);
}

// Every input marks its time; the events it caused are noticed once the effects it decided are taken.
void Node::heard(std::int64_t now)
{
    heard_ms_ = now;
    noticed_ = false;
}

std::vector<Effect> Node::take_effects()
{
    if (out_.empty() && !noticed_)
        notice();
    return out_.take_effects();
}

// The events between this node's status after the last input and the one before. Every node derives them
// from its own status, because a follower knows the cluster only through the leader's beats: `ctl events`
// then reads alike on every node. The leader of an upgrade runs the hooks, once per event for the cluster.
void Node::notice()
{
    noticed_ = true;
    for (Event& e : events_.next(seen(heard_ms_, Leader::View::events), heard_ms_))
        out_.push(Notify{std::move(e), runs_hooks()});
}

Status Node::boot(const std::vector<Record>& journal, std::int64_t now)
{
    auto restored = restore(journal);
    if (restored)
        start(now);
    return restored;
}

Node::Journaled Node::journaled() const
{
    Journaled j{worker_.journaled(), std::nullopt};
    if (leader_)
        j.leader = leader_->journaled();
    return j;
}

const std::vector<ReportRecord>& Node::timeline() const
{
    static const std::vector<ReportRecord> none;
    return leader_ ? leader_->journaled().timeline : none;
}

const std::map<std::string, DecisionRecord>& Node::drops() const
{
    static const std::map<std::string, DecisionRecord> none;
    return leader_ ? leader_->journaled().dropped : none;
}

std::vector<PreflightResult> Node::preflight() const
{
    return leader_ && setup_.mode().rehearsal ? leader_->preflight() : std::vector<PreflightResult>{};
}

// ---------------------------------------------------------------- events

void Node::on_message(const Envelope& envelope, std::int64_t now)
{
    heard(now);
    if (!setup_.topology.find(envelope.from) || envelope.from == setup_.node) {
        out_.log(Log::Level::warning,
                 "dropped a message from \"" + envelope.from + "\", which is not a peer in " + setup_.topology.file);
        return;
    }
    route(envelope.from, envelope.message, now);
    settle(now);
}

// Leader-bound messages go to the leader (if this node is it); leader-sent ones to the worker, from the leader only.
void Node::route(const std::string& from, const Message& message, std::int64_t now)
{
    const bool from_leader = from == leader_name();
    std::visit(Overloaded{
                   [&](const Presence& m) {
                       if (leader_)
                           leader_->on_presence(from, m, now);
                   },
                   [&](const Report& m) {
                       if (leader_)
                           leader_->on_report(from, m, now);
                   },
                   [&](const Packed& m) {
                       if (leader_)
                           leader_->on_packed(from, m, now);
                   },
                   [&](const Command& m) {
                       if (!leader_)
                           return;
                       const Answer a = leader_->decide(m, now);
                       out_.send(from, Reply{m.id, a.ok, a.text});
                   },
                   [&](const Fetch& m) {
                       if (leader_)
                           leader_->on_fetch(from, m);
                       else if (from_leader)
                           source_.on_fetch(m);  // the leader relays this frontend's archive
                   },
                   [&](const Chunk& m) {
                       if (leader_)
                           leader_->on_chunk(from, m, now);
                       else if (from_leader)
                           worker_.on_chunk(m, now);
                   },
                   [&](const Beat& m) {
                       if (from_leader)
                           worker_.on_beat(m, now);
                   },
                   [&](const Order& m) {
                       if (from_leader)
                           worker_.on_order(m, now);
                   },
                   [&](const Pack& m) {
                       if (from_leader)
                           source_.on_pack(m);
                   },
                   [&](const Reply& m) {
                       if (from_leader)
                           worker_.on_reply(m);
                   },
                   [](const PartFetch&) {},  // support bundles travel beside the upgrade (daemon/bundle), never here
                   [](const PartChunk&) {},
               },
               message);
}

// After every event: the leader walks on as far as it can, and what this node sent itself is delivered.
void Node::settle(std::int64_t now)
{
    for (;;) {
        if (leader_)
            leader_->advance(now);
        auto local = out_.take_local();
        if (local.empty())
            return;
        for (const auto& m : local)
            route(setup_.node, m, now);
    }
}

void Node::on_step_finished(const StepResult& result, std::int64_t now)
{
    heard(now);
    worker_.on_step_finished(result, now);
    settle(now);
}

void Node::on_archive(std::int32_t phase, std::int32_t step, const Result<std::string>& archive, std::int64_t now)
{
    heard(now);
    if (leader_)
        leader_->on_archive({phase, step}, archive, now);
    source_.on_archive({phase, step}, archive);
    settle(now);
}

void Node::on_operator(const Command& call, std::int64_t now)
{
    heard(now);
    if (!leader_) {
        worker_.forward(call, now);
        return;
    }
    Answer a = leader_->decide(call, now);
    a.id = call.id;
    out_.push(a);
    settle(now);
}

void Node::on_tick(std::int64_t now)
{
    heard(now);
    const bool beat_due = now >= next_beat_;
    if (beat_due)
        next_beat_ = now + setup_.config.cluster.heartbeat_ms;
    worker_.on_tick(now, beat_due);
    if (leader_)
        leader_->on_tick(now, beat_due);
    settle(now);
}

std::int64_t Node::next_deadline() const
{
    return worker_.next_deadline(next_beat_);
}

// ---------------------------------------------------------------- status

// A follower's view is the leader's latest beat; the leader it no longer hears shows as lost, as the leader
// shows a lost follower.
void Node::fill_follower(NodeStatus& st, std::int64_t now) const
{
    const Beat& cluster = worker_.cluster();
    st.epoch = worker_.epoch();
    st.leader_reachable = worker_.leader_reachable(now);
    st.state = worker_.leader_heard_ms() == 0 ? State::joining : static_cast<State>(cluster.state);
    st.phase = std::min(cluster.phase, st.phase_count - 1);
    st.progress = cluster.progress;
    st.last_error = !cluster.refusal.empty() ? "refused by the leader: " + cluster.refusal : cluster.last_error;
    st.downtime_begin_ms = cluster.downtime_begin_ms;
    st.downtime_end_ms = cluster.downtime_end_ms;
    st.downtime_expected_end_ms = cluster.downtime_expected_end_ms;
    st.peers = cluster.peers;
    if (!st.leader_reachable && worker_.leader_heard_ms() != 0) {
        st.last_error = "the leader " + leader_name() + " is not reachable (last heard " +
                        std::to_string((now - worker_.leader_heard_ms()) / 1000) + " s ago); holding";
        for (auto& p : st.peers)
            if (p.name == leader_name()) {
                p.state = static_cast<std::uint8_t>(State::lost);
                p.last_heard_ms = worker_.leader_heard_ms();
                p.running = false;  // not known any more
            }
    }
    if (worker_.dropped()) {
        st.state = State::dropped;
        st.last_error = worker_.dropped_text();
    }
}

// "chef-server-ctl upgrade", as this node would run the step (the cluster's nodes run the same Chef).
std::string Node::action_text(const Step& step) const
{
    auto action = resolve_action(step, setup_.config, setup_.plan, setup_.facts);
    return action ? describe(action.value()) : step.id;
}

// Every node's running step, in name order: this node's own from its worker, the others' as the leader last
// heard them.
std::vector<RunningStep> Node::running_steps(const NodeStatus& st, std::int64_t now) const
{
    std::vector<RunningStep> out;
    auto expected = [](const Step& step) { return static_cast<std::int64_t>(step.timeout_s) * 1000; };
    if (const auto ref = worker_.in_hand()) {
        const Step& step = step_at(setup_.plan, *ref);
        const auto ran = static_cast<std::int64_t>(worker_.presence(now).running_ms);
        out.push_back(
            {setup_.node, step.id, action_text(step), now - ran, expected(step), worker_.work() == Worker::Work::stalled});
    }
    for (const auto& p : st.peers) {
        const auto state = static_cast<State>(p.state);
        const Phase* phase = find_phase(setup_.plan, p.phase);
        if (p.name == setup_.node || !p.running || !phase)
            continue;
        for (const Step& step : phase->steps)
            if (step.id == p.step)
                out.push_back({p.name, step.id, action_text(step), p.started_ms, expected(step), state == State::stalled});
    }
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.node < b.node; });
    return out;
}

NodeStatus Node::status(std::int64_t now) const
{
    NodeStatus st = seen(now, Leader::View::full);
    const auto in_hand = worker_.in_hand();
    st.versions = version_change(setup_.facts);
    st.running = running_steps(st, now);
    if (in_hand) {
        st.step = worker_.running_text(now);
        st.attempt = worker_.attempt();
    } else if (const Step* s = find_step(setup_.plan, {st.phase, st.step_index})) {
        st.step = s->title.empty() ? s->id : s->title;
    }
    for (const auto& r : st.running)  // its own step's time (a stalled one says it already)
        st.step += r.node == setup_.node && !r.stalled ? ", " + time_text(r, now) : "";
    for (const auto& r : st.running)  // then every other node's step against its expectation
        st.step += r.node != setup_.node ? "; " + running_step_text(r, now) : "";
    st.next = next_action(st);
    return st;
}

// Where the cluster is, as this node sees it: what its events are judged on, and the rest of its status
// is built on.
NodeStatus Node::seen(std::int64_t now, Leader::View view) const
{
    NodeStatus st;
    st.node = setup_.node;
    st.role = setup_.topology.at(setup_.node).role;
    st.leader = leader_name();
    st.phase_count = static_cast<std::int32_t>(setup_.plan.phases.size());
    st.rehearsal = setup_.mode().rehearsal;
    std::int32_t& step = st.step_index;
    if (leader_) {
        st.epoch = leader_->epoch();
        leader_->fill_status(st, now, view);
        step = leader_->step();
    } else {
        fill_follower(st, now);
        step = worker_.cluster().step;
    }
    if (const Step* s = find_step(setup_.plan, {std::max(0, st.phase), step}))
        st.step_id = s->id;
    const auto in_hand = worker_.in_hand();
    if (in_hand && in_hand->phase > st.phase)
        st.phase = in_hand->phase;  // ordered into the next phase before the leader's next beat says so
    st.phase = std::max(0, st.phase);
    st.phase_name = phase_at(setup_.plan, st.phase).title;
    return st;
}

}  // namespace chu
