// Whole files: reading one with an error that names the path and the reason, hashing one in pieces, and
// writing one so that after a crash it is either the old or the new content, never a mix.
#pragma once

#include "core/result.hpp"

#include <sys/types.h>

#include <string>
#include <string_view>

namespace chu {

Result<std::string> read_text_file(const std::string& path);

// SHA-256 (hex) of the file open on `fd` (named `path` in errors), read from its start in 1 MiB pieces.
Result<std::string> file_sha256(int fd, const std::string& path);
Result<std::string> file_sha256(const std::string& path);

// Writes `bytes` to a temporary file beside `path` with `mode`, syncs it, renames it over `path` and syncs
// the directory.
Status write_file_atomic(const std::string& path, std::string_view bytes, mode_t mode);

}  // namespace chu
