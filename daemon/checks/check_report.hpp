// What a check step's child answers the daemon with.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace chu {

// The check protocol between the daemon and its check helper (chef-ha-upgrade-check): one frame on stdout,
// "chu-check/1 <n>:<value> <n>:<message>\n", lengths in bytes, so that neither part is cut or misread
// whatever it holds; the verdict is the exit status. The child says the message on stderr too, for the log.
struct CheckReport {
    std::string value;    // what the check read (a version, free MiB, a digest)
    std::string message;  // its verdict: ok, or the problem and its fix
};
std::string encode_check_report(const CheckReport& report);
// The last frame in `out`; nothing if there is none whole.
std::optional<CheckReport> decode_check_report(std::string_view out);

}  // namespace chu
