// scan_journal on arbitrary bytes: a torn, corrupted or foreign journal file at start. The records it
// keeps are exactly the file's good prefix: encoding them again gives those bytes back, or, for records an
// older daemon wrote, today's encoding of them, which reads back whole and the same.
#include "core/codec.hpp"
#include "core/records.hpp"
#include "fuzz_check.hpp"

namespace {

std::string encode_all(const std::vector<chu::Record>& records)
{
    std::string out;
    for (const auto& record : records)
        out += chu::encode_record(record);
    return out;
}

// Whether every record of a good prefix is of today's format (the payload's first byte).
bool all_current(std::string_view prefix)
{
    constexpr std::size_t header = 12;
    for (std::size_t pos = 0; pos < prefix.size();) {
        chu::Reader h(prefix.substr(pos, header));
        const std::uint32_t len = h.u32();
        if (static_cast<std::uint8_t>(prefix[pos + header]) != chu::journal_format_version)
            return false;
        pos += header + len;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view journal(reinterpret_cast<const char*>(data), size);
    const chu::JournalScan scan = chu::scan_journal(journal);
    CHU_FUZZ_CHECK(scan.valid_bytes <= size);
    CHU_FUZZ_CHECK(scan.problem.empty() == (scan.valid_bytes == size));
    const std::string again = encode_all(scan.records);
    const std::string_view prefix = journal.substr(0, scan.valid_bytes);
    if (all_current(prefix)) {
        CHU_FUZZ_CHECK(again == prefix);
    } else {
        const chu::JournalScan reread = chu::scan_journal(again);
        CHU_FUZZ_CHECK(reread.valid_bytes == again.size() && reread.records.size() == scan.records.size());
        CHU_FUZZ_CHECK(encode_all(reread.records) == again);
    }
    return 0;
}
