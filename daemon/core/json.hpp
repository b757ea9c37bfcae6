// JSON strings, for what leaves the daemon or the ctl as JSON (hooks' stdin, status --json, events --json).
#pragma once

#include <string>
#include <string_view>

namespace chu {

std::string json_string(std::string_view s);  // quoted and escaped

}  // namespace chu
