// The leader, on the bootstrap backend: the join barrier, then the plan walked step by step, each step a
// barrier that passes once every node it runs on has reported it; and the operator's decisions.
#pragma once

#include "outbox.hpp"
#include "rehearsal.hpp"
#include "setup.hpp"
#include "worker.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace chu {

struct NodeStatus;

class Leader {
public:
    // Where the upgrade is. Moves: see the tables in leader.cpp.
    enum class Progress {
        joining,   // waiting for every node to agree on topology, plan, package, key and version
        starting,  // started (by the operator or auto_start) before the join completed
        idle,      // joined, waiting for the operator's start
        running,   // walking the plan
        complete,  // every phase passed on every node
        aborted,   // the operator aborted: no further step starts
    };
    // The operator's pause, whatever the progress: running steps finish, no new step starts.
    enum class Hold { released, paused };
    // A node's part in one step.
    enum class TargetState { pending, ordered, done, failed };
    // What makes the leader's machines move (their tables are in leader.cpp).
    enum class On { start, joined, all_passed, abort, pause, resume, ordered, passed, failed, reset };
    // The current step's barrier, as its targets and the operator's decisions make it.
    enum class Barrier { open, packing, passed, failed, disagreed, awaiting_approval };

    struct Target {
        TargetState state = TargetState::pending;
        std::uint32_t round = 0;   // bumped by each operator retry or skip
        bool skip = false;         // the operator skipped it: order the node to record it as skipped
        bool interrupt = false;    // the operator ended it: order the node to stop its command
        StepOutcome end;           // as reported
        std::size_t reported = 0;  // its report's place in the timeline (1-based; 0: none)
        std::int64_t sent_ms = 0;
        bool operator==(const Target& o) const;  // what the journal holds: an order in flight is still pending
    };
    using TargetKey = std::pair<std::string, StepRef>;

    // What the journal holds for the leader, rebuilt by apply() alone.
    struct Journaled {
        std::uint64_t epoch = 0;
        std::optional<JoinedRecord> agreement;
        Progress progress = Progress::joining;
        Hold hold = Hold::released;
        std::int32_t phase = 1;  // the first phase not yet passed everywhere
        std::map<TargetKey, Target> targets;
        std::set<StepRef> approved;  // gates the operator approved
        std::set<StepRef> accepted;  // disagreements the operator skipped
        std::int64_t downtime_end_ms = 0;
        std::vector<ReportRecord> timeline;  // every result a node reported, in order
        // Frontends the operator dropped (gone for good), with the decision: no barrier waits for them.
        std::map<std::string, DecisionRecord> dropped;
        bool operator==(const Journaled& o) const;
    };

    Leader(const NodeSetup& setup, Outbox& out, const Worker& own);
    static std::set<std::string> all_moves();  // the tables, as Outbox::moves() names what was taken

    void apply(const Record& record);
    void start(std::int64_t now);  // after the journal is applied: a new epoch
    void on_presence(const std::string& from, const Presence& presence, std::int64_t now);
    void on_report(const std::string& from, const Report& report, std::int64_t now);
    void on_fetch(const std::string& from, const Fetch& fetch);
    void on_archive(StepRef ref, const Result<std::string>& archive, std::int64_t now);
    // A copy from a frontend: its source says what it packed, then sends it in chunks.
    void on_packed(const std::string& from, const Packed& packed, std::int64_t now);
    void on_chunk(const std::string& from, const Chunk& chunk, std::int64_t now);
    Answer decide(const Command& call, std::int64_t now);
    void on_tick(std::int64_t now, bool beat_due);
    void advance(std::int64_t now);

    const Journaled& journaled() const { return journal_; }
    std::uint64_t epoch() const { return journal_.epoch; }
    std::int32_t step() const { return step_; }
    State state(std::int64_t now) const;
    // `events`: only what the cluster's events are judged on (Node::notice, after every input); `full`:
    // what is shown as well (progress and the downtime's expected end weigh every step on every node).
    enum class View { events, full };
    void fill_status(NodeStatus& st, std::int64_t now, View view = View::full) const;
    // A rehearsal's result so far: every node's every check (see rehearsal.hpp).
    std::vector<PreflightResult> preflight() const;

private:
    struct Member {
        const Server* server = nullptr;
        Presence presence;
        std::int64_t heard_ms = 0;
        std::string refusal;  // why its Presence does not match the agreement
        bool lost = false;    // heard before, but not within peer_timeout_ms
    };
    struct Archive {  // a copy step's directory, packed on the leader or relayed from its source frontend
        StepRef ref;
        bool requested = false;
        std::string bytes;  // whole and verified: the step may be ordered
        std::string digest;
        std::string problem;   // why packing it failed; asked again
        std::string source;    // a frontend: what it packed comes in here, fetched chunk by chunk
        std::string incoming;  // ... until it is `size` bytes with `digest`
        std::uint64_t size = 0;
        bool packed = false;  // the source said what it packed
        std::int64_t asked_ms = 0;
    };
    std::string copy_source(const Step& step) const;  // the node a copy step's directory comes from
    void ask_source(std::int64_t now);                // Pack, or Fetch the next chunk, from the source

    void go(On on);  // progress, or hold for pause and resume
    void go(Target& target, On on);
    void apply_report(const ReportRecord& r);
    void apply_decision(const DecisionRecord& d);
    void apply_phase(const PhaseRecord& p);

    const Phase* current_phase() const { return find_phase(setup_.plan, journal_.phase); }
    const Step* current_step() const { return find_step(setup_.plan, {journal_.phase, step_}); }
    StepRef here() const { return {journal_.phase, step_}; }
    std::vector<std::string> targets_of(const Step& step) const;
    Target* target(const std::string& node, StepRef ref);
    const Target* target(const std::string& node, StepRef ref) const;
    bool condition_holds(const Condition& when) const;
    Barrier barrier(const Step& step) const;
    bool disagree(const Step& step) const;
    void order_pending(const Step& step, std::int64_t now);
    void order(const std::string& node, StepRef ref, Target& target, std::int64_t now);
    void check_join(std::int64_t now);
    std::string refusal_of(const Presence& presence) const;
    Answer retry_or_skip(Op op, bool force, std::int64_t now);
    Answer interrupt_stalled(std::int64_t now);
    Answer approve(std::int64_t now);
    Answer drop(const Command& call, std::int64_t now);
    bool dropped(const std::string& node) const { return journal_.dropped.count(node) != 0; }
    std::vector<TargetKey> failed_here() const;
    std::string problem() const;
    std::string disagreement_text(const Step& step) const;
    std::int64_t stalled_for(const std::string& node, std::int64_t now) const;  // ms past its timeout; 0: not stalled
    bool is_lost(const std::string& node, std::int64_t now) const;
    std::int64_t running_here_ms(const std::string& node, std::int64_t now) const;
    bool counts(StepRef ref) const;
    std::pair<std::int64_t, std::int64_t> step_time(StepRef ref, std::int64_t now) const;
    std::uint32_t percent_done(std::int64_t now) const;
    std::int64_t downtime_expected_end(State state, std::int64_t now) const;
    std::string waiting_text(State state, std::int64_t now) const;
    PeerInfo peer_info(const std::string& name, State cluster, bool held, std::int64_t now) const;
    std::string describe_step(StepRef ref) const;
    void notice_losses(std::int64_t now);
    State finished() const { return setup_.mode().finished(); }
    const char* finished_text() const;

    const NodeSetup& setup_;
    Outbox& out_;
    const Worker& own_;  // the bootstrap's own worker: its Presence never travels
    Journaled journal_;
    std::int32_t step_ = 0;  // the current step of journal_.phase: derived by advance() from the targets
    std::map<std::string, Member> members_;
    std::optional<Archive> archive_;
    std::optional<StepRef> disagreement_said_;
    std::int64_t downtime_begin_ms_ = 0;  // the first order into the downtime, or the earliest report in it
};

const char* progress_name(Leader::Progress progress);

}  // namespace chu
