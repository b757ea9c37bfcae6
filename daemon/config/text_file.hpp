// Reading a whole small text file, with an error that names the path and the reason.
#pragma once

#include "core/result.hpp"

#include <string>

namespace chu {

Result<std::string> read_text_file(const std::string& path);

}  // namespace chu
