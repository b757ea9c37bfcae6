#include "journal/journal_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace chu {

namespace {

Error os_error(const std::string& what, const std::string& path)
{
    return Error{what + " " + path + ": " + std::strerror(errno)};
}

// The new file's name must survive a crash too.
bool fsync_dir(const std::string& dir)
{
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return false;
    const bool ok = fsync(fd) == 0;
    close(fd);
    return ok;
}

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
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return os_error("cannot open the journal", path);
    JournalFile journal(fd, path);
    if (!existed && !fsync_dir(state_dir))
        return os_error("cannot sync the state directory", state_dir);

    std::string data;
    char buf[1 << 16];
    for (;;) {
        const ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return os_error("cannot read the journal", path);
        if (n == 0)
            break;
        data.append(buf, static_cast<std::size_t>(n));
    }
    JournalScan scan = scan_journal(data);
    journal.records_ = std::move(scan.records);
    if (scan.unreadable)  // whole, but written by a newer daemon: nothing is cut, nothing misread
        return Error{path + ": " + scan.problem + ". Install the chef-ha-upgrade version that wrote it (every node runs "
                     "the same); the journal was left as it is", ErrorKind::config};
    if (scan.valid_bytes != data.size() && !torn_tail(data, scan.valid_bytes)) {
        return Error{path + ": the record at byte " + std::to_string(scan.valid_bytes) + " is bad (" + scan.problem + ") and " +
                     std::to_string(data.size() - scan.valid_bytes) + " bytes follow it: this is damage, not a torn write, "
                     "so nothing was cut. Keep the file for a post-mortem; to start this node over, move it aside "
                     "(the node then rejoins as new)", ErrorKind::data};
    }
    if (scan.valid_bytes != data.size()) {
        journal.dropped_ = std::to_string(data.size() - scan.valid_bytes) + " byte(s) after the last good record (" +
                           scan.problem + ")";
        if (ftruncate(fd, static_cast<off_t>(scan.valid_bytes)) != 0 || fdatasync(fd) != 0)
            return os_error("cannot cut the torn tail of the journal", path);
    }
    if (lseek(fd, 0, SEEK_END) < 0)
        return os_error("cannot seek in the journal", path);
    return journal;
}

JournalFile::JournalFile(JournalFile&& other) noexcept
    : fd_(other.fd_), path_(std::move(other.path_)), records_(std::move(other.records_)), dropped_(std::move(other.dropped_))
{
    other.fd_ = -1;
}

JournalFile::~JournalFile()
{
    if (fd_ >= 0)
        close(fd_);
}

Status JournalFile::append(const std::vector<Record>& records)
{
    std::string bytes;
    for (const auto& r : records)
        bytes += encode_record(r);
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = write(fd_, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return os_error("cannot write the journal", path_);
        done += static_cast<std::size_t>(n);
    }
    if (fdatasync(fd_) != 0)
        return os_error("cannot sync the journal", path_);
    return Ok{};
}

}  // namespace chu
