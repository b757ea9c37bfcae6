#include "text_file.hpp"

#include "core/digest.hpp"
#include "posix/posix.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace chu {

Result<std::string> read_text_file(const std::string& path)
{
    const Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st {};
    if (fd.get() < 0 || fstat(fd.get(), &st) != 0)
        return Error{path + ": cannot read: " + std::strerror(errno)};
    // A directory opens and then reads as an empty file: refuse it by name rather than parse nothing.
    if (S_ISDIR(st.st_mode))
        return Error{path + ": cannot read: " + std::strerror(EISDIR)};
    return read_all(fd.get(), path);
}

Result<std::string> file_sha256(int fd, const std::string& path)
{
    Sha256 hash;
    std::string buffer(1u << 20, '\0');
    off_t offset = 0;
    for (;;) {
        const ssize_t n = pread(fd, buffer.data(), buffer.size(), offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return Error{path + ": cannot read: " + std::strerror(errno)};
        if (n == 0)
            return hash.hex();
        hash.update(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
        offset += n;
    }
}

Result<std::string> file_sha256(const std::string& path)
{
    const Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0)
        return Error{path + ": cannot read: " + std::strerror(errno)};
    return file_sha256(fd.get(), path);
}

}  // namespace chu
