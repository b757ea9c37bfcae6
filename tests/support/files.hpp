// Whole files in and out, for the tests that work on real files.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace chu::test {

// The file's bytes; empty when it cannot be read, which the caller's checks then show.
inline std::string read_file(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// `text` as the whole of `path`, with `mode` whatever the umask.
inline void write_file(const std::filesystem::path& path, const std::string& text, mode_t mode = 0644)
{
    std::ofstream out(path, std::ios::binary);
    out << text;
    REQUIRE(out.flush());
    out.close();
    REQUIRE(chmod(path.c_str(), mode) == 0);
}

}  // namespace chu::test
