// Whole files: reading one with an error that names the path and the reason, and hashing one in pieces.
#pragma once

#include "core/result.hpp"

#include <string>
#include <string_view>

namespace chu {

Result<std::string> read_text_file(const std::string& path);

// SHA-256 (hex) of the file open on `fd` (named `path` in errors), read from its start in 1 MiB pieces.
Result<std::string> file_sha256(int fd, const std::string& path);
Result<std::string> file_sha256(const std::string& path);

}  // namespace chu
