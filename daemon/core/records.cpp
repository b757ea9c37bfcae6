#include "records.hpp"

#include "codec.hpp"
#include "digest.hpp"

namespace chu {

namespace {

constexpr std::uint8_t oldest_format = 1;
constexpr std::size_t max_record = 64u << 20;  // far above any record; a torn length is caught by the data's end

}  // namespace

// The field lists (codec.hpp): in chu itself, where the codec's templates find them.
template <class F>
void fields(F& f, EpochRecord& r)
{
    f.u64(r.epoch);
}

template <class F>
void fields(F& f, JoinedRecord& r)
{
    f.str(r.topology_digest, 128);
    f.str(r.plan_digest, 128);
    f.str(r.package_digest, 128);
    f.str(r.key_id, 128);
    f.i64(r.at_ms);
}

template <class F>
void fields(F& f, StartedRecord& r)
{
    f.i32(r.phase);
    f.i32(r.step);
    f.u32(r.round);
    f.u32(r.attempt);
    f.i64(r.at_ms);
}

template <class F>
void fields(F& f, FinishedRecord& r)
{
    f.i32(r.phase);
    f.i32(r.step);
    f.u32(r.round);
    fields(f, r.end);
    f.i64(r.started_ms);
    f.i64(r.at_ms);
}

template <class F>
void fields(F& f, ReportRecord& r)
{
    f.str(r.node, 256);
    f.i32(r.phase);
    f.i32(r.step);
    f.u32(r.round);
    if (f.format >= 2) {
        fields(f, r.end);
    } else {  // format 1 kept no exit status
        f.choice(r.end.outcome, Outcome::skipped);
        f.str(r.end.value, max_record);
        f.str(r.end.detail, max_record);
    }
    f.i64(r.started_ms);
    f.i64(r.finished_ms);
}

template <class F>
void fields(F& f, PhaseRecord& r)
{
    f.i32(r.phase);
    f.i64(r.at_ms);
}

template <class F>
void fields(F& f, DecisionRecord& r)
{
    f.choice(r.op, last_op);
    f.str(r.node, 256);
    f.i32(r.phase);
    f.i32(r.step);
    f.u32(r.round);
    f.i64(r.at_ms);
    if (f.format < 2 && r.op == Op::approve)
        r.phase = r.step = approval_gate_unnamed;  // format 1 named no gate (only encoders of today write)
}

template <class F>
void fields(F& f, DroppedRecord& r)
{
    f.u64(r.epoch);
    f.i64(r.at_ms);
}

static_assert(tags_unique<Record>(), "two records share a journal tag");

std::string encode_record(const Record& record)
{
    Writer payload;
    payload.u8(journal_format_version);
    payload.u8(tag_of(record));
    Put put{payload, journal_format_version};
    put_fields(put, record);
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
        Get get{r, version};
        const bool known_format = version >= oldest_format && version <= journal_format_version;
        if (!known_format || !get_fields(get, type, rec) || !get.known || !r.complete()) {
            scan.problem = "unreadable record (format " + std::to_string(version) + ", type " + std::to_string(type) +
                           ") at byte " + std::to_string(pos) + "; this daemon reads formats " + std::to_string(oldest_format) +
                           "-" + std::to_string(journal_format_version);
            scan.unreadable = true;
            break;
        }
        scan.records.push_back(std::move(rec));
        pos += header + len;
        scan.valid_bytes = pos;
    }
    return scan;
}

}  // namespace chu
