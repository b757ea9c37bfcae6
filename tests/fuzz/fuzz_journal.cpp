// scan_journal on arbitrary bytes: a torn, corrupted or foreign journal file at start. The records it
// keeps are exactly the file's good prefix: encoding them again gives those bytes back.
#include "core/records.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view journal(reinterpret_cast<const char*>(data), size);
    const chu::JournalScan scan = chu::scan_journal(journal);
    CHU_FUZZ_CHECK(scan.valid_bytes <= size);
    CHU_FUZZ_CHECK(scan.problem.empty() == (scan.valid_bytes == size));
    std::string again;
    for (const auto& record : scan.records)
        again += chu::encode_record(record);
    CHU_FUZZ_CHECK(again == journal.substr(0, scan.valid_bytes));
    return 0;
}
