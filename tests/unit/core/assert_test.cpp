#include "core/assert.hpp"
#include "core/plan.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

namespace {

// Runs `body` in a child and returns how it ended: CHU_ASSERT must stop the process, not return.
int ended_by(void (*body)())
{
    const pid_t child = fork();
    if (child == 0) {
        body();
        _exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    return WIFSIGNALED(status) ? WTERMSIG(status) : -WEXITSTATUS(status);
}

}  // namespace

TEST_CASE("a broken invariant of the core stops the process after its handler said where", "[core][assert]")
{
    CHECK(ended_by([] { CHU_ASSERT(1 + 1 == 2); }) == 0);
    CHECK(ended_by([] {
              chu::set_assert_handler([](const char*, const char*, int line) { _exit(line > 0 ? 42 : 43); });
              CHU_ASSERT(1 + 1 == 3);
          }) == -42);
    CHECK(ended_by([] {
              std::fclose(stderr);  // the default: nothing said, the abort alone
              chu::step_at(chu::Plan{}, {1, 0});
          }) == SIGABRT);
}
