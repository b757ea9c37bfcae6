// Peer frames and journal records: every field survives a round trip, and damaged input is refused.
#include "core/digest.hpp"
#include "core/records.hpp"
#include "core/wire.hpp"

#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

using Catch::Matchers::Contains;

namespace {

// Every field of a value, one per line, so that two values compare (and differ readably) as strings.
struct Dump {
    std::ostringstream out;
    template <class T>
    Dump& operator()(const char* name, const T& v)
    {
        out << name << "=" << v << "\n";
        return *this;
    }
    Dump& operator()(const char* name, std::uint8_t v) { return (*this)(name, static_cast<unsigned>(v)); }
    // Long or binary strings compare by size and digest; the start is shown to a reader.
    Dump& operator()(const char* name, const std::string& v)
    {
        out << name << "=<" << v.substr(0, 64) << "> " << v.size() << " bytes, " << chu::sha256_hex(v).substr(0, 16) << "\n";
        return *this;
    }
    std::string str() const { return out.str(); }
};

std::string dump(const chu::Presence& m)
{
    return Dump()("hello.epoch", m.epoch)("plan_name", m.plan_name)("topology_digest", m.topology_digest)(
               "plan_digest", m.plan_digest)("package_digest", m.package_digest)("key_id", m.key_id)("version", m.version)(
               "phase", m.phase)("step", m.step)("running", m.running)
        .str();
}

std::string dump(const chu::Beat& m)
{
    Dump d;
    d("beat.epoch", m.epoch)("state", m.state)("phase", m.phase)("step", m.step)("progress", m.progress)(
        "last_error", m.last_error)("downtime_begin_ms", m.downtime_begin_ms)("downtime_end_ms", m.downtime_end_ms)(
        "refusal", m.refusal)("peers", m.peers.size());
    for (const auto& p : m.peers)
        d("peer.name", p.name)("peer.role", p.role)("peer.state", p.state)("peer.phase", p.phase)("peer.step", p.step)(
            "peer.last_heard_ms", p.last_heard_ms);
    return d.str();
}

std::string dump(const chu::Order& m)
{
    return Dump()("order.epoch", m.epoch)("phase", m.phase)("step", m.step)("round", m.round)("archive_digest", m.archive_digest)(
               "archive_size", m.archive_size)("skip", m.skip)
        .str();
}

std::string dump(const chu::Report& m)
{
    return Dump()("report.epoch", m.epoch)("phase", m.phase)("step", m.step)("round", m.round)(
               "outcome", static_cast<unsigned>(m.end.outcome))("exit_code", m.end.exit_code)("value", m.end.value)(
               "detail", m.end.detail)("started_ms", m.started_ms)("finished_ms", m.finished_ms)
        .str();
}

std::string dump(const chu::Fetch& m)
{
    return Dump()("fetch.epoch", m.epoch)("phase", m.phase)("step", m.step)("offset", m.offset).str();
}

std::string dump(const chu::Chunk& m)
{
    return Dump()("chunk.epoch", m.epoch)("phase", m.phase)("step", m.step)("offset", m.offset)("data", m.data).str();
}

std::string dump(const chu::Command& m)
{
    return Dump()("command.id", m.id)("op", static_cast<unsigned>(m.op))("node", m.node)("force", m.force).str();
}

std::string dump(const chu::Reply& m)
{
    return Dump()("reply.id", m.id)("ok", m.ok)("text", m.text).str();
}

std::string dump(const chu::PartFetch& m)
{
    return Dump()("part-fetch.id", m.id)("offset", m.offset).str();
}

std::string dump(const chu::PartChunk& m)
{
    return Dump()("part-chunk.id", m.id)("offset", m.offset)("total", m.total)("data", m.data)("error", m.error).str();
}

std::string dump(const chu::Pack& m)
{
    return Dump()("pack.epoch", m.epoch)("phase", m.phase)("step", m.step).str();
}

std::string dump(const chu::Packed& m)
{
    return Dump()("packed.epoch", m.epoch)("phase", m.phase)("step", m.step)("size", m.size)("digest", m.digest)("problem",
                                                                                                                 m.problem)
        .str();
}

std::string dump(const chu::Message& m)
{
    return "type " + std::to_string(m.index()) + "\n" + std::visit([](const auto& v) { return dump(v); }, m);
}

std::string dump(const chu::EpochRecord& r)
{
    return Dump()("epoch", r.epoch).str();
}

std::string dump(const chu::JoinedRecord& r)
{
    return Dump()("topology_digest", r.topology_digest)("plan_digest", r.plan_digest)("package_digest", r.package_digest)(
               "key_id", r.key_id)("at_ms", r.at_ms)
        .str();
}

std::string dump(const chu::StartedRecord& r)
{
    return Dump()("phase", r.phase)("step", r.step)("round", r.round)("attempt", r.attempt)("at_ms", r.at_ms).str();
}

std::string dump(const chu::FinishedRecord& r)
{
    return Dump()("phase", r.phase)("step", r.step)("round", r.round)("outcome", static_cast<unsigned>(r.end.outcome))(
               "exit_code", r.end.exit_code)("value", r.end.value)("detail", r.end.detail)("started_ms", r.started_ms)("at_ms",
                                                                                                                       r.at_ms)
        .str();
}

std::string dump(const chu::ReportRecord& r)
{
    return Dump()("node", r.node)("phase", r.phase)("step", r.step)("round", r.round)("outcome",
                                                                                      static_cast<unsigned>(r.end.outcome))(
               "value", r.end.value)("detail", r.end.detail)("started_ms", r.started_ms)("finished_ms", r.finished_ms)
        .str();
}

std::string dump(const chu::PhaseRecord& r)
{
    return Dump()("phase", r.phase)("at_ms", r.at_ms).str();
}

std::string dump(const chu::DecisionRecord& r)
{
    return Dump()("op", static_cast<unsigned>(r.op))("node", r.node)("phase", r.phase)("step", r.step)("round", r.round)("at_ms",
                                                                                                                         r.at_ms)
        .str();
}

std::string dump(const chu::DroppedRecord& r)
{
    return Dump()("dropped.epoch", r.epoch)("at_ms", r.at_ms).str();
}

std::string dump(const chu::Record& r)
{
    return "record " + std::to_string(r.index()) + "\n" + std::visit([](const auto& v) { return dump(v); }, r);
}

const std::string kDigest(64, 'a');

// One of each message, every field away from its default (negative where the type allows it).
std::vector<chu::Message> every_message()
{
    chu::Presence hello;
    hello.epoch = 0x0102030405060708ull;
    hello.plan_name = "chef-server-12";
    hello.topology_digest = kDigest;
    hello.plan_digest = std::string(64, 'b');
    hello.package_digest = std::string(64, 'c');
    hello.key_id = "key-1";
    hello.version = "1.2.3";
    hello.phase = 7;
    hello.step = -1;
    hello.running = true;

    chu::Beat beat;
    beat.epoch = 9;
    beat.state = static_cast<std::uint8_t>(chu::State::awaiting_approval);
    beat.phase = 12;
    beat.step = 3;
    beat.progress = 87;
    beat.last_error = "fe1: step upgrade-frontend exited 1";
    beat.downtime_begin_ms = 1700000000123;
    beat.downtime_end_ms = -5;
    beat.refusal = "plan digest differs on be2";
    for (int i = 0; i < 4; ++i) {
        chu::PeerInfo p;
        p.name = "node-" + std::to_string(i) + ".example.com";
        p.role = static_cast<std::uint8_t>(i % 3);
        p.state = static_cast<std::uint8_t>(i + 1);
        p.phase = i == 3 ? -2 : i * 5;
        p.step = "step-" + std::to_string(i);
        p.last_heard_ms = 1700000000000 + i;
        beat.peers.push_back(p);
    }

    chu::Order order;
    order.epoch = 0xfffffffffffffffeull;
    order.phase = 8;
    order.step = 2;
    order.round = 3;
    order.archive_digest = kDigest;
    order.archive_size = 5000000000ull;
    order.skip = true;

    chu::Report report;
    report.epoch = 4;
    report.phase = 13;
    report.step = 1;
    report.round = 2;
    report.end.outcome = chu::Outcome::timeout;
    report.end.exit_code = -9;
    report.end.value = "migration-level 1.0";
    report.end.detail = std::string("line one\nline two\0with a NUL", 28);
    report.started_ms = 1000;
    report.finished_ms = 2000;

    chu::Fetch fetch;
    fetch.epoch = 5;
    fetch.phase = 8;
    fetch.step = 1;
    fetch.offset = 3u << 20;

    chu::Chunk chunk;
    chunk.epoch = 6;
    chunk.phase = 8;
    chunk.step = 1;
    chunk.offset = 1u << 20;
    for (int i = 0; i < 4096; ++i)
        chunk.data.push_back(static_cast<char>(i * 7));

    chu::Command command;
    command.id = 77;
    command.op = chu::Op::drop;
    command.node = "fe2.example.com";
    command.force = true;

    chu::Reply reply;
    reply.id = 78;
    reply.ok = true;
    reply.text = "cleanup approved";

    chu::PartFetch part_fetch;
    part_fetch.id = 79;
    part_fetch.offset = 256u << 10;

    chu::PartChunk part_chunk;
    part_chunk.id = 79;
    part_chunk.offset = 256u << 10;
    part_chunk.total = 300u << 10;
    part_chunk.data = std::string("journal.txt\0", 12);
    part_chunk.error = "the part could not be made";

    const chu::Pack pack{10, 14, 3};
    const chu::Packed packed{10, 14, 3, 10240, kDigest, "cannot read /etc/opscode-manage"};

    return {hello, beat, order, report, fetch, chunk, command, reply, part_fetch, part_chunk, pack, packed};
}

std::string frame_of(const chu::Message& m, const std::string& from = "be1.example.com")
{
    return chu::encode_frame(chu::Envelope{from, m});
}

std::string refusal_of(const std::string& frame)
{
    chu::Result<chu::Envelope> e = chu::decode_frame(frame);
    REQUIRE_FALSE(e);
    return e.error().message;
}

// Byte offset of the first field after the envelope: magic (3), version, type, then the sender string.
std::size_t body_offset(const std::string& from)
{
    return 3 + 1 + 1 + 4 + from.size();
}

// One of each record, every field away from its default.
std::vector<chu::Record> every_record()
{
    chu::JoinedRecord joined{kDigest, std::string(64, 'b'), std::string(64, 'c'), "key-1", 1700000000001};
    chu::StartedRecord started{5, 2, 1, 3, 1700000000002};
    chu::FinishedRecord finished{
        5, 2, 1, chu::Outcome::failed, -15, "level 3", "[ERROR] something\nlast line", 1700000000002, 1700000000009};
    chu::ReportRecord report{"fe2.example.com", 5, 2, 1, {chu::Outcome::skipped, 7, "v", "detail"}, -1, 1700000000010};
    chu::PhaseRecord phase{11, 1700000000011};
    chu::DecisionRecord decision{chu::Op::skip, "be2.example.com", 9, -1, 4, 1700000000012};
    const chu::DroppedRecord dropped{0x0102030405060708ull, 1700000000013};
    return {chu::EpochRecord{0x1122334455667788ull}, joined, started, finished, report, phase, decision, dropped};
}

std::string journal_of(const std::vector<chu::Record>& records, std::vector<std::size_t>* ends = nullptr)
{
    std::string out;
    for (const auto& r : records) {
        out += chu::encode_record(r);
        if (ends)
            ends->push_back(out.size());
    }
    return out;
}

std::vector<std::string> dumps(const std::vector<chu::Record>& records)
{
    std::vector<std::string> out;
    for (const auto& r : records)
        out.push_back(dump(r));
    return out;
}

}  // namespace

// ------------------------------------------------------------------------------------------ frames

TEST_CASE("every message survives a frame round trip with all its fields", "[wire]")
{
    const std::vector<chu::Message> messages = every_message();
    REQUIRE(messages.size() == std::variant_size_v<chu::Message>);
    for (std::size_t i = 0; i < messages.size(); ++i) {
        const chu::Message& m = messages[i];
        INFO(dump(m));
        REQUIRE(m.index() == i);
        // The fixture really is away from the defaults, so a dropped field would show.
        chu::Message blank = m;
        std::visit([](auto& v) { v = std::decay_t<decltype(v)>{}; }, blank);
        CHECK(dump(blank) != dump(m));

        const std::string frame = frame_of(m, "fe1.example.com");
        chu::Result<chu::Envelope> e = chu::decode_frame(frame);
        REQUIRE(e);
        CHECK(e->from == "fe1.example.com");
        CHECK(dump(e->message) == dump(m));
        CHECK(chu::encode_frame(e.value()) == frame);
    }
}

TEST_CASE("a beat carries every peer in order", "[wire]")
{
    chu::Beat beat = std::get<chu::Beat>(every_message()[1]);
    REQUIRE(beat.peers.size() == 4);
    chu::Result<chu::Envelope> e = chu::decode_frame(frame_of(beat));
    REQUIRE(e);
    const chu::Beat& got = std::get<chu::Beat>(e->message);
    REQUIRE(got.peers.size() == 4);
    for (std::size_t i = 0; i < 4; ++i) {
        CHECK(got.peers[i].name == beat.peers[i].name);
        CHECK(got.peers[i].phase == beat.peers[i].phase);
        CHECK(got.peers[i].last_heard_ms == beat.peers[i].last_heard_ms);
    }
    beat.peers.clear();
    chu::Result<chu::Envelope> none = chu::decode_frame(frame_of(beat));
    REQUIRE(none);
    CHECK(std::get<chu::Beat>(none->message).peers.empty());
}

TEST_CASE("a frame with the wrong magic is refused", "[wire]")
{
    for (std::size_t i = 0; i < 3; ++i) {
        std::string frame = frame_of(every_message()[0]);
        frame[i] = static_cast<char>(frame[i] ^ 0x20);
        CHECK_THAT(refusal_of(frame), Contains("not a chef-ha-upgrade frame"));
    }
}

TEST_CASE("a frame of another protocol version is refused, naming both versions", "[wire]")
{
    std::string frame = frame_of(every_message()[0]);
    REQUIRE(frame[3] == chu::wire_protocol_version);
    frame[3] = chu::wire_protocol_version - 1;
    const std::string why = refusal_of(frame);
    CHECK_THAT(why, Contains("protocol version " + std::to_string(chu::wire_protocol_version - 1)));
    CHECK_THAT(why, Contains("speaks " + std::to_string(chu::wire_protocol_version)));
    frame[3] = 0;
    CHECK_THAT(refusal_of(frame), Contains("protocol version 0"));
}

TEST_CASE("every truncation of every frame is refused", "[wire]")
{
    for (const chu::Message& m : every_message()) {
        const std::string frame = frame_of(m);
        INFO("type " << m.index() << ", " << frame.size() << " bytes");
        for (std::size_t n = 0; n < frame.size(); ++n) {
            INFO("first " << n << " bytes");
            CHECK_FALSE(chu::decode_frame(std::string_view(frame).substr(0, n)));
        }
    }
}

TEST_CASE("a frame with a byte after its last field is refused", "[wire]")
{
    for (const chu::Message& m : every_message()) {
        INFO("type " << m.index());
        CHECK_THAT(refusal_of(frame_of(m) + '\0'), Contains("trailing bytes"));
    }
}

TEST_CASE("a frame of an unknown message type is refused", "[wire]")
{
    constexpr int after_ours = static_cast<int>(std::variant_size_v<chu::Message>);
    for (int type : {after_ours, after_ours + 1, 127, 255}) {
        std::string frame = frame_of(every_message()[7]);
        frame[4] = static_cast<char>(type);
        CHECK_THAT(refusal_of(frame), Contains("unknown message type or value (type " + std::to_string(type) + ")"));
    }
}

TEST_CASE("a report with an outcome past the last one is refused", "[wire]")
{
    const std::string from = "be1.example.com";
    const std::string frame = frame_of(every_message()[3], from);
    const std::size_t at = body_offset(from) + 8 + 4 + 4 + 4;  // epoch, phase, step, round
    REQUIRE(static_cast<unsigned char>(frame[at]) == static_cast<unsigned char>(chu::Outcome::timeout));
    for (int v : {static_cast<int>(chu::Outcome::skipped) + 1, 200, 255}) {
        std::string bad = frame;
        bad[at] = static_cast<char>(v);
        CHECK_THAT(refusal_of(bad), Contains("unknown message type or value"));
    }
    std::string last = frame;
    last[at] = static_cast<char>(chu::Outcome::skipped);
    chu::Result<chu::Envelope> ok = chu::decode_frame(last);
    REQUIRE(ok);
    CHECK(std::get<chu::Report>(ok->message).end.outcome == chu::Outcome::skipped);
}

TEST_CASE("a command with an operation past the last one is refused", "[wire]")
{
    const std::string from = "be1.example.com";
    const std::string frame = frame_of(every_message()[6], from);
    const std::size_t at = body_offset(from) + 8;  // id
    REQUIRE(static_cast<unsigned char>(frame[at]) == static_cast<unsigned char>(chu::Op::drop));
    for (int v : {static_cast<int>(chu::last_op) + 1, 255}) {
        std::string bad = frame;
        bad[at] = static_cast<char>(v);
        CHECK_THAT(refusal_of(bad), Contains("unknown message type or value"));
    }
}

TEST_CASE("a frame without a sender is refused", "[wire]")
{
    for (const chu::Message& m : every_message()) {
        INFO("type " << m.index());
        CHECK_THAT(refusal_of(frame_of(m, "")), Contains("without a sender"));
    }
}

TEST_CASE("a frame over max_frame_size is refused before it is read", "[wire]")
{
    std::string frame = frame_of(every_message()[7]);
    frame.resize(chu::max_frame_size + 1, 'x');
    CHECK_THAT(refusal_of(frame), Contains("over the limit"));
    frame.resize(chu::max_frame_size);  // at the limit it is read, and refused for what follows the reply
    CHECK_THAT(refusal_of(frame), Contains("trailing bytes"));
}

TEST_CASE("a string whose length points past the end of the frame is refused", "[wire]")
{
    const std::string from = "be1.example.com";
    std::string frame = frame_of(every_message()[7], from);  // Reply: id, ok, text
    const std::size_t sender_length = 5;
    auto set_u32 = [&](std::size_t at, std::uint32_t v) {
        for (int i = 0; i < 4; ++i)
            frame[at + static_cast<std::size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
    };
    const std::string good = frame;
    for (std::uint32_t n : {static_cast<std::uint32_t>(frame.size()), 0x7fffffffu, 0xffffffffu}) {
        frame = good;
        set_u32(sender_length, n);
        CHECK_FALSE(chu::decode_frame(frame));
        frame = good;
        const std::size_t text_length = body_offset(from) + 8 + 1;
        set_u32(text_length, n);
        CHECK_FALSE(chu::decode_frame(frame));
    }
    // One past the end, exactly.
    frame = good;
    const std::size_t text_length = body_offset(from) + 8 + 1;
    set_u32(text_length, static_cast<std::uint32_t>(frame.size() - text_length - 4 + 1));
    CHECK_THAT(refusal_of(frame), Contains("truncated"));
}

TEST_CASE("a chunk bigger than chunk_size, and a beat claiming too many peers, are refused", "[wire]")
{
    chu::Chunk chunk;
    chunk.data = std::string(chu::chunk_size, 'd');
    REQUIRE(chu::decode_frame(frame_of(chunk)));
    chunk.data += 'd';
    CHECK_FALSE(chu::decode_frame(frame_of(chunk)));

    const std::string from = "be1.example.com";
    chu::Beat beat;
    std::string frame = frame_of(beat, from);
    // The peer count is the last field of an empty beat.
    const std::size_t at = frame.size() - 4;
    frame[at + 1] = 0x10;  // 4096
    CHECK_FALSE(chu::decode_frame(frame));
    frame[at + 1] = 0x7f;
    CHECK_FALSE(chu::decode_frame(frame));
}

// ------------------------------------------------------------------------------------------ journal

TEST_CASE("every record survives the journal round trip with all its fields", "[journal]")
{
    const std::vector<chu::Record> records = every_record();
    REQUIRE(records.size() == std::variant_size_v<chu::Record>);
    for (std::size_t i = 0; i < records.size(); ++i) {
        INFO(dump(records[i]));
        REQUIRE(records[i].index() == i);
        chu::Record blank = records[i];
        std::visit([](auto& v) { v = std::decay_t<decltype(v)>{}; }, blank);
        CHECK(dump(blank) != dump(records[i]));
    }
    const std::string journal = journal_of(records);
    const chu::JournalScan scan = chu::scan_journal(journal);
    CHECK(scan.problem.empty());
    CHECK(scan.valid_bytes == journal.size());
    CHECK(dumps(scan.records) == dumps(records));
}

TEST_CASE("a journal cut anywhere inside its last record keeps exactly the records before it", "[journal]")
{
    const std::vector<chu::Record> records = every_record();
    std::vector<std::size_t> ends;
    const std::string journal = journal_of(records, &ends);
    const std::size_t last_start = ends[ends.size() - 2];
    const std::vector<std::string> kept = dumps({records.begin(), records.end() - 1});

    const chu::JournalScan clean = chu::scan_journal(std::string_view(journal).substr(0, last_start));
    CHECK(clean.problem.empty());
    CHECK(clean.valid_bytes == last_start);
    CHECK(dumps(clean.records) == kept);

    for (std::size_t cut = last_start + 1; cut < journal.size(); ++cut) {
        INFO("cut at " << cut << " of " << journal.size());
        const chu::JournalScan scan = chu::scan_journal(std::string_view(journal).substr(0, cut));
        CHECK(dumps(scan.records) == kept);
        CHECK(scan.valid_bytes == last_start);
        CHECK_THAT(scan.problem, Contains("torn"));
        CHECK_THAT(scan.problem, Contains("at byte " + std::to_string(last_start)));
    }
}

TEST_CASE("a flipped byte in the middle record stops the scan there with a checksum problem", "[journal]")
{
    const std::vector<chu::Record> records = {every_record()[0], every_record()[3], every_record()[6]};
    std::vector<std::size_t> ends;
    const std::string journal = journal_of(records, &ends);
    const std::size_t start = ends[0], end = ends[1];
    // Past the length field: the checksum itself, then the payload.
    for (std::size_t at = start + 4; at < end; ++at) {
        INFO("byte " << at);
        std::string bad = journal;
        bad[at] = static_cast<char>(bad[at] ^ 0x01);
        const chu::JournalScan scan = chu::scan_journal(bad);
        CHECK(dumps(scan.records) == dumps({records[0]}));
        CHECK(scan.valid_bytes == start);
        CHECK_THAT(scan.problem, Contains("checksum"));
        CHECK_THAT(scan.problem, Contains("at byte " + std::to_string(start)));
    }
}

TEST_CASE("an empty journal is clean", "[journal]")
{
    const chu::JournalScan scan = chu::scan_journal("");
    CHECK(scan.records.empty());
    CHECK(scan.valid_bytes == 0);
    CHECK(scan.problem.empty());
}

TEST_CASE("a well-checksummed record of an unknown type, version or outcome is not read", "[journal]")
{
    // Re-checksums an edited payload, as a bug rather than a torn write would produce it.
    auto reframed = [](const std::string& record, std::size_t at, char value) {
        std::string payload = record.substr(12);
        payload[at] = value;
        std::string out = record.substr(0, 4);
        const std::uint64_t sum = chu::checksum64(payload);
        for (int i = 0; i < 8; ++i)
            out.push_back(static_cast<char>((sum >> (8 * i)) & 0xff));
        return out + payload;
    };
    const std::string first = chu::encode_record(every_record()[0]);
    const std::string finished = chu::encode_record(every_record()[3]);
    const std::string decision = chu::encode_record(every_record()[6]);

    const std::size_t outcome_at = 2 + 4 + 4 + 4;  // version, type, phase, step, round
    REQUIRE(static_cast<unsigned char>(finished[12 + outcome_at]) == static_cast<unsigned char>(chu::Outcome::failed));
    for (const std::string& bad : {reframed(finished, 0, 9),           // a newer format
                                   reframed(finished, 1, 7),           // type
                                   reframed(finished, outcome_at, 4),  // outcome
                                   reframed(decision, 2, static_cast<char>(chu::last_op) + 1)}) {
        const chu::JournalScan scan = chu::scan_journal(first + bad + first);
        CHECK(scan.records.size() == 1);
        CHECK(scan.valid_bytes == first.size());
        CHECK_THAT(scan.problem, Contains("unreadable record"));
    }
}

TEST_CASE("a record length beyond the file or the record limit is torn, not read", "[journal]")
{
    const std::string first = chu::encode_record(every_record()[0]);
    std::string second = chu::encode_record(every_record()[1]);
    second[3] = static_cast<char>(0x7f);
    const chu::JournalScan scan = chu::scan_journal(first + second);
    CHECK(scan.records.size() == 1);
    CHECK(scan.valid_bytes == first.size());
    CHECK_THAT(scan.problem, Contains("torn record at byte " + std::to_string(first.size())));
}

// ------------------------------------------------------------------------------------------ found by these tests, fixed

TEST_CASE("a record encode_record writes is read back, however long the command's output", "[journal]")
{
    chu::FinishedRecord finished = std::get<chu::FinishedRecord>(every_record()[3]);
    finished.end.detail = std::string((1u << 20) + 1024, 'o');
    const std::vector<chu::Record> records = {every_record()[0], finished, every_record()[5]};
    const std::string journal = journal_of(records);
    const chu::JournalScan scan = chu::scan_journal(journal);
    CHECK(scan.problem.empty());
    CHECK(scan.valid_bytes == journal.size());
    CHECK(dumps(scan.records) == dumps(records));
}

TEST_CASE("a report encode_frame writes well under max_frame_size is read back", "[wire]")
{
    chu::Report report = std::get<chu::Report>(every_message()[3]);
    report.end.detail = std::string((64u << 10) + 1, 'o');
    const std::string frame = frame_of(report);
    REQUIRE(frame.size() < chu::max_frame_size / 4);
    chu::Result<chu::Envelope> e = chu::decode_frame(frame);
    CHECK(e);
}

TEST_CASE("a copy's archive digest is BLAKE2b-256, the published test vectors", "[codec][digest]")
{
    // RFC 7693's BLAKE2b at 32 bytes (Python's hashlib.blake2b(digest_size=32) gives the same).
    CHECK(chu::archive_digest("") == "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
    CHECK(chu::archive_digest("abc") == "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
}
