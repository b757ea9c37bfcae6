#include "journal/journal_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace chu {

namespace {

// Whether the bad data at `at` is a record cut short by a crash: its header says it reaches the end of the
// file (or the header itself is cut). A write is appended in one go, so only the last record can be torn.
bool torn_tail(const std::string& data, std::size_t at)
{
    constexpr std::size_t header = 4 + 8;  // length, checksum
    if (data.size() - at < header)
        return true;
    std::uint32_t length = 0;
    for (int i = 0; i < 4; ++i)
        length |= static_cast<std::uint32_t>(static_cast<unsigned char>(data[at + i])) << (8 * i);
    return at + header + length >= data.size();
}

}  // namespace

Result<JournalFile> JournalFile::open(const std::string& state_dir)
{
    if (mkdir(state_dir.c_str(), 0700) != 0 && errno != EEXIST)
        return os_error("cannot create the state directory", state_dir);
    chmod(state_dir.c_str(), 0700);
    const std::string path = state_dir + "/journal";
    const bool existed = access(path.c_str(), F_OK) == 0;
    Fd opened(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!opened.ok())
        return os_error("cannot open the journal", path);
    const int fd = opened.get();
    JournalFile journal(std::move(opened), path);
    if (!existed) {  // the new file's name must survive a crash too
        if (auto synced = sync_path(state_dir, true); !synced)
            return synced.error();
    }
    auto read = read_all(fd, "the journal " + path);
    if (!read)
        return read.error();
    const std::string& data = read.value();
    JournalScan scan = scan_journal(data);
    journal.records_ = std::move(scan.records);
    if (scan.unreadable)  // whole, but written by a newer daemon: nothing is cut, nothing misread
        return Error{path + ": " + scan.problem +
                         ". Install the chef-ha-upgrade version that wrote it (every node runs "
                         "the same); the journal was left as it is",
                     ErrorKind::config};
    if (scan.valid_bytes != data.size() && !torn_tail(data, scan.valid_bytes)) {
        return Error{path + ": the record at byte " + std::to_string(scan.valid_bytes) + " is bad (" + scan.problem + ") and " +
                         std::to_string(data.size() - scan.valid_bytes) +
                         " bytes follow it: this is damage, not a torn write, "
                         "so nothing was cut. Keep the file for a post-mortem; to start this node over, move it aside "
                         "(the node then rejoins as new)",
                     ErrorKind::data};
    }
    if (scan.valid_bytes != data.size()) {
        journal.dropped_ =
            std::to_string(data.size() - scan.valid_bytes) + " byte(s) after the last good record (" + scan.problem + ")";
        if (ftruncate(fd, static_cast<off_t>(scan.valid_bytes)) != 0 || fdatasync(fd) != 0)
            return os_error("cannot cut the torn tail of the journal", path);
    }
    if (lseek(fd, 0, SEEK_END) < 0)
        return os_error("cannot seek in the journal", path);
    return journal;
}

Status JournalFile::append(const std::vector<Record>& records)
{
    std::string bytes;
    for (const auto& r : records)
        bytes += encode_record(r);
    if (auto written = write_all(fd_.get(), bytes, "the journal " + path_); !written)
        return written;
    if (fdatasync(fd_.get()) != 0)
        return os_error("cannot sync the journal", path_);
    return Ok{};
}

}  // namespace chu
