#include "wire.hpp"

#include "codec.hpp"
#include "topology.hpp"

namespace chu {

namespace {
constexpr char magic[] = {'C', 'H', 'U'};
constexpr std::uint8_t protocol_version = 2;  // 2: Hello.running_ms, Order.interrupt
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
    }
    return "unknown";
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
    }
    return "unknown";
}

namespace {

// One function per message writes or reads its fields, so both directions stay in step.
struct Encode {
    Writer& w;
    void operator()(const Hello& m)
    {
        w.u64(m.epoch);
        w.str(m.plan_name);
        w.str(m.topology_digest);
        w.str(m.plan_digest);
        w.str(m.package_digest);
        w.str(m.key_id);
        w.str(m.version);
        w.u32(static_cast<std::uint32_t>(m.phase));
        w.u32(static_cast<std::uint32_t>(m.step));
        w.u8(m.running);
        w.u64(m.running_ms);
    }
    void operator()(const Beat& m)
    {
        w.u64(m.epoch);
        w.u8(m.state);
        w.u32(static_cast<std::uint32_t>(m.phase));
        w.u32(static_cast<std::uint32_t>(m.step));
        w.u32(m.progress);
        w.str(m.last_error);
        w.i64(m.downtime_begin_ms);
        w.i64(m.downtime_end_ms);
        w.str(m.refusal);
        w.u32(static_cast<std::uint32_t>(m.peers.size()));
        for (const auto& p : m.peers) {
            w.str(p.name);
            w.u8(p.role);
            w.u8(p.state);
            w.u32(static_cast<std::uint32_t>(p.phase));
            w.str(p.step);
            w.i64(p.last_heard_ms);
        }
    }
    void operator()(const Order& m)
    {
        w.u64(m.epoch);
        w.u32(static_cast<std::uint32_t>(m.phase));
        w.u32(static_cast<std::uint32_t>(m.step));
        w.u32(m.round);
        w.str(m.archive_digest);
        w.u64(m.archive_size);
        w.u8(m.skip);
        w.u8(m.interrupt);
    }
    void operator()(const Report& m)
    {
        w.u64(m.epoch);
        w.u32(static_cast<std::uint32_t>(m.phase));
        w.u32(static_cast<std::uint32_t>(m.step));
        w.u32(m.round);
        w.u8(static_cast<std::uint8_t>(m.outcome));
        w.u32(static_cast<std::uint32_t>(m.exit_code));
        w.str(m.value);
        w.str(m.detail);
        w.i64(m.started_ms);
        w.i64(m.finished_ms);
    }
    void operator()(const Fetch& m)
    {
        w.u64(m.epoch);
        w.u32(static_cast<std::uint32_t>(m.phase));
        w.u32(static_cast<std::uint32_t>(m.step));
        w.u64(m.offset);
    }
    void operator()(const Chunk& m)
    {
        w.u64(m.epoch);
        w.u32(static_cast<std::uint32_t>(m.phase));
        w.u32(static_cast<std::uint32_t>(m.step));
        w.u64(m.offset);
        w.str(m.data);
    }
    void operator()(const Command& m)
    {
        w.u64(m.id);
        w.u8(static_cast<std::uint8_t>(m.op));
    }
    void operator()(const Reply& m)
    {
        w.u64(m.id);
        w.u8(m.ok);
        w.str(m.text);
    }
};

constexpr std::size_t max_text = max_frame_size;  // the frame's own bound is the limit

Message decode_body(std::uint8_t type, Reader& r, bool& known)
{
    known = true;
    auto i32 = [&] { return static_cast<std::int32_t>(r.u32()); };
    switch (type) {
    case 0: {
        Hello m;
        m.epoch = r.u64();
        m.plan_name = r.str(256);
        m.topology_digest = r.str(128);
        m.plan_digest = r.str(128);
        m.package_digest = r.str(128);
        m.key_id = r.str(128);
        m.version = r.str(64);
        m.phase = i32();
        m.step = i32();
        m.running = r.u8() != 0;
        m.running_ms = r.u64();
        return m;
    }
    case 1: {
        Beat m;
        m.epoch = r.u64();
        m.state = r.u8();
        m.phase = i32();
        m.step = i32();
        m.progress = r.u32();
        m.last_error = r.str(max_text);
        m.downtime_begin_ms = r.i64();
        m.downtime_end_ms = r.i64();
        m.refusal = r.str(max_text);
        const std::uint32_t n = r.u32();
        // States and roles are converted to their enums by whoever shows them: only known values pass.
        known = m.state <= static_cast<std::uint8_t>(last_state);
        if (n > 4096) {
            known = false;
            return m;
        }
        for (std::uint32_t i = 0; i < n && !r.failed(); ++i) {
            PeerInfo p;
            p.name = r.str(256);
            p.role = r.u8();
            p.state = r.u8();
            known = known && p.role <= static_cast<std::uint8_t>(Role::frontend) &&
                    p.state <= static_cast<std::uint8_t>(last_state);
            p.phase = i32();
            p.step = r.str(1024);
            p.last_heard_ms = r.i64();
            m.peers.push_back(std::move(p));
        }
        return m;
    }
    case 2: {
        Order m;
        m.epoch = r.u64();
        m.phase = i32();
        m.step = i32();
        m.round = r.u32();
        m.archive_digest = r.str(128);
        m.archive_size = r.u64();
        m.skip = r.u8() != 0;
        m.interrupt = r.u8() != 0;
        return m;
    }
    case 3: {
        Report m;
        m.epoch = r.u64();
        m.phase = i32();
        m.step = i32();
        m.round = r.u32();
        const std::uint8_t outcome = r.u8();
        known = outcome <= static_cast<std::uint8_t>(Outcome::skipped);
        m.outcome = static_cast<Outcome>(outcome);
        m.exit_code = i32();
        m.value = r.str(max_text);
        m.detail = r.str(max_text);
        m.started_ms = r.i64();
        m.finished_ms = r.i64();
        return m;
    }
    case 4: {
        Fetch m;
        m.epoch = r.u64();
        m.phase = i32();
        m.step = i32();
        m.offset = r.u64();
        return m;
    }
    case 5: {
        Chunk m;
        m.epoch = r.u64();
        m.phase = i32();
        m.step = i32();
        m.offset = r.u64();
        m.data = r.str(chunk_size);
        return m;
    }
    case 6: {
        Command m;
        m.id = r.u64();
        const std::uint8_t op = r.u8();
        known = op <= static_cast<std::uint8_t>(last_op);
        m.op = static_cast<Op>(op);
        return m;
    }
    case 7: {
        Reply m;
        m.id = r.u64();
        m.ok = r.u8() != 0;
        m.text = r.str(max_text);
        return m;
    }
    }
    known = false;
    return Hello{};
}

}  // namespace

std::string encode_frame(const Envelope& envelope)
{
    Writer w;
    for (char c : magic)
        w.u8(static_cast<std::uint8_t>(c));
    w.u8(protocol_version);
    w.u8(static_cast<std::uint8_t>(envelope.message.index()));
    w.str(envelope.from);
    std::visit(Encode{w}, envelope.message);
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
    if (!r.failed() && version != protocol_version)
        return Error{"protocol version " + std::to_string(version) + ", this daemon speaks " +
                     std::to_string(protocol_version) + ": upgrade chef-ha-upgrade on every node to the same version"};
    const std::uint8_t type = r.u8();
    Envelope e{r.str(256), Hello{}};
    bool known = true;
    e.message = decode_body(type, r, known);
    if (!known)
        return Error{"unknown message type or value (type " + std::to_string(type) + ")"};
    if (!r.complete())
        return Error{"truncated frame or trailing bytes"};
    if (e.from.empty())
        return Error{"frame without a sender"};
    return e;
}

}  // namespace chu
