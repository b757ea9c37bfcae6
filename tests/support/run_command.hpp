// Runs one command to completion with the step runner on its own sd-event loop, as the daemon would.
#pragma once

#include "exec/runner.hpp"

#include <catch2/catch.hpp>

#include <systemd/sd-event.h>
#include <signal.h>

#include <chrono>
#include <optional>
#include <thread>

namespace chu::test {

// Bounded by `deadline`. `asleep`: the loop is not run for that long after the start, as in a daemon that
// was stopped (SIGSTOP) or starved meanwhile.
inline ExecResult run_command(const Logger& log, Exec exec, std::chrono::milliseconds asleep = {},
                              std::chrono::seconds deadline = std::chrono::seconds(60))
{
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    sd_event* event = nullptr;
    REQUIRE(sd_event_new(&event) >= 0);
    std::optional<ExecResult> result;
    {
        Runner runner(event, log);
        runner.start(std::move(exec), [&](ExecResult r) { result = std::move(r); });
        std::this_thread::sleep_for(asleep);
        const auto until = std::chrono::steady_clock::now() + deadline;
        while (!result && std::chrono::steady_clock::now() < until)
            sd_event_run(event, 100'000);
    }
    sd_event_unref(event);
    REQUIRE(result);
    return *result;
}

}  // namespace chu::test
