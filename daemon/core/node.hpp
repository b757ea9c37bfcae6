// The coordination core of one daemon: the worker every node has and, on the bootstrap, the leader that
// walks the plan through barriers. Node only routes events to them; it is driven by events in and produces
// effects out, with no I/O of its own.
#pragma once

#include "effects.hpp"
#include "events.hpp"
#include "leader.hpp"
#include "source_archive.hpp"
#include "outbox.hpp"
#include "setup.hpp"
#include "worker.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace chu {

class Node {
public:
    explicit Node(NodeSetup setup);
    Node(const Node&) = delete;  // its machines hold references into it
    Node& operator=(const Node&) = delete;

    // Applies this node's journal (already cut at its last good record), once it has checked that the
    // journal fits this node's inputs: one that names a phase or step the plan no longer has, or an
    // agreement the topology, plan, package or key no longer match, is refused (ErrorKind::config) and
    // nothing is applied.
    Status restore(std::vector<Record> journal);
    // After restore: a leader begins a new epoch; every node says where it is and acts.
    void start(std::int64_t now);
    Status boot(const std::vector<Record>& journal, std::int64_t now);

    void on_message(const Envelope& envelope, std::int64_t now);
    void on_step_finished(const StepResult& result, std::int64_t now);
    void on_archive(std::int32_t phase, std::int32_t step, const Result<std::string>& archive, std::int64_t now);
    void on_operator(const Command& call, std::int64_t now);  // call.id: the answer's
    void on_operator(std::uint64_t id, Op op, std::int64_t now) { on_operator(Command{id, op, {}, false}, now); }
    void on_tick(std::int64_t now);

    // When on_tick must be called next (absolute ms).
    std::int64_t next_deadline() const;
    // What the node decided since the last take, in order; once it has decided nothing more, the events its
    // status shows since the last take (Notify), then nothing.
    std::vector<Effect> take_effects();
    // Every event since this daemon started, oldest first (at most the last 10,000).
    const std::vector<Event>& events() const { return events_.history(); }
    NodeStatus status(std::int64_t now) const;
    // Leader: every result a node reported, in the order they came in (the upgrade's timeline).
    const std::vector<ReportRecord>& timeline() const;
    // Leader: the frontends the operator dropped, each with its decision (when, at which step).
    const std::map<std::string, DecisionRecord>& drops() const;
    // Leader of a rehearsal: every node's every check so far (empty elsewhere).
    std::vector<PreflightResult> preflight() const;

    bool is_leader() const { return leader_.has_value(); }
    // The leader of an upgrade runs the notification hooks (Notify::hook); a rehearsal notifies nobody.
    bool runs_hooks() const { return is_leader() && setup_.mode().runs_hooks(); }
    const std::string& name() const { return setup_.node; }
    const std::string& leader_name() const { return setup_.topology.bootstrap().name; }

    // What the journal holds for this node: the replay check compares it before a crash and after restore.
    struct Journaled {
        Worker::Journaled worker;
        std::optional<Leader::Journaled> leader;
        bool operator==(const Journaled& o) const { return worker == o.worker && leader == o.leader; }
    };
    Journaled journaled() const;
    Worker::Work work() const { return worker_.work(); }
    // Moves a state machine's table does not allow (bugs); the simulation fails on any.
    const std::vector<std::string>& bugs() const { return out_.bugs(); }
    const std::set<std::string>& moves() const { return out_.moves(); }

private:
    void apply(const Record& record);
    void route(const std::string& from, const Message& message, std::int64_t now);
    void settle(std::int64_t now);
    void heard(std::int64_t now);
    void notice();
    void fill_follower(NodeStatus& st, std::int64_t now) const;
    NodeStatus seen(std::int64_t now, Leader::View view) const;
    std::string action_text(const Step& step) const;
    std::vector<RunningStep> running_steps(const NodeStatus& st, std::int64_t now) const;

    NodeSetup setup_;
    Outbox out_;
    Worker worker_;
    SourceArchive source_;  // a frontend's part in a copy from a frontend
    std::optional<Leader> leader_;
    std::int64_t next_beat_ = 0;
    EventWatch events_;
    std::int64_t heard_ms_ = 0;  // the latest input's time: its events are stamped with it
    bool noticed_ = true;        // the events of the latest input are out
};

}  // namespace chu
