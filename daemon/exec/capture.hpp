// Runs a short read-only query (dpkg-deb --field, rpm -qp) to its end and returns what it printed: for the
// daemon's start, --check-config and the checks, never on the event loop. execve with the fixed environment,
// stdin /dev/null, its own process group, killed after `timeout_ms`.
#pragma once

#include "core/result.hpp"

#include <string>
#include <vector>

namespace chu {

// The environment every command gets: nothing inherited from the daemon.
const std::vector<std::string>& command_environment();

// Its stdout when it exits 0; otherwise an error naming the command, its exit status and its stderr.
Result<std::string> capture_output(const std::vector<std::string>& argv, int timeout_ms);

}  // namespace chu
