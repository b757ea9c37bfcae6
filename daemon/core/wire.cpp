#include "wire.hpp"

#include "codec.hpp"
#include "topology.hpp"

namespace chu {

namespace {
constexpr char magic[] = {'C', 'H', 'U'};
}  // namespace

const char* state_name(State state)
{
    switch (state) {
    case State::idle: return "idle";
    case State::joining: return "joining";
    case State::preflight: return "preflight";
    case State::running: return "running";
    case State::paused: return "paused";
    case State::failed: return "failed";
    case State::awaiting_approval: return "awaiting-approval";
    case State::complete: return "complete";
    case State::aborted: return "aborted";
    case State::stalled: return "stalled";
    case State::rehearsed: return "rehearsed";
    case State::dropped: return "dropped";
    case State::lost: return "lost";
    }
    return "unknown";
}

std::optional<State> state_named(std::string_view name)
{
    for (std::uint8_t s = 0; s <= static_cast<std::uint8_t>(last_state); ++s)
        if (name == state_name(static_cast<State>(s)))
            return static_cast<State>(s);
    return std::nullopt;
}

bool succeeded(Outcome outcome)
{
    return outcome == Outcome::ok || outcome == Outcome::skipped;
}

const char* outcome_name(Outcome outcome)
{
    switch (outcome) {
    case Outcome::ok: return "ok";
    case Outcome::failed: return "failed";
    case Outcome::timeout: return "timeout";
    case Outcome::skipped: return "skipped";
    }
    return "unknown";
}

const char* op_name(Op op)
{
    switch (op) {
    case Op::start: return "start";
    case Op::pause: return "pause";
    case Op::resume: return "resume";
    case Op::retry: return "retry";
    case Op::skip: return "skip";
    case Op::abort: return "abort";
    case Op::approve: return "approve";
    case Op::interrupt: return "interrupt";
    case Op::drop: return "drop";
    }
    return "unknown";
}

// The field lists (codec.hpp): in chu itself, where the codec's templates find them.
constexpr std::size_t max_text = max_frame_size;  // the frame's own bound is the limit

template <class F>
void fields(F& f, Presence& m)
{
    f.u64(m.epoch);
    f.str(m.plan_name, 256);
    f.str(m.topology_digest, 128);
    f.str(m.plan_digest, 128);
    f.str(m.package_digest, 128);
    f.str(m.key_id, 128);
    f.str(m.version, 64);
    f.i32(m.phase);
    f.i32(m.step);
    f.flag(m.running);
    f.u64(m.running_ms);
}

// States and roles stay numbers in a Beat (whoever shows them converts them): only known values pass.
template <class F>
void fields(F& f, PeerInfo& p)
{
    f.str(p.name, 256);
    f.bounded(p.role, static_cast<std::uint8_t>(Role::frontend));
    f.bounded(p.state, static_cast<std::uint8_t>(last_state));
    f.i32(p.phase);
    f.str(p.step, 1024);
    f.i64(p.last_heard_ms);
    f.flag(p.running);
    f.i64(p.started_ms);
}

template <class F>
void fields(F& f, Beat& m)
{
    f.u64(m.epoch);
    f.bounded(m.state, static_cast<std::uint8_t>(last_state));
    f.i32(m.phase);
    f.i32(m.step);
    f.u32(m.progress);
    f.str(m.last_error, max_text);
    f.i64(m.downtime_begin_ms);
    f.i64(m.downtime_end_ms);
    f.str(m.refusal, max_text);
    f.i64(m.downtime_expected_end_ms);
    f.list(m.peers, 4096, [&](PeerInfo& p) { fields(f, p); });
}

template <class F>
void fields(F& f, Order& m)
{
    f.u64(m.epoch);
    f.i32(m.phase);
    f.i32(m.step);
    f.u32(m.round);
    f.str(m.archive_digest, 128);
    f.u64(m.archive_size);
    f.flag(m.skip);
    f.flag(m.interrupt);
}

template <class F>
void fields(F& f, Report& m)
{
    f.u64(m.epoch);
    f.i32(m.phase);
    f.i32(m.step);
    f.u32(m.round);
    fields(f, m.end);
    f.i64(m.started_ms);
    f.i64(m.finished_ms);
}

template <class F>
void fields(F& f, Fetch& m)
{
    f.u64(m.epoch);
    f.i32(m.phase);
    f.i32(m.step);
    f.u64(m.offset);
}

template <class F>
void fields(F& f, Chunk& m)
{
    f.u64(m.epoch);
    f.i32(m.phase);
    f.i32(m.step);
    f.u64(m.offset);
    f.str(m.data, chunk_size);
}

template <class F>
void fields(F& f, Command& m)
{
    f.u64(m.id);
    f.choice(m.op, last_op);
    f.str(m.node, 256);
    f.flag(m.force);
}

template <class F>
void fields(F& f, Reply& m)
{
    f.u64(m.id);
    f.flag(m.ok);
    f.str(m.text, max_text);
}

template <class F>
void fields(F& f, PartFetch& m)
{
    f.u64(m.id);
    f.u64(m.offset);
}

template <class F>
void fields(F& f, PartChunk& m)
{
    f.u64(m.id);
    f.u64(m.offset);
    f.u64(m.total);
    f.str(m.data, part_chunk_size);
    f.str(m.error, max_text);
}

template <class F>
void fields(F& f, Pack& m)
{
    f.u64(m.epoch);
    f.i32(m.phase);
    f.i32(m.step);
}

template <class F>
void fields(F& f, Packed& m)
{
    f.u64(m.epoch);
    f.i32(m.phase);
    f.i32(m.step);
    f.u64(m.size);
    f.str(m.digest, 128);
    f.str(m.problem, max_text);
}

static_assert(tags_unique<Message>(), "two messages share a wire tag");

std::string encode_frame(const Envelope& envelope)
{
    Writer w;
    for (char c : magic)
        w.u8(static_cast<std::uint8_t>(c));
    w.u8(wire_protocol_version);
    w.u8(tag_of(envelope.message));
    w.str(envelope.from);
    Put put{w, wire_protocol_version};
    put_fields(put, envelope.message);
    return std::move(w.bytes());
}

Result<Envelope> decode_frame(std::string_view frame)
{
    if (frame.size() > max_frame_size)
        return Error{"frame of " + std::to_string(frame.size()) + " bytes is over the limit"};
    Reader r(frame);
    for (char c : magic)
        if (r.u8() != static_cast<std::uint8_t>(c))
            return Error{"not a chef-ha-upgrade frame"};
    const std::uint8_t version = r.u8();
    if (!r.failed() && version != wire_protocol_version)
        return Error{"protocol version " + std::to_string(version) + ", this daemon speaks " +
                     std::to_string(wire_protocol_version) + ": upgrade chef-ha-upgrade on every node to the same version"};
    const std::uint8_t type = r.u8();
    Envelope e{r.str(256), Presence{}};
    Get get{r, version};
    if (!get_fields(get, type, e.message) || !get.known)
        return Error{"unknown message type or value (type " + std::to_string(type) + ")"};
    if (!r.complete())
        return Error{"truncated frame or trailing bytes"};
    if (e.from.empty())
        return Error{"frame without a sender"};
    return e;
}

}  // namespace chu
