// Text that travels to operators (D-Bus strings, reports, journal records) must be valid UTF-8, whatever
// bytes a command printed: sd-bus refuses anything else, and one bad byte would blank the status everywhere.
#pragma once

#include <string>
#include <string_view>

namespace chu {

// `text` with every byte that is not part of a valid UTF-8 sequence replaced by U+FFFD.
std::string valid_utf8(std::string_view text);

// The end of `text` in at most `max` bytes, starting at a line (or, for one long line, a character) boundary.
std::string tail_lines(std::string_view text, std::size_t max);

}  // namespace chu
