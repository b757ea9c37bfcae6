// The node's journal on disk (<state_dir>/journal): every record appended, checksummed and fdatasync'ed
// before the daemon acts on it; a torn or corrupt tail is cut off at start.
#pragma once

#include "core/records.hpp"
#include "core/result.hpp"
#include "posix/posix.hpp"

#include <string>
#include <vector>

namespace chu {

class JournalFile {
public:
    // Creates state_dir (0700) and the journal (0600) if needed, reads every good record, and truncates a
    // torn last record (`dropped` says what was dropped, empty when nothing was). A bad record with more
    // behind it is no torn write (ErrorKind::data), and a whole record of a newer format is not ours to read
    // (ErrorKind::config): either way the file is left as it is.
    static Result<JournalFile> open(const std::string& state_dir);

    const std::vector<Record>& records() const { return records_; }
    const std::string& dropped() const { return dropped_; }
    const std::string& path() const { return path_; }

    // Appends the records in one write and one fdatasync: durable when this returns Ok.
    Status append(const std::vector<Record>& records);

private:
    JournalFile(Fd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
    Fd fd_;
    std::string path_;
    std::vector<Record> records_;
    std::string dropped_;
};

}  // namespace chu
