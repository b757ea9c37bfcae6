// Runs a step's command as a child process on the daemon's sd-event loop: execve with a fixed environment
// (never a shell), its own process group, stdin from /dev/null or its input, stdout and stderr streamed to
// the log line by line. A timeout (read-only steps only) or an interrupt terminates the whole group, then
// kills it.
#pragma once

#include "core/wire.hpp"
#include "exec/process.hpp"
#include "systemd/log.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

struct sd_event;

namespace chu {

struct Exec {
    std::vector<std::string> argv;  // argv[0] is an absolute path
    unsigned timeout_s = 0;         // 0: none (a command that changes the cluster is never killed by a timer)
    int phase = -1;                 // for the log fields
    std::string step;
    bool log_out = true;             // false: stdout is a report for the daemon, not for the operator
    std::vector<std::string> env{};  // "NAME=value" after the fixed environment (a hook's event)
    // Its stdin, any size, in memory (a memfd, or an unlinked file in /dev/shm before Linux 3.17; a hook's
    // event, a copy's archive: never on disk); null: /dev/null.
    std::shared_ptr<const std::string> input{};
    // Lines holding one of these are kept whole in ExecResult::kept, wherever they come in a long output.
    std::vector<std::string> keep{};
};

struct ExecResult {
    Outcome outcome = Outcome::ok;  // ok, failed (non-zero exit, signal, exec failure) or timeout
    int exit_code = 0;              // exit status, or 128 + signal
    std::string out;                // stdout (the first 64 KiB)
    std::string err;                // stderr (the first 64 KiB)
    std::string tail;               // the last lines of both, interleaved as they came (at most 8 KiB)
    std::string kept;               // the first lines that hold one of Exec::keep (at most 8 KiB)
};

class Runner {
public:
    using Done = std::function<void(ExecResult)>;

    Runner(sd_event* event, const Logger& log);
    ~Runner();
    Runner(const Runner&) = delete;
    Runner& operator=(const Runner&) = delete;

    // Starts the command; `done` is called from the loop once it has exited and its output is read.
    void start(Exec exec, Done done);
    bool busy() const { return !children_.empty(); }
    // The operator's interrupt: SIGTERM to the group of the command running for this step, SIGKILL 10 s
    // later. False when no such command runs.
    bool interrupt(int phase, const std::string& step, const std::string& why);
    // Daemon shutdown: SIGTERM to every child's group; `done` callbacks are dropped.
    void terminate_all();

    struct Child;

private:
    sd_event* event_;
    const Logger& log_;
    std::map<Child*, std::unique_ptr<Child>> children_;
    friend struct Child;
    void finish(Child* child);
};

}  // namespace chu
