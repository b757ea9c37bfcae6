// Messages between daemons (see ipc/peer-protocol.md): what they mean and how they are framed.
#pragma once

#include "result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace chu {

// The cluster's state as the operator sees it (D-Bus State, ctl status).
// `stalled`: a command that changes the cluster runs past its plan's timeout; it is not killed. `rehearsed`: a
// preflight rehearsal ran every check on every node (rehearsal.hpp). `dropped`: a node the operator took out
// of the upgrade (a frontend gone for good): no barrier waits for it, it runs nothing more. `lost`: a peer's
// state only, as the leader judges it: heard before, but not for the peer timeout. Appended last: the values
// are on the wire.
enum class State : std::uint8_t {
    idle,
    joining,
    preflight,
    running,
    paused,
    failed,
    awaiting_approval,
    complete,
    aborted,
    stalled,
    rehearsed,
    dropped,
    lost
};
constexpr State last_state = State::lost;
const char* state_name(State state);                      // "awaiting-approval"
std::optional<State> state_named(std::string_view name);  // nullopt: not a state

// How a step ended on a node.
enum class Outcome : std::uint8_t { ok, failed, timeout, skipped };
const char* outcome_name(Outcome outcome);
bool succeeded(Outcome outcome);  // ok, or skipped by the operator

// Operator decisions (D-Bus methods, ctl verbs), carried to the leader.
// `interrupt`: end the stalled commands of the current step on purpose (SIGTERM, then SIGKILL). `drop`: take a
// frontend that is gone for good out of the upgrade (Command::node).
enum class Op : std::uint8_t { start, pause, resume, retry, skip, abort, approve, interrupt, drop };
constexpr Op last_op = Op::drop;
const char* op_name(Op op);

// How a step ended on a node: one attempt (from the runner) or the step after its retries (journal, report).
struct StepOutcome {
    Outcome outcome = Outcome::ok;
    std::int32_t exit_code = 0;  // exit status, or 128 + signal
    std::string value;           // checks: what was read
    std::string detail;          // the error, or the output's last lines
    bool operator==(const StepOutcome& o) const
    {
        return outcome == o.outcome && exit_code == o.exit_code && value == o.value && detail == o.detail;
    }
};

// Every message carries a pinned type tag on the wire: a new message takes a new number, never a reused one.

// Follower -> leader, every heartbeat: presence, what it agrees to, and where it is.
struct Presence {
    static constexpr std::uint8_t tag = 0;
    std::uint64_t epoch = 0;  // the highest leader epoch this node has seen
    std::string plan_name;
    std::string topology_digest;
    std::string plan_digest;
    std::string package_digest;  // empty: the package is missing on this node
    std::string key_id;
    std::string version;
    std::int32_t phase = 0;  // the step this node runs or ran last
    std::int32_t step = -1;
    bool running = false;
    std::uint64_t running_ms = 0;  // how long the running attempt has run: past the plan's timeout it is stalled
};

struct PeerInfo {
    std::string name;
    std::uint8_t role = 0;
    std::uint8_t state = 0;  // State of that node as the leader knows it
    std::int32_t phase = 0;
    std::string step;
    std::int64_t last_heard_ms = 0;  // absolute; 0 = never
    bool running = false;            // it runs an attempt of its step (a Presence's `running`)
    std::int64_t started_ms = 0;     // ... begun then (the leader's clock)
};

// Leader -> follower, every heartbeat: the cluster's state, and why the follower was refused, if it was.
struct Beat {
    static constexpr std::uint8_t tag = 1;
    std::uint64_t epoch = 0;
    std::uint8_t state = 0;
    std::int32_t phase = 0;
    std::int32_t step = 0;
    std::uint32_t progress = 0;
    std::string last_error;
    std::int64_t downtime_begin_ms = 0;
    std::int64_t downtime_end_ms = 0;
    std::string refusal;
    std::vector<PeerInfo> peers;
    std::int64_t downtime_expected_end_ms = 0;  // 0: not begun, ended, or it cannot be estimated now
};

// Leader -> node: run (or answer for) step `step` of phase `phase`. Re-sent until answered.
struct Order {
    static constexpr std::uint8_t tag = 2;
    std::uint64_t epoch = 0;
    std::int32_t phase = 0;
    std::int32_t step = 0;
    std::uint32_t round = 0;     // bumped by each operator retry
    std::string archive_digest;  // copy steps: what the node must receive
    std::uint64_t archive_size = 0;
    bool skip = false;       // the operator skipped it: record it as skipped, run nothing
    bool interrupt = false;  // the operator ends it: stop its command, count the step as failed
};

// Node -> leader: the result of a step (fresh, or from the node's journal for a repeated order).
struct Report {
    static constexpr std::uint8_t tag = 3;
    std::uint64_t epoch = 0;
    std::int32_t phase = 0;
    std::int32_t step = 0;
    std::uint32_t round = 0;
    StepOutcome end;
    std::int64_t started_ms = 0;
    std::int64_t finished_ms = 0;
};

// Node -> leader: send me the archive of a copy step from `offset`. Also leader -> a copy step's source
// node, when the step copies from a frontend (the leader relays that node's archive).
struct Fetch {
    static constexpr std::uint8_t tag = 4;
    std::uint64_t epoch = 0;
    std::int32_t phase = 0;
    std::int32_t step = 0;
    std::uint64_t offset = 0;
};

struct Chunk {
    static constexpr std::uint8_t tag = 5;
    std::uint64_t epoch = 0;
    std::int32_t phase = 0;
    std::int32_t step = 0;
    std::uint64_t offset = 0;
    std::string data;
};

// An operator decision, taken on any node and carried to the leader (a follower sends it; the leader answers
// with a Reply).
struct Command {
    static constexpr std::uint8_t tag = 6;
    std::uint64_t id = 0;
    Op op = Op::start;
    std::string node;    // drop: the node to drop
    bool force = false;  // drop: even though it is heard from
};

struct Reply {
    static constexpr std::uint8_t tag = 7;
    std::uint64_t id = 0;
    bool ok = false;
    std::string text;
};

// Any node -> any node, for `chef-ha-upgrade-ctl collect`: send me your part of a support bundle from
// `offset`. A new `id` has the part made afresh. Served outside the upgrade's core (daemon/support).
struct PartFetch {
    static constexpr std::uint8_t tag = 8;
    std::uint64_t id = 0;
    std::uint64_t offset = 0;
};

// The answer: the part's bytes from `offset` (at most part_chunk_size), its whole size, or why there is none.
struct PartChunk {
    static constexpr std::uint8_t tag = 9;
    std::uint64_t id = 0;
    std::uint64_t offset = 0;
    std::uint64_t total = 0;
    std::string data;
    std::string error;
};

// Leader -> the source of a copy step that copies from a frontend: pack the step's directory and keep it;
// answered with Packed, then served with Chunks to the leader's Fetches. Re-sent until answered.
struct Pack {
    static constexpr std::uint8_t tag = 10;
    std::uint64_t epoch = 0;
    std::int32_t phase = 0;
    std::int32_t step = 0;
};

// Source -> leader: the archive it packed (its size and digest), or why it could not.
struct Packed {
    static constexpr std::uint8_t tag = 11;
    std::uint64_t epoch = 0;
    std::int32_t phase = 0;
    std::int32_t step = 0;
    std::uint64_t size = 0;
    std::string digest;
    std::string problem;
};

using Message = std::variant<Presence, Beat, Order, Report, Fetch, Chunk, Command, Reply, PartFetch, PartChunk, Pack, Packed>;

struct Envelope {
    std::string from;  // the sender's node name, checked by the transport against its address
    Message message;
};

// 2: Presence.running_ms, Order.interrupt; 3: State rehearsed and dropped, Op drop, Command.node and force;
// 4: PartFetch and PartChunk; 5: Order.archive_digest is BLAKE2b-256; 6: Pack and Packed, Fetch and Chunk
// both ways (a copy from a frontend); 7: State lost, PeerInfo.running and started_ms, Beat.downtime_expected_end_ms
constexpr std::uint8_t wire_protocol_version = 7;

constexpr std::size_t max_frame_size = 4u << 20;
constexpr std::size_t max_detail = 8u << 10;  // a step's output tail kept in reports and records
constexpr std::size_t max_value = 4u << 10;   // what a check read
constexpr std::size_t chunk_size = 1u << 20;
constexpr std::size_t part_chunk_size = 256u << 10;  // small: a bundle never holds the mesh up for long

// StepOutcome's field list (see codec.hpp), shared by reports on the wire and records on disk.
template <class F>
void fields(F& f, StepOutcome& m)
{
    f.choice(m.outcome, Outcome::skipped);
    f.i32(m.exit_code);
    f.str(m.value, max_frame_size);
    f.str(m.detail, max_frame_size);
}

std::string encode_frame(const Envelope& envelope);
// Refuses frames that are too large, of another protocol version, truncated or with trailing bytes.
Result<Envelope> decode_frame(std::string_view frame);

}  // namespace chu
