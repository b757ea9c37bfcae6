// Whole files: reading one with an error that names the path and the reason, hashing one in pieces, and
// writing one so that after a crash it is either the old or the new content, never a mix; and the file
// descriptor that closes itself.
#pragma once

#include "core/result.hpp"

#include <sys/types.h>
#include <unistd.h>

#include <string>
#include <string_view>

namespace chu {

// Owns an open file descriptor (or -1, from a failed open).
class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd()
    {
        if (fd_ >= 0)
            close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    // Closes now, so that a failing close (a lost write) is reported.
    bool close_checked()
    {
        const int fd = fd_;
        fd_ = -1;
        return close(fd) == 0;
    }

private:
    int fd_;
};

Result<std::string> read_text_file(const std::string& path);

// SHA-256 (hex) of the file open on `fd` (named `path` in errors), read from its start in 1 MiB pieces.
Result<std::string> file_sha256(int fd, const std::string& path);
Result<std::string> file_sha256(const std::string& path);

// Writes `bytes` to a temporary file beside `path` with `mode`, syncs it, renames it over `path` and syncs
// the directory.
Status write_file_atomic(const std::string& path, std::string_view bytes, mode_t mode);

}  // namespace chu
