// Notification hooks on a real sd-event loop with real processes: what they get, and what they cannot hold.
#include "exec/hooks.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <systemd/sd-event.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>

using namespace chu;
using chu::test::read_file;

namespace {

std::size_t lines_of(const std::string& path)
{
    const std::string t = read_file(path);
    return static_cast<std::size_t>(std::count(t.begin(), t.end(), '\n'));
}

void write_hook(const std::string& path, const std::string& body, mode_t mode)
{
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    REQUIRE(chmod(path.c_str(), mode) == 0);
}

Event event(EventKind kind, int phase, const std::string& node)
{
    Event e;
    e.kind = kind;
    e.phase = phase;
    e.phase_name = "phase " + std::to_string(phase);
    e.node = node;
    e.state = "running";
    e.message = "it's \"quoted\"";
    e.at_ms = 1000 + phase;
    return e;
}

}  // namespace

TEST_CASE("hooks get every event in order, in their environment and on stdin; one that hangs is killed and one "
          "that fails is passed over, neither holding the others; an unsafe one never runs",
          "[hooks]")
{
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    chu::test::TempDir tmp;
    const std::string dir = tmp.str() + "/hooks.d", out = tmp.str() + "/";
    REQUIRE(mkdir(dir.c_str(), 0755) == 0);
    write_hook(dir + "/10-record",
               "printf '%s %s %s %s\\n' \"$CHU_EVENT\" \"$CHU_PHASE\" \"$CHU_NODE\" \"$CHU_SOURCE\" >> " + out +
                   "record\ncat >> " + out + "record.json",
               0755);
    write_hook(dir + "/20-hang", "echo \"$CHU_EVENT\" >> " + out + "hang\nexec sleep 60", 0755);
    write_hook(dir + "/30-fail", "echo \"$CHU_EVENT\" >> " + out + "fail\nexit 1", 0700);
    write_hook(dir + "/40-writable", "echo ran >> " + out + "writable", 0775);
    write_hook(dir + "/50-not-executable", "echo ran >> " + out + "plain", 0644);
    write_hook(dir + "/10-record~", "echo ran >> " + out + "leftover", 0755);

    sd_event* loop = nullptr;
    REQUIRE(sd_event_new(&loop) >= 0);
    Logger log("be1");
    {
        Runner runner(loop, log);
        Config::Hooks config{dir, 1};
        Hooks hooks(runner, log, config, "be1");
        CHECK(hooks.hooks() == std::vector<std::string>{dir + "/10-record", dir + "/20-hang", dir + "/30-fail"});

        const std::vector<Event> events = {event(EventKind::joined, 0, ""), event(EventKind::phase_started, 1, ""),
                                           event(EventKind::node_lost, 1, "fe1")};
        for (const auto& e : events)
            hooks.fire(e);
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while ((lines_of(out + "record") < 3 || lines_of(out + "fail") < 3 || lines_of(out + "hang") < 3 || runner.busy()) &&
               std::chrono::steady_clock::now() < until)
            sd_event_run(loop, 100'000);

        CHECK(read_file(out + "record") == "joined 0  be1\nphase-started 1  be1\nnode-lost 1 fe1 be1\n");
        std::string json;
        for (const auto& e : events)
            json += event_json(e, "be1") + "\n";
        CHECK(read_file(out + "record.json") == json);
        CHECK(read_file(out + "fail") == "joined\nphase-started\nnode-lost\n");
        CHECK(read_file(out + "hang") == "joined\nphase-started\nnode-lost\n");  // each killed at 1 s, then the next
        CHECK_FALSE(runner.busy());
    }
    sd_event_unref(loop);
    for (const char* never : {"writable", "plain", "leftover"})
        CHECK(read_file(out + never).empty());
}
