// The worker every node has: it runs the steps the leader orders, one at a time, in its own schedule's
// order, journals them and reports; and it hears the leader's beats (a follower's view of the cluster).
#pragma once

#include "outbox.hpp"
#include "setup.hpp"

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

namespace chu {

class Worker {
public:
    // What the worker is doing about the step in hand. Moves: the table in worker.cpp.
    enum class Work {
        waiting,       // nothing in hand: waiting for the leader's order
        receiving,     // a copy step's archive on its way from the leader
        running,       // an attempt's command runs
        stalled,       // ... past its plan's timeout; a command that changes the cluster is never killed for it
        backing_off,   // an attempt failed; the next starts after the backoff
        interrupting,  // the operator ends the command; the step fails once it has ended
    };
    // What makes the worker move.
    enum class On {
        ordered,           // the leader orders a step
        ordered_copy,      // ... a copy step: its archive comes first
        archive_verified,  // the archive arrived whole and matches its digest
        superseded,        // the leader orders another archive: what came so far is of no use
        past_timeout,      // the attempt runs past the plan's timeout
        attempt_failed,    // the attempt failed, and the plan re-runs it after a backoff
        backoff_over,      // the next attempt starts
        interrupted,       // the operator ends the command, or the step before it ran
        ended,             // the step finished (done, failed, or timed out for good)
    };

    // What the journal holds for this node, rebuilt by apply() alone.
    struct Journaled {
        std::uint64_t epoch = 0;
        std::map<StepRef, FinishedRecord> finished;  // the latest result of each step
        std::map<StepRef, std::uint32_t> attempts;   // attempts started in a step's latest round
        std::int64_t dropped_ms = 0;                 // when the leader said the operator dropped this node; 0: never
        bool operator==(const Journaled& o) const;
    };

    Worker(const NodeSetup& setup, Outbox& out);
    static std::set<std::string> all_moves();  // the table, as Outbox::moves() names what was taken

    void apply(const Record& record);
    void on_order(const Order& order, std::int64_t now);
    void on_chunk(const Chunk& chunk, std::int64_t now);
    void on_step_finished(const StepResult& result, std::int64_t now);
    void on_beat(const Beat& beat, std::int64_t now);
    void on_reply(const Reply& reply);
    // An operator call on a follower goes to the leader, or fails at once when the leader is not reachable.
    void forward(const Command& call, std::int64_t now);
    void on_tick(std::int64_t now, bool beat_due);
    std::int64_t next_deadline(std::int64_t next) const;

    Work work() const { return work_; }
    const Journaled& journaled() const { return journal_; }
    std::uint64_t epoch() const { return journal_.epoch; }
    Presence presence(std::int64_t now) const;
    bool leader_reachable(std::int64_t now) const;
    std::int64_t leader_heard_ms() const { return leader_heard_ms_; }
    const Beat& cluster() const { return cluster_; }
    // The step whose attempts this node makes now (a copy step's archive still on its way is not yet one).
    std::optional<StepRef> in_hand() const;
    // ... as the operator reads it ("chef-server-ctl upgrade: running for 2 h …"); empty: none.
    std::string running_text(std::int64_t now) const;
    std::uint32_t attempt() const { return job_.attempt; }
    // Dropped by the operator: it runs nothing more, and says so (and that the daemon stops) at every start.
    bool dropped() const { return journal_.dropped_ms != 0; }
    std::string dropped_text() const;
    void say_dropped();

private:
    struct Job {  // the step in hand, when not waiting
        StepRef ref;
        std::uint32_t round = 0;
        std::uint32_t attempt = 0;
        std::uint32_t failures = 0;
        std::int64_t started_ms = 0;                 // the step's first attempt
        std::int64_t attempt_ms = 0;                 // the current attempt
        std::int64_t expected_ms = 0;                // past this long it is stalled (0: killed at its timeout instead)
        std::int64_t retry_at = 0;                   // backing_off: when the next attempt starts
        std::shared_ptr<const std::string> archive;  // copy steps: the verified archive, kept for a retry
    };
    struct Receive {  // receiving: the archive so far
        std::string digest;
        std::uint64_t size = 0;
        std::string data;
        std::int64_t asked_ms = 0;
    };

    void go(On on);
    bool has_attempt() const { return work_ != Work::waiting && work_ != Work::receiving; }
    const Step& step_of(StepRef ref) const;
    bool answered_from_journal(const Order& order, const Step& step);
    bool refuse_out_of_order(const Order& order, const Step& step, std::int64_t now);
    std::optional<StepRef> earlier_unfinished(StepRef ref) const;
    void take(const Order& order, const Step& step, std::int64_t now);
    void start_attempt(std::int64_t now);
    void finish(StepOutcome end, std::int64_t now);
    void finish_unstarted(const Order& order, std::string detail, std::int64_t now);
    void interrupt(const Order& order, const Step& step, std::int64_t now);
    void notice_stall(std::int64_t now);
    void notice_leader(std::int64_t now);
    void report(const FinishedRecord& done);

    const NodeSetup& setup_;
    const Server& me_;
    Outbox& out_;
    Journaled journal_;
    Work work_ = Work::waiting;
    Job job_;
    Receive receive_;
    std::int64_t leader_heard_ms_ = 0;
    bool leader_reachable_ = false;                    // as last logged
    Beat cluster_;                                     // the leader's latest beat
    std::map<std::uint64_t, std::int64_t> forwarded_;  // operator calls sent to the leader, and their deadlines
};

const char* work_name(Worker::Work work);

}  // namespace chu
