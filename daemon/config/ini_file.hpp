// inih driven with line numbers: the handlers learn the line of each key and section header (this inih
// build passes none), indentation means nothing, and over-long lines are refused instead of cut.
#pragma once

#include "core/result.hpp"

#include <functional>
#include <string>

namespace chu {

struct IniHandlers {
    // Called for every "[name]" header, keys or not. Returns "" or what is wrong and how to fix it.
    std::function<std::string(const std::string& section, int line)> on_section;
    // Called for every key. Returns "" or what is wrong and how to fix it.
    std::function<std::string(const std::string& section, const std::string& key, const std::string& value, int line)> on_value;
};

// Parses `text`; the first problem is returned as "file:line: ...". Lines inih itself refuses (no `=`, an
// unclosed header) are explained too.
Status parse_ini(const std::string& text, const std::string& file, const IniHandlers& handlers);

}  // namespace chu
