// Starting a command the way every step does: execve with a fixed environment (never a shell), stdin
// /dev/null unless given, in /, its own process group, default signals. And a short read-only query
// (dpkg-deb --field, rpm -qp) run to its end, for the daemon's start, --check-config and the checks, never on
// the event loop.
#pragma once

#include "core/result.hpp"

#include <sys/types.h>

#include <string>
#include <vector>

namespace chu {

// The environment every command gets: nothing inherited from the daemon.
const std::vector<std::string>& command_environment();

// Starts argv (argv[0] an absolute path) with stdout and stderr on `out_fd` and `err_fd`, stdin on `in_fd`
// (-1: /dev/null), and `extra_env` ("NAME=value") after the fixed environment; its pid, or the errno of the
// failed posix_spawn.
Result<pid_t> spawn_command(const std::vector<std::string>& argv, int out_fd, int err_fd, int in_fd = -1,
                            const std::vector<std::string>& extra_env = {});

// argv as one line, as the log shows a command.
std::string command_text(const std::vector<std::string>& argv);

// Its stdout when it exits 0; otherwise an error naming the command, its exit status and its stderr. Killed
// (its whole group) after `timeout_ms`.
Result<std::string> capture_output(const std::vector<std::string>& argv, int timeout_ms);

}  // namespace chu
