#include "posix/posix.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace chu {

Fd::~Fd()
{
    if (fd_ >= 0)
        close(fd_);
}

Fd& Fd::operator=(Fd&& other) noexcept
{
    if (this != &other) {
        if (fd_ >= 0)
            close(fd_);
        fd_ = other.fd_;
        other.fd_ = -1;
    }
    return *this;
}

bool Fd::close_checked()
{
    const int fd = fd_;
    fd_ = -1;
    return close(fd) == 0;
}

Error os_error(const std::string& what, const std::string& path, int err)
{
    return Error{what + " " + path + ": " + std::strerror(err)};
}

Error os_error(const std::string& what, const std::string& path)
{
    return os_error(what, path, errno);
}

Status write_all(int fd, std::string_view bytes, const std::string& name)
{
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return os_error("cannot write", name);
        done += static_cast<std::size_t>(n);
    }
    return Ok{};
}

Result<std::string> read_all(int fd, const std::string& name)
{
    // Straight into a string sized from the file: a buffer grown piece by piece cost a copied archive
    // most of its install. One byte more sees the end without growing; a pipe or a /proc file says 0
    // and grows as it is read.
    struct stat st {};
    const off_t at = lseek(fd, 0, SEEK_CUR);
    const off_t left = fstat(fd, &st) == 0 && at >= 0 && st.st_size > at ? st.st_size - at : 0;
    std::string data(static_cast<std::size_t>(left) + 1, '\0');
    std::size_t used = 0;
    for (;;) {
        if (used == data.size())
            data.resize(data.size() * 2 + 4096);
        const ssize_t n = read(fd, data.data() + used, data.size() - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return os_error("cannot read", name);
        if (n == 0)
            break;
        used += static_cast<std::size_t>(n);
    }
    data.resize(used);
    return data;
}

Status sync_path(const std::string& path, bool directory)
{
    const Fd fd(open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (directory ? O_DIRECTORY : 0)));
    if (!fd.ok())
        return os_error("cannot open to sync", path);
    if (fsync(fd.get()) != 0)
        return os_error("cannot sync", path);
    return Ok{};
}

std::string parent_of(const std::string& path)
{
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

Status write_file_atomic(const std::string& path, std::string_view bytes, mode_t mode)
{
    const std::string tmp = path + ".new";
    Fd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
    if (!fd.ok())
        return os_error("cannot write", tmp);
    Status st = write_all(fd.get(), bytes, tmp);
    if (st && fsync(fd.get()) != 0)
        st = os_error("cannot sync", tmp);
    if (st && !fd.close_checked())
        st = os_error("cannot write", tmp);
    if (st && rename(tmp.c_str(), path.c_str()) != 0)
        st = os_error("cannot write", path);
    if (!st) {
        unlink(tmp.c_str());
        return st;
    }
    return sync_path(parent_of(path), true);
}

}  // namespace chu
