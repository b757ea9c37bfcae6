// A fresh directory under $TMPDIR (or /tmp) for one test, removed with everything in it when the test ends,
// whether it passed or not.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace chu::test {

class TempDir {
public:
    // `mode` 0755 lets an unprivileged child (the bus tests' `nobody`) reach what the test puts inside.
    explicit TempDir(const std::string& prefix = "chu-test", mode_t mode = 0700)
    {
        std::string name = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
        if (!mkdtemp(name.data()))
            throw std::runtime_error("mkdtemp " + name + ": " + std::strerror(errno));
        path_ = name;
        if (chmod(name.c_str(), mode) != 0)
            throw std::runtime_error("chmod " + name + ": " + std::strerror(errno));
    }
    ~TempDir()
    {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    // For the many tests that build paths by appending strings.
    std::string str() const { return path_.string(); }

private:
    std::filesystem::path path_;
};

}  // namespace chu::test
