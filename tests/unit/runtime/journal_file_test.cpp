// The journal on a real file: durable appends, torn tails cut at open, private modes.
#include "core/digest.hpp"
#include "journal/journal_file.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

using namespace chu;

namespace {

using chu::test::TempDir;

off_t size_of(const std::string& path)
{
    struct stat st {};
    stat(path.c_str(), &st);
    return st.st_size;
}

}  // namespace

TEST_CASE("records appended to the journal are read back after a restart", "[journal]")
{
    TempDir dir;
    const std::string state = dir.str() + "/state";
    {
        auto j = JournalFile::open(state);
        REQUIRE(j);
        CHECK(j->records().empty());
        REQUIRE(j->append({EpochRecord{3}, PhaseRecord{1, 1234}}));
        REQUIRE(j->append({FinishedRecord{2, 0, 0, Outcome::ok, 0, "v", "d", 10, 20}}));
    }
    auto j = JournalFile::open(state);
    REQUIRE(j);
    REQUIRE(j->records().size() == 3);
    CHECK(std::get<EpochRecord>(j->records()[0]).epoch == 3);
    CHECK(std::get<FinishedRecord>(j->records()[2]).end.value == "v");
    CHECK(j->dropped().empty());
}

TEST_CASE("a torn last record is cut off at start and the good ones are kept", "[journal]")
{
    TempDir dir;
    const std::string state = dir.str() + "/state";
    {
        auto j = JournalFile::open(state);
        REQUIRE(j);
        REQUIRE(j->append({EpochRecord{1}, EpochRecord{2}}));
    }
    const std::string path = state + "/journal";
    const off_t good = size_of(path);
    const std::string record = encode_record(PhaseRecord{4, 99});
    for (std::size_t cut = 1; cut < record.size(); ++cut) {
        REQUIRE(truncate(path.c_str(), good) == 0);
        std::ofstream(path, std::ios::app | std::ios::binary) << record.substr(0, cut);
        auto j = JournalFile::open(state);
        REQUIRE(j);
        CHECK(j->records().size() == 2);
        CHECK_FALSE(j->dropped().empty());
        CHECK(size_of(path) == good);  // the tail is gone from the file, not only skipped
    }
    // And appending after the cut continues a valid journal.
    auto j = JournalFile::open(state);
    REQUIRE(j->append({PhaseRecord{5, 1}}));
    auto again = JournalFile::open(state);
    CHECK(again->records().size() == 3);
}

TEST_CASE("the state directory is 0700 and the journal 0600", "[journal]")
{
    TempDir dir;
    const std::string state = dir.str() + "/state";
    REQUIRE(JournalFile::open(state));
    struct stat st {};
    REQUIRE(stat(state.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
    REQUIRE(stat((state + "/journal").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("a state directory that cannot be created is an error naming it", "[journal]")
{
    auto j = JournalFile::open("/proc/chu-no-such/state");
    REQUIRE_FALSE(j);
    CHECK(j.error().message.find("/proc/chu-no-such/state") != std::string::npos);
}

TEST_CASE("damage in the middle of the journal stops the start and cuts nothing", "[journal]")
{
    TempDir dir;
    const std::string state = dir.str() + "/state";
    {
        auto j = JournalFile::open(state);
        REQUIRE(j);
        REQUIRE(j->append({EpochRecord{1}, EpochRecord{2}, EpochRecord{3}}));
    }
    const std::string path = state + "/journal";
    const off_t size = size_of(path);
    {
        // Flip a byte inside the second record's payload: its checksum fails, and a good record follows.
        std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
        const auto second = static_cast<std::streamoff>(encode_record(EpochRecord{1}).size() + 14);
        f.seekg(second);
        char c = 0;
        f.get(c);
        f.seekp(second);
        f.put(static_cast<char>(c ^ 0x5a));
    }
    auto j = JournalFile::open(state);
    REQUIRE_FALSE(j);
    CHECK(j.error().kind == ErrorKind::data);
    CHECK_THAT(j.error().message, Catch::Contains("not a torn write") && Catch::Contains(path));
    CHECK(size_of(path) == size);  // nothing cut
}

TEST_CASE("a whole record of a newer journal format is refused with both formats named, and nothing is cut", "[journal]")
{
    TempDir dir;
    const std::string state = dir.str() + "/state", path = state + "/journal";
    {
        auto j = JournalFile::open(state);
        REQUIRE(j);
        REQUIRE(j->append({EpochRecord{1}, EpochRecord{2}}));
    }
    {
        // The second record as a newer daemon would write it: format 9, checksummed again.
        std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
        std::string data((std::istreambuf_iterator<char>(f)), {});
        const std::size_t second = encode_record(EpochRecord{1}).size();
        std::string payload = data.substr(second + 12);
        payload[0] = 9;
        const std::uint64_t sum = checksum64(payload);
        for (int i = 0; i < 8; ++i)
            data[second + 4 + static_cast<std::size_t>(i)] = static_cast<char>((sum >> (8 * i)) & 0xff);
        data.replace(second + 12, payload.size(), payload);
        f.seekp(0);
        f.write(data.data(), static_cast<std::streamsize>(data.size()));
    }
    const auto size = size_of(path);
    auto j = JournalFile::open(state);
    REQUIRE_FALSE(j);
    CHECK(j.error().kind == ErrorKind::config);
    CHECK_THAT(j.error().message, Catch::Contains("format 9") &&
                                      Catch::Contains("reads formats 1-" + std::to_string(journal_format_version)) &&
                                      Catch::Contains("Install the chef-ha-upgrade version that wrote it"));
    CHECK(size_of(path) == size);  // a newer daemon's record is not a torn tail
}
