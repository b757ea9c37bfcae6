// The journal on a real file: durable appends, torn tails cut at open, private modes.
#include "journal/journal_file.hpp"
#include "temp_dir.hpp"

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
    struct stat st{};
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
    CHECK(std::get<FinishedRecord>(j->records()[2]).value == "v");
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
    struct stat st{};
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
    bool corrupt = false;
    auto j = JournalFile::open(state, &corrupt);
    REQUIRE_FALSE(j);
    CHECK(corrupt);
    CHECK_THAT(j.error().message, Catch::Contains("not a torn write") && Catch::Contains(path));
    CHECK(size_of(path) == size);  // nothing cut
}
