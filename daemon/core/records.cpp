#include "records.hpp"

#include "codec.hpp"
#include "digest.hpp"

namespace chu {

namespace {

constexpr std::uint8_t record_version = 1;
constexpr std::size_t max_record = 64u << 20;  // far above any record; a torn length is caught by the data's end

struct Encode {
    Writer& w;
    void operator()(const EpochRecord& r) { w.u64(r.epoch); }
    void operator()(const JoinedRecord& r)
    {
        w.str(r.topology_digest);
        w.str(r.plan_digest);
        w.str(r.package_digest);
        w.str(r.key_id);
        w.i64(r.at_ms);
    }
    void operator()(const StartedRecord& r)
    {
        w.u32(static_cast<std::uint32_t>(r.phase));
        w.u32(static_cast<std::uint32_t>(r.step));
        w.u32(r.round);
        w.u32(r.attempt);
        w.i64(r.at_ms);
    }
    void operator()(const FinishedRecord& r)
    {
        w.u32(static_cast<std::uint32_t>(r.phase));
        w.u32(static_cast<std::uint32_t>(r.step));
        w.u32(r.round);
        w.u8(static_cast<std::uint8_t>(r.outcome));
        w.u32(static_cast<std::uint32_t>(r.exit_code));
        w.str(r.value);
        w.str(r.detail);
        w.i64(r.started_ms);
        w.i64(r.at_ms);
    }
    void operator()(const ReportRecord& r)
    {
        w.str(r.node);
        w.u32(static_cast<std::uint32_t>(r.phase));
        w.u32(static_cast<std::uint32_t>(r.step));
        w.u32(r.round);
        w.u8(static_cast<std::uint8_t>(r.outcome));
        w.str(r.value);
        w.str(r.detail);
        w.i64(r.started_ms);
        w.i64(r.finished_ms);
    }
    void operator()(const PhaseRecord& r)
    {
        w.u32(static_cast<std::uint32_t>(r.phase));
        w.i64(r.at_ms);
    }
    void operator()(const DecisionRecord& r)
    {
        w.u8(static_cast<std::uint8_t>(r.op));
        w.str(r.node);
        w.u32(static_cast<std::uint32_t>(r.phase));
        w.u32(static_cast<std::uint32_t>(r.step));
        w.u32(r.round);
        w.i64(r.at_ms);
    }
};

bool decode_body(std::uint8_t type, Reader& r, Record& out)
{
    auto i32 = [&] { return static_cast<std::int32_t>(r.u32()); };
    auto outcome = [&](Outcome& o) {
        const std::uint8_t v = r.u8();
        o = static_cast<Outcome>(v);
        return v <= static_cast<std::uint8_t>(Outcome::skipped);
    };
    bool ok = true;
    switch (type) {
    case 0: out = EpochRecord{r.u64()}; break;
    case 1: {
        JoinedRecord j;
        j.topology_digest = r.str(128);
        j.plan_digest = r.str(128);
        j.package_digest = r.str(128);
        j.key_id = r.str(128);
        j.at_ms = r.i64();
        out = j;
        break;
    }
    case 2: {
        StartedRecord s;
        s.phase = i32();
        s.step = i32();
        s.round = r.u32();
        s.attempt = r.u32();
        s.at_ms = r.i64();
        out = s;
        break;
    }
    case 3: {
        FinishedRecord f;
        f.phase = i32();
        f.step = i32();
        f.round = r.u32();
        ok = outcome(f.outcome);
        f.exit_code = i32();
        f.value = r.str();
        f.detail = r.str();
        f.started_ms = r.i64();
        f.at_ms = r.i64();
        out = f;
        break;
    }
    case 4: {
        ReportRecord p;
        p.node = r.str(256);
        p.phase = i32();
        p.step = i32();
        p.round = r.u32();
        ok = outcome(p.outcome);
        p.value = r.str();
        p.detail = r.str();
        p.started_ms = r.i64();
        p.finished_ms = r.i64();
        out = p;
        break;
    }
    case 5: {
        PhaseRecord p;
        p.phase = i32();
        p.at_ms = r.i64();
        out = p;
        break;
    }
    case 6: {
        DecisionRecord d;
        const std::uint8_t op = r.u8();
        ok = op <= static_cast<std::uint8_t>(last_op);
        d.op = static_cast<Op>(op);
        d.node = r.str(256);
        d.phase = i32();
        d.step = i32();
        d.round = r.u32();
        d.at_ms = r.i64();
        out = d;
        break;
    }
    default: return false;
    }
    return ok && r.complete();
}

}  // namespace

std::string encode_record(const Record& record)
{
    Writer payload;
    payload.u8(record_version);
    payload.u8(static_cast<std::uint8_t>(record.index()));
    std::visit(Encode{payload}, record);
    Writer frame;
    frame.u32(static_cast<std::uint32_t>(payload.bytes().size()));
    frame.u64(checksum64(payload.bytes()));
    frame.bytes() += payload.bytes();
    return std::move(frame.bytes());
}

JournalScan scan_journal(std::string_view data)
{
    JournalScan scan;
    constexpr std::size_t header = 12;
    std::size_t pos = 0;
    while (pos < data.size()) {
        if (data.size() - pos < header) {
            scan.problem = "torn record header at byte " + std::to_string(pos);
            break;
        }
        Reader h(data.substr(pos, header));
        const std::uint32_t len = h.u32();
        const std::uint64_t sum = h.u64();
        if (len > max_record || len > data.size() - pos - header) {
            scan.problem = "torn record at byte " + std::to_string(pos);
            break;
        }
        const std::string_view payload = data.substr(pos + header, len);
        if (checksum64(payload) != sum) {
            scan.problem = "checksum mismatch at byte " + std::to_string(pos);
            break;
        }
        Reader r(payload);
        const std::uint8_t version = r.u8();
        const std::uint8_t type = r.u8();
        Record rec;
        if (version != record_version || !decode_body(type, r, rec)) {
            scan.problem = "unreadable record (version " + std::to_string(version) + ", type " + std::to_string(type) +
                           ") at byte " + std::to_string(pos);
            break;
        }
        scan.records.push_back(std::move(rec));
        pos += header + len;
        scan.valid_bytes = pos;
    }
    return scan;
}

}  // namespace chu
