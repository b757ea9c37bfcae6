// The coordination core of one daemon: the worker every node has, and on the bootstrap the leader that
// walks the plan through barriers. Driven by events in, producing effects out; no I/O of its own.
#pragma once

#include "config.hpp"
#include "plan.hpp"
#include "records.hpp"
#include "topology.hpp"
#include "wire.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

namespace chu {

// Everything a node's core is given at start.
struct NodeSetup {
    Topology topology;
    Plan plan;  // the effective plan (join first, add-ons last)
    Config config;
    std::string node;
    NodeFacts facts;
    std::string topology_digest;
    std::string plan_digest;
    std::string package_digest;  // empty: no readable package on this node
    std::string key_id;
    std::string version;
};

// Effects, carried out by the adapters in the order given. A WriteRecord must be durable before the
// effects after it are carried out.
struct Send {
    std::string to;
    Message message;
};
struct RunStep {
    std::int32_t phase = 0;
    std::int32_t step = 0;
    std::uint32_t round = 0;
    std::uint32_t attempt = 0;
    Action action;
    std::string archive;  // copy steps: the verified archive to unpack into action.dir
};
// The operator ends this node's command for the step (SIGTERM, then SIGKILL, to its process group).
struct Interrupt {
    std::int32_t phase = 0;
    std::int32_t step = 0;
};
struct PackArchive {  // leader: pack this directory for a copy step; answer with on_archive
    std::int32_t phase = 0;
    std::int32_t step = 0;
    std::string dir;
};
struct WriteRecord {
    Record record;
};
struct Log {
    enum class Level { info, warning, error } level = Level::info;
    std::string text;
    std::int32_t phase = -1;  // -1: not about a step
    std::string step;
};
struct Answer {  // the outcome of an operator call made on this node
    std::uint64_t id = 0;
    bool ok = false;
    std::string text;
};
struct Completed {  // the upgrade ended (complete or aborted); once per daemon run
    State outcome = State::complete;
    std::string summary;
};
// This node commits to the upgrade (the leader records the join, a follower starts its first step): the
// adapter keeps what must survive the upgrade (the cluster key) and what brings it back after a reboot,
// before the record that follows. Once per daemon run.
struct Underway {};
using Effect = std::variant<Send, RunStep, Interrupt, PackArchive, WriteRecord, Log, Answer, Completed, Underway>;

// What an adapter reports when a RunStep ends.
struct StepResult {
    std::int32_t phase = 0;
    std::int32_t step = 0;
    std::uint32_t round = 0;
    std::uint32_t attempt = 0;
    Outcome outcome = Outcome::ok;  // ok, failed or timeout
    std::int32_t exit_code = 0;     // exit status, or 128 + signal
    std::string value;              // checks: what was read
    std::string detail;             // the error, or the output's last lines
};

// This node's view, for D-Bus, sd_notify STATUS= and the ctl.
struct NodeStatus {
    std::string node;
    Role role = Role::frontend;
    std::string leader;
    bool leader_reachable = true;
    std::uint64_t epoch = 0;
    State state = State::joining;
    std::int32_t phase = 0;
    std::string phase_name;
    std::int32_t phase_count = 0;
    std::string step;  // what this node runs now, else the cluster's current step
    std::uint32_t attempt = 0;
    std::uint32_t progress = 0;
    std::string last_error;
    std::int64_t downtime_begin_ms = 0;
    std::int64_t downtime_end_ms = 0;
    std::vector<PeerInfo> peers;
    std::string versions;  // this node's "installed 11.1.8 → package 12.0.8-1 (chef-server-core)"
};

class Node {
public:
    explicit Node(NodeSetup setup);

    // Replays this node's journal (already cut at its last good record), then starts. A leader bumps its
    // epoch here.
    void boot(const std::vector<Record>& journal, std::int64_t now);

    void on_message(const Envelope& envelope, std::int64_t now);
    void on_step_finished(const StepResult& result, std::int64_t now);
    void on_archive(std::int32_t phase, std::int32_t step, const Result<std::string>& archive, std::int64_t now);
    void on_operator(std::uint64_t id, Op op, std::int64_t now);
    void on_tick(std::int64_t now);

    // When on_tick must be called next (absolute ms).
    std::int64_t next_deadline() const;
    std::vector<Effect> take_effects();
    NodeStatus status(std::int64_t now) const;
    // Leader: every result a node reported, in the order they came in (the upgrade's timeline).
    const std::vector<ReportRecord>& timeline() const { return timeline_; }

    bool is_leader() const { return me_->role == Role::bootstrap; }
    const std::string& name() const { return setup_.node; }
    const std::string& leader_name() const { return setup_.topology.bootstrap().name; }

private:
    using StepKey = std::pair<std::int32_t, std::int32_t>;

    // ---- worker: runs the steps it is ordered, journals them, reports ----
    struct Running {
        StepKey key;
        std::uint32_t round = 0;
        std::uint32_t attempt = 0;
        std::uint32_t failures = 0;
        std::int64_t started_ms = 0;
        std::int64_t retry_at = 0;  // non-zero: waiting to retry after a failure
        std::string archive;
        std::int64_t attempt_ms = 0;    // when the current attempt started
        std::int64_t expected_ms = 0;   // past this long it is stalled (0: killed at its timeout instead)
        bool stall_said = false;
        bool interrupted = false;       // the operator ended it: it fails, and is not re-run
    };
    struct Receive {  // a copy step's archive on its way from the leader
        StepKey key;
        std::uint32_t round = 0;
        std::string digest;
        std::uint64_t size = 0;
        std::string data;
        std::int64_t asked_ms = 0;
    };
    struct Pending {  // an operator call forwarded to the leader
        std::int64_t deadline = 0;
    };

    void worker_order(const Order& order, std::int64_t now);
    void worker_chunk(const Chunk& chunk, std::int64_t now);
    void start_attempt(std::int64_t now);
    void finish_running(Outcome outcome, std::int32_t exit_code, std::string value, std::string detail, std::int64_t now);
    void report(const FinishedRecord& done);
    Hello hello(std::int64_t now) const;
    void notice_stall(std::int64_t now);
    void worker_interrupt(const Order& order, const Step& step, std::int64_t now);
    std::optional<StepKey> earlier_unfinished(StepKey key) const;

    // ---- leader: join barrier, phase barriers, operator decisions ----
    struct Member {
        const Server* server = nullptr;
        Hello hello;
        std::int64_t heard_ms = 0;
        std::string refusal;
        bool lost = false;  // heard before, but not within peer_timeout_ms
    };
    enum class TargetState { pending, ordered, done, failed };
    struct Target {
        TargetState state = TargetState::pending;
        std::uint32_t round = 0;
        bool skip = false;       // the operator skipped it: order the node to record it as skipped
        bool interrupt = false;  // the operator ended it: order the node to stop its command
        std::int64_t sent_ms = 0;
        std::string value;
        std::string detail;
    };
    using TargetKey = std::tuple<std::string, std::int32_t, std::int32_t>;

    void leader_hello(const std::string& from, const Hello& hello, std::int64_t now);
    void leader_report(const std::string& from, const Report& report, std::int64_t now);
    void leader_fetch(const std::string& from, const Fetch& fetch);
    Answer decide(Op op, std::int64_t now);
    void check_join(std::int64_t now);
    void advance(std::int64_t now);
    void order(const std::string& node, std::int32_t phase, std::int32_t step, Target& target, std::int64_t now);
    std::vector<std::string> targets_of(const Step& step) const;
    bool condition_holds(const std::string& when) const;
    bool agreement_failed() const;
    std::int64_t stalled_for(const std::string& node, std::int64_t now) const;  // ms past its timeout, 0: not stalled
    std::string stall_text(const std::string& node, std::int64_t now) const;
    std::vector<TargetKey> failed_targets() const;
    State cluster_state(std::int64_t now) const;
    std::uint32_t progress() const;
    Beat cluster_beat(std::int64_t now) const;  // the same for every follower but its refusal
    std::string describe_step(std::int32_t phase, std::int32_t step) const;

    // ---- both ----
    void send(const std::string& to, Message message);
    void record(Record record);
    void log(Log::Level level, std::string text, std::int32_t phase = -1, std::string step = {});
    void deliver_local(std::int64_t now);
    void notice_losses(std::int64_t now);

    NodeSetup setup_;
    const Server* me_ = nullptr;
    std::vector<Effect> effects_;
    std::vector<Message> local_;  // messages the leader sends to its own worker
    std::uint64_t epoch_ = 0;
    std::int64_t next_beat_ = 0;

    // worker state
    std::map<StepKey, FinishedRecord> finished_;  // the latest result of each step, as journaled
    std::map<StepKey, std::uint32_t> attempts_;  // attempts journaled for a step's latest round
    std::optional<Running> running_;
    std::optional<Receive> receive_;
    std::int64_t leader_heard_ms_ = 0;
    bool leader_reachable_ = false;  // as last logged
    Beat cluster_;  // the leader's latest beat
    std::uint64_t next_command_id_ = 1;
    std::map<std::uint64_t, Pending> forwarded_;

    // leader state
    std::map<std::string, Member> members_;
    bool joined_ = false;
    JoinedRecord agreement_;
    bool started_ = false;
    bool paused_ = false;
    bool aborted_ = false;
    bool approved_ = false;
    bool agreement_skipped_ = false;  // the operator skipped a failed `agree` check in the current step
    bool completed_sent_ = false;
    bool underway_sent_ = false;
    std::string halted_;  // why this leader refuses to go on (its inputs changed since the join)
    std::int32_t phase_ = 1;
    std::int32_t step_ = 0;
    std::map<TargetKey, Target> targets_;
    std::string last_error_;
    std::int64_t downtime_begin_ms_ = 0;
    std::int64_t downtime_end_ms_ = 0;
    struct Archive {
        StepKey key;
        bool requested = false;
        std::string bytes;
        std::string digest;
    };
    std::optional<Archive> archive_;
    std::vector<ReportRecord> timeline_;
};

}  // namespace chu
