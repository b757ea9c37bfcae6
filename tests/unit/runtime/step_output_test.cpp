// A step's output file (systemd/log.hpp) on real files, with commands run by the step runner on a real
// sd-event loop: where journald may drop lines (systemd before 240), the file has every one.
#include "exec/runner.hpp"
#include "support/files.hpp"
#include "support/run_command.hpp"
#include "support/temp_dir.hpp"
#include "systemd/log.hpp"

#include <catch2/catch.hpp>

#include <systemd/sd-event.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <optional>

using namespace chu;
using Catch::Matchers::Contains;
using chu::test::read_file;

namespace {

ExecResult run(const Logger& log, Exec exec)
{
    return test::run_command(log, std::move(exec));
}

std::size_t count(const std::string& text, const std::string& what)
{
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size()))
        ++n;
    return n;
}

mode_t mode_of(const std::string& path)
{
    struct stat st {};
    REQUIRE(stat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

// What the logger writes to stderr (the daemon's log when not under journald) while `f` runs.
template <typename F>
std::string stderr_of(F f)
{
    test::TempDir dir("chu-stderr");
    const std::string path = dir.str() + "/stderr";
    std::fflush(stderr);
    const int saved = dup(2);
    const int file = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE((saved >= 0 && file >= 0));
    dup2(file, 2);
    close(file);
    f();
    std::fflush(stderr);
    dup2(saved, 2);
    close(saved);
    return read_file(path);
}

}  // namespace

TEST_CASE("every line a step prints is in its output file, each run after a header, re-runs appended", "[log]")
{
    test::TempDir state("chu-state");
    const std::string dir = state.str() + "/output";
    const Logger log("be1", dir);
    const std::string path = log.output_path(7, "upgrade-bootstrap");
    CHECK(path == dir + "/07-upgrade-bootstrap.log");

    // 30,000 lines in a burst: what journald before 240 (1,000 messages in 30 s) would mostly drop.
    const std::vector<std::string> argv = {"/bin/sh", "-c", "seq 1 30000; echo oops >&2; exit 1"};
    std::string said = stderr_of([&] {
        log.begin_output(7, "upgrade-bootstrap", "attempt 1, round 0: seq");
        run(log, {argv, 0, 7, "upgrade-bootstrap"});
        log.log(LOG_ERR, "failed after 1 attempt(s): exit status 1", 7, "upgrade-bootstrap");
    });
    // The operator is told where the file is when the step starts, and again when it fails.
    CHECK_THAT(said, Contains("upgrade-bootstrap: its output, every line: " + path));
    CHECK_THAT(said, Contains("failed after 1 attempt(s): exit status 1 (its whole output: " + path + ")"));

    std::string text = read_file(path);
    CHECK(mode_of(dir) == 0700);
    CHECK(mode_of(path) == 0600);
    CHECK(text.rfind("==== ", 0) == 0);
    CHECK_THAT(text, Contains(" be1: attempt 1, round 0: seq\n"));
    for (const char* line : {" | 1\n", " | 15000\n", " | 30000\n", " ! oops\n"})
        CHECK(count(text, line) == 1);
    CHECK(count(text, "\n") == 30002);  // the header, 30,000 lines on stdout and one on stderr

    log.begin_output(7, "upgrade-bootstrap", "attempt 2, round 0: seq");
    run(log, {argv, 0, 7, "upgrade-bootstrap"});
    text = read_file(path);
    CHECK(count(text, " | 30000\n") == 2);  // the first run's lines kept, the second's after them
    CHECK(text.find(" be1: attempt 2, round 0: seq\n") > text.find(" | 30000\n"));
    CHECK(count(text, "\n") == 2 * 30002);

    // Another step, another file; a step of another phase with the same name too.
    run(log, {{"/bin/echo", "hello"}, 0, 8, "upgrade-bootstrap"});
    CHECK_THAT(read_file(dir + "/08-upgrade-bootstrap.log"), Contains(" | hello\n"));
}

TEST_CASE("a step id that is no file name is written as one, inside the output directory", "[log]")
{
    test::TempDir state("chu-state");
    const Logger log("fe1", state.str() + "/output");
    CHECK(log.output_path(3, "../../etc/passwd") == state.str() + "/output/03-.._.._etc_passwd.log");
    CHECK(log.output_path(12, "hook 50-webhook") == state.str() + "/output/12-hook_50-webhook.log");
    CHECK(log.output_path(3, ".hidden") == state.str() + "/output/03-.hidden.log");
}

TEST_CASE("without an output directory, or without a phase, output goes to the log only", "[log]")
{
    test::TempDir state("chu-state");
    const Logger none("be1");
    CHECK(none.output_path(1, "step").empty());
    run(none, {{"/bin/echo", "hello"}, 0, 1, "step"});
    const Logger log("be1", state.str() + "/output");
    CHECK(log.output_path(-1, "hook 50-webhook").empty());  // a hook's run is about no step
    run(log, {{"/bin/echo", "hello"}, 0, -1, "hook 50-webhook"});
    CHECK(!std::filesystem::exists(state.str() + "/output"));
}

TEST_CASE("a step whose output file cannot be written still runs, and the log says so once", "[log]")
{
    test::TempDir state("chu-state");
    const std::string blocker = state.str() + "/output";
    std::ofstream(blocker) << "a file where the directory should be\n";
    const Logger log("be1", blocker);
    ExecResult r;
    const std::string said = stderr_of([&] {
        log.begin_output(2, "stop-frontends", "attempt 1, round 0: seq");
        r = run(log, {{"/usr/bin/seq", "1", "100"}, 0, 2, "stop-frontends"});
    });
    CHECK(r.outcome == Outcome::ok);
    CHECK(r.out.size() > 100);
    CHECK(count(said, "cannot open " + blocker + "/02-stop-frontends.log") == 1);
    CHECK_THAT(said, Contains("the rest of this run's output is in the journal only"));
    CHECK(count(said, "stop-frontends | ") == 100);  // every line still in the log
}

TEST_CASE("a run's output past its cap stops at the cap in the file, says so there and in the log", "[log]")
{
    test::TempDir state("chu-state");
    const std::string dir = state.str() + "/output";
    const Logger log("be1", dir);
    // 16,400 lines of 4 KiB: just over the 64 MiB cap.
    const std::string script =
        "head -c " + std::to_string(max_output_per_run + (1u << 20)) + " /dev/zero | tr '\\0' x | fold -w 4096";
    std::string said;
    {
        // The log's copy of every line is not kept: only what it says about the file.
        said = stderr_of([&] {
            log.begin_output(5, "install-package", "attempt 1, round 0: dpkg");
            run(log, {{"/bin/sh", "-c", script}, 0, 5, "install-package"});
        });
    }
    CHECK_THAT(said, Contains("its output passed 64 MiB in " + dir + "/05-install-package.log"));
    const std::string text = read_file(dir + "/05-install-package.log");
    CHECK(text.size() <= max_output_per_run + 200);  // the cap, and the line saying so
    CHECK(text.size() > max_output_per_run - (8u << 10));
    CHECK_THAT(text.substr(text.size() - 200), Contains("past 64 MiB; the rest of this run is in the journal only\n"));

    // The next run starts again with a whole cap of its own.
    log.begin_output(5, "install-package", "attempt 2, round 0: dpkg");
    run(log, {{"/bin/echo", "again"}, 0, 5, "install-package"});
    CHECK_THAT(read_file(dir + "/05-install-package.log").substr(text.size()), Contains(" | again\n"));
}
