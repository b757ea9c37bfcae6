// Notification hooks: the executables in [hooks] dir, run on the leader at every cluster event, each with
// the event in CHU_* variables and as one JSON object on stdin; never through a shell, with the fixed
// environment, a timeout, and their output in the log. A hook that fails or hangs never holds the
// upgrade: each hook takes its events one at a time, in order, while the upgrade goes on.
#pragma once

#include "core/events.hpp"
#include "exec/runner.hpp"
#include "systemd/log.hpp"

#include <deque>
#include <string>
#include <vector>

namespace chu {

class Hooks {
public:
    // Reads `dir` now: a hook not owned by root (or by this daemon's user) or writable by its group or by
    // others is refused, and said, once.
    Hooks(Runner& runner, const Logger& log, const Config::Hooks& config, std::string source);

    void fire(const Event& event);
    // The hooks that run, in order.
    std::vector<std::string> hooks() const;

private:
    struct Hook {
        std::string path;
        std::deque<Event> waiting;
        bool running = false;
    };
    void run_next(Hook& hook);

    Runner& runner_;
    const Logger& log_;
    unsigned timeout_s_;
    std::string source_;
    std::vector<Hook> hooks_;  // fixed at construction: the runner's callbacks hold references into it
};

// The environment a hook gets for an event (after the fixed one).
std::vector<std::string> hook_environment(const Event& event, const std::string& source);

}  // namespace chu
