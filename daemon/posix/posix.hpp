// The file operations every adapter shares: a descriptor that closes itself, whole reads and writes that
// retry interrupted and short calls, fsync by path, and replacing a file so that after a crash it holds
// either the old or the new content. Errors name the operation and the path: "cannot write PATH: reason".
#pragma once

#include "core/result.hpp"

#include <sys/types.h>

#include <string>
#include <string_view>

namespace chu {

// Owns an open file descriptor (or -1, from a failed open).
class Fd {
public:
    explicit Fd(int fd = -1) : fd_(fd) {}
    ~Fd();
    Fd(Fd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    Fd& operator=(Fd&& other) noexcept;
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    bool ok() const { return fd_ >= 0; }
    // Closes now, so that a failing close (a lost write) is reported.
    bool close_checked();

private:
    int fd_;
};

// "what path: strerror(err)".
Error os_error(const std::string& what, const std::string& path, int err);
// The same with the current errno.
Error os_error(const std::string& what, const std::string& path);

// `name` is what errors call the file: its path, or "the journal PATH".
Status write_all(int fd, std::string_view bytes, const std::string& name);
// From the descriptor's offset to the end of the file.
Result<std::string> read_all(int fd, const std::string& name);
// fsync of a file or a directory (a new or renamed name survives a crash once its directory is synced).
Status sync_path(const std::string& path, bool directory);
std::string parent_of(const std::string& path);

// Writes `bytes` to "<path>.new" with `mode`, syncs it, renames it over `path` and syncs the directory.
Status write_file_atomic(const std::string& path, std::string_view bytes, mode_t mode);

}  // namespace chu
