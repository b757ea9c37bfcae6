// Journal records: what a node has decided and done, appended and fsynced before it is acted on.
#pragma once

#include "wire.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace chu {

// Every record carries a pinned type tag on disk: a new record takes a new number, never a reused one.
constexpr std::uint8_t journal_format_version = 3;  // 2: ReportRecord keeps the exit status; 3: Op drop, DroppedRecord

// A leader's epoch (bumped at each start), or the highest epoch a follower has obeyed.
struct EpochRecord {
    static constexpr std::uint8_t tag = 0;
    std::uint64_t epoch = 0;
};

// The agreement reached at join; a node that comes back must still match it.
struct JoinedRecord {
    static constexpr std::uint8_t tag = 1;
    std::string topology_digest;
    std::string plan_digest;
    std::string package_digest;
    std::string key_id;
    std::int64_t at_ms = 0;
};

// This node begins an attempt of a step. A Started without a Finished means it died mid-step.
struct StartedRecord {
    static constexpr std::uint8_t tag = 2;
    std::int32_t phase = 0;
    std::int32_t step = 0;
    std::uint32_t round = 0;
    std::uint32_t attempt = 0;
    std::int64_t at_ms = 0;
};

// This node's final result of a step in a round (after its retries).
struct FinishedRecord {
    static constexpr std::uint8_t tag = 3;
    std::int32_t phase = 0;
    std::int32_t step = 0;
    std::uint32_t round = 0;
    StepOutcome end;
    std::int64_t started_ms = 0;
    std::int64_t at_ms = 0;
    bool operator==(const FinishedRecord& o) const
    {
        return phase == o.phase && step == o.step && round == o.round && end == o.end && started_ms == o.started_ms &&
               at_ms == o.at_ms;
    }
};

// Leader: a node's reported result, kept for the timeline and for a restart.
struct ReportRecord {
    static constexpr std::uint8_t tag = 4;
    std::string node;
    std::int32_t phase = 0;
    std::int32_t step = 0;
    std::uint32_t round = 0;
    StepOutcome end;
    std::int64_t started_ms = 0;
    std::int64_t finished_ms = 0;
    bool operator==(const ReportRecord& o) const
    {
        return node == o.node && phase == o.phase && step == o.step && round == o.round && end == o.end &&
               started_ms == o.started_ms && finished_ms == o.finished_ms;
    }
};

// Leader: every node has finished phase `phase`.
struct PhaseRecord {
    static constexpr std::uint8_t tag = 5;
    std::int32_t phase = 0;
    std::int64_t at_ms = 0;
};

// Leader: an operator decision (retry and skip name the node and step they apply to).
// An approval read from a format-1 journal, which named no gate: the plan's one approval gate.
constexpr std::int32_t approval_gate_unnamed = -1;

struct DecisionRecord {
    static constexpr std::uint8_t tag = 6;
    Op op = Op::start;
    std::string node;
    std::int32_t phase = 0;
    std::int32_t step = 0;
    std::uint32_t round = 0;
    std::int64_t at_ms = 0;
    bool operator==(const DecisionRecord& o) const
    {
        return op == o.op && node == o.node && phase == o.phase && step == o.step && round == o.round && at_ms == o.at_ms;
    }
};

// A follower: the leader says the operator dropped this node from the upgrade. It runs nothing more, and
// stops again at every start.
struct DroppedRecord {
    static constexpr std::uint8_t tag = 7;
    std::uint64_t epoch = 0;  // the leader's epoch that said it
    std::int64_t at_ms = 0;
};

using Record = std::variant<EpochRecord, JoinedRecord, StartedRecord, FinishedRecord, ReportRecord, PhaseRecord, DecisionRecord,
                            DroppedRecord>;

// [u32 payload length][u64 checksum of payload][payload: version, type, fields]
std::string encode_record(const Record& record);

struct JournalScan {
    std::vector<Record> records;
    std::size_t valid_bytes = 0;  // the journal's good prefix; what follows is dropped
    std::string problem;          // why the tail was dropped, empty when the file ended cleanly
    // The record at valid_bytes is whole (its checksum holds) but of a format or type this daemon does not
    // read: a newer daemon wrote it. It must be refused, never cut off as a torn tail.
    bool unreadable = false;
};

// Reads records until the end or the first torn, corrupt or unknown one.
JournalScan scan_journal(std::string_view data);

}  // namespace chu
