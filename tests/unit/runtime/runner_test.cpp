// The step runner on a real sd-event loop with real child processes.
#include "exec/runner.hpp"
#include "support/run_command.hpp"

#include <catch2/catch.hpp>

#include <systemd/sd-event.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <thread>

using namespace chu;

namespace {

// Runs one command to completion on its own loop (see run_command), logged as node "test-node".
ExecResult run(Exec exec, std::chrono::milliseconds asleep = {})
{
    return test::run_command(Logger("test-node"), std::move(exec), asleep, std::chrono::seconds(30));
}

}  // namespace

TEST_CASE("a command's exit status, stdout, stderr and output tail are recorded", "[runner]")
{
    const ExecResult r = run({{"/bin/sh", "-c", "echo out1; echo err1 >&2; printf 'no newline'; exit 3"}, 10, 2, "step"});
    CHECK(r.outcome == Outcome::failed);
    CHECK(r.exit_code == 3);
    CHECK(r.out == "out1\nno newline\n");
    CHECK(r.err == "err1\n");
    CHECK(r.tail.find("err1") != std::string::npos);
    CHECK(r.tail.find("no newline") != std::string::npos);
}

TEST_CASE("a successful command counts as ok", "[runner]")
{
    const ExecResult r = run({{"/bin/true"}, 10, 1, "step"});
    CHECK(r.outcome == Outcome::ok);
    CHECK(r.exit_code == 0);
}

TEST_CASE("no shell runs: metacharacters in arguments reach the command unchanged", "[runner]")
{
    const std::string nasty = "$(touch /tmp/chu-runner-pwned); `id` | rm -rf / ; > x";
    const ExecResult r = run({{"/bin/echo", nasty}, 10, 1, "step"});
    CHECK(r.outcome == Outcome::ok);
    CHECK(r.out == nasty + "\n");
    CHECK(access("/tmp/chu-runner-pwned", F_OK) != 0);
}

TEST_CASE("commands get a fixed environment, nothing of the daemon's", "[runner]")
{
    setenv("CHU_LEAK", "secret", 1);
    const ExecResult r = run({{"/usr/bin/env"}, 10, 1, "step"});
    CHECK(r.out.find("CHU_LEAK") == std::string::npos);
    CHECK(r.out.find("PATH=/usr/sbin:/usr/bin:/sbin:/bin") != std::string::npos);
    CHECK(r.out.find("LANG=C.UTF-8") != std::string::npos);
}

TEST_CASE("a command past its timeout is terminated with its whole process group", "[runner]")
{
    const auto started = std::chrono::steady_clock::now();
    const ExecResult r = run({{"/bin/sh", "-c", "sleep 60 & echo $!; wait"}, 1, 1, "step"});
    CHECK(r.outcome == Outcome::timeout);
    CHECK(r.exit_code == 128 + SIGTERM);
    const pid_t background = static_cast<pid_t>(std::atoi(r.out.c_str()));
    REQUIRE(background > 0);
    // The background sleep was in the group: it got the SIGTERM too (reaped by init or by nobody: not alive
    // as a running process, possibly a zombie for an instant).
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    bool gone = false;
    while (!gone && std::chrono::steady_clock::now() < until) {
        std::string stat;
        if (FILE* f = std::fopen(("/proc/" + std::to_string(background) + "/stat").c_str(), "r")) {
            char buf[512] = {};
            (void)!std::fread(buf, 1, sizeof buf - 1, f);
            std::fclose(f);
            stat = buf;
        }
        gone = stat.empty() || stat.find(") Z") != std::string::npos;
    }
    CHECK(gone);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(20));
}

TEST_CASE("a command that ended before its timeout is not a timeout, even when the daemon sees both late", "[runner]")
{
    // Seen while building the fault matrix's SIGSTOP scenarios: a daemon stopped past a command's timeout
    // wakes to the command's exit and the expired timer at once; the exit came first, so the result is the
    // command's own (not a timeout that would re-run a step that had finished).
    const ExecResult r = run({{"/bin/true"}, 1, 1, "step"}, std::chrono::milliseconds(1500));
    CHECK(r.outcome == Outcome::ok);
    CHECK(r.exit_code == 0);
}

TEST_CASE("a command that ignores SIGTERM is killed after the grace period", "[runner][slow]")
{
    const ExecResult r = run({{"/bin/sh", "-c", "trap '' TERM; while :; do sleep 0.1; done"}, 1, 1, "step"});
    CHECK(r.outcome == Outcome::timeout);
    CHECK(r.exit_code == 128 + SIGKILL);
}

TEST_CASE("a program that cannot be run fails with 127 and says why", "[runner]")
{
    const ExecResult r = run({{"/nonexistent/chef-server-ctl", "upgrade"}, 10, 1, "step"});
    CHECK(r.outcome == Outcome::failed);
    CHECK(r.exit_code == 127);
    CHECK(r.err.find("cannot run /nonexistent/chef-server-ctl") != std::string::npos);
}

TEST_CASE("a command killed by a signal records 128 + the signal", "[runner]")
{
    const ExecResult r = run({{"/bin/sh", "-c", "kill -9 $$"}, 10, 1, "step"});
    CHECK(r.outcome == Outcome::failed);
    CHECK(r.exit_code == 128 + 9);
}

TEST_CASE("output that is not UTF-8 reaches the log and the result as valid UTF-8", "[runner]")
{
    const ExecResult r = run({{"/usr/bin/printf", "caf\\351 \\377\\n"}, 10, 1, "step"});
    CHECK(r.outcome == Outcome::ok);
    CHECK(r.out == "caf\xEF\xBF\xBD \xEF\xBF\xBD\n");
    CHECK(r.tail == r.out);
}

TEST_CASE("a command starts in /, its own process group, stdin /dev/null, no signal blocked or ignored", "[runner]")
{
    // The daemon blocks SIGCHLD (run() does too) and ignores SIGPIPE: none of that may reach a command.
    // Each fact is read by the command itself from /proc/self: no shell in between to race with.
    struct sigaction ignore {
    }, before{};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ignore, &before);
    const ExecResult cwd = run({{"/bin/pwd"}, 10, 1, "step"});
    const ExecResult stdin_is = run({{"/usr/bin/readlink", "/proc/self/fd/0"}, 10, 1, "step"});
    const ExecResult group = run({{"/usr/bin/cut", "-d", " ", "-f", "1,5", "/proc/self/stat"}, 10, 1, "step"});
    const ExecResult signals = run({{"/bin/grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"}, 10, 1, "step"});
    sigaction(SIGPIPE, &before, nullptr);
    CHECK(cwd.out == "/\n");
    CHECK(stdin_is.out == "/dev/null\n");
    const auto blank = group.out.find(' ');
    REQUIRE(blank != std::string::npos);
    CHECK(group.out.substr(0, blank) + "\n" == group.out.substr(blank + 1));  // pid == process group id
    CHECK(signals.out.rfind("SigBlk:\t0000000000000000\nSigIgn:\t", 0) == 0);
    // posix_spawn leaves glibc's two internal signals (32, 33) ignored; no program can use them anyway.
    const auto ignored = std::stoull(signals.out.substr(signals.out.rfind('\t') + 1), nullptr, 16);
    CHECK((ignored & ~0x180000000ull) == 0);
}

TEST_CASE("a command's input of any size is its whole stdin, read as a stream or reopened by /dev/stdin", "[runner]")
{
    // 5 MiB: far past what a pipe holds, so a pipe written from the loop would block or cut it short.
    std::string bytes(5u << 20, '\0');
    for (std::size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = static_cast<char>('a' + i % 26);
    bytes.back() = '\n';  // the runner ends an unfinished last line
    Exec stream{{"/usr/bin/wc", "-c"}, 10, 1, "step"};
    stream.input = std::make_shared<const std::string>(bytes);
    Exec by_path{{"/usr/bin/tail", "-c", "4", "/dev/stdin"}, 10, 1, "step"};
    by_path.input = stream.input;
    CHECK(run(std::move(stream)).out == std::to_string(bytes.size()) + "\n");
    CHECK(run(std::move(by_path)).out == bytes.substr(bytes.size() - 4));
}
