#include "systemd/log.hpp"

#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <sys/stat.h>
#include <syslog.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace chu {

namespace {

// systemd sets JOURNAL_STREAM to "dev:ino" of the stream it connected; stderr may have been redirected since.
bool stderr_is_journal()
{
    const char* env = std::getenv("JOURNAL_STREAM");
    if (!env)
        return false;
    unsigned long long dev = 0, ino = 0;
    struct stat st {};
    return std::sscanf(env, "%llu:%llu", &dev, &ino) == 2 && fstat(2, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

const char* level_word(int priority)
{
    return priority <= LOG_ERR ? "error: " : priority == LOG_WARNING ? "warning: " : "";
}

}  // namespace

Logger::Logger(std::string node) : node_(std::move(node)), journal_(stderr_is_journal()) {}

void Logger::log(int priority, const std::string& text, int phase, const std::string& step) const
{
    if (journal_) {
        if (phase >= 0)
            sd_journal_send("MESSAGE=%s%s%s", step.empty() ? "" : step.c_str(), step.empty() ? "" : ": ", text.c_str(),
                            "PRIORITY=%d", priority, "CHU_NODE=%s", node_.c_str(), "CHU_PHASE=%d", phase, "CHU_STEP=%s",
                            step.c_str(), nullptr);
        else
            sd_journal_send("MESSAGE=%s", text.c_str(), "PRIORITY=%d", priority, "CHU_NODE=%s", node_.c_str(), nullptr);
        return;
    }
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    tm local{};
    localtime_r(&ts.tv_sec, &local);
    char when[16];
    std::strftime(when, sizeof when, "%H:%M:%S", &local);
    if (phase >= 0)
        std::fprintf(stderr, "%s.%03ld %s: phase %d%s%s: %s%s\n", when, ts.tv_nsec / 1000000, node_.c_str(), phase,
                     step.empty() ? "" : " ", step.c_str(), level_word(priority), text.c_str());
    else
        std::fprintf(stderr, "%s.%03ld %s: %s%s\n", when, ts.tv_nsec / 1000000, node_.c_str(), level_word(priority),
                     text.c_str());
}

void Logger::output(const std::string& line, int phase, const std::string& step, bool err) const
{
    if (journal_) {
        sd_journal_send("MESSAGE=%s", line.c_str(), "PRIORITY=%d", err ? LOG_NOTICE : LOG_INFO, "CHU_NODE=%s", node_.c_str(),
                        "CHU_PHASE=%d", phase, "CHU_STEP=%s", step.c_str(), "CHU_OUTPUT=%s", err ? "stderr" : "stdout", nullptr);
        return;
    }
    std::fprintf(stderr, "%s: phase %d %s %s %s\n", node_.c_str(), phase, step.c_str(), err ? "!" : "|", line.c_str());
}

void notify_ready()
{
    sd_notify(0, "READY=1");
}

void notify_status(const std::string& status)
{
    sd_notify(0, ("STATUS=" + status).c_str());
}

}  // namespace chu
