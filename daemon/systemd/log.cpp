#include "systemd/log.hpp"

#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>

#include <cctype>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace chu {

namespace {

// systemd sets JOURNAL_STREAM to "dev:ino" of the stream it connected; stderr may have been redirected since.
// systemd before 231 (RHEL 7's 219, Ubuntu 16.04's 229) sets none: there stderr is journald's when it is a
// socket connected to journald's stdout socket. Otherwise the fields (CHU_STEP, ...) and priorities are lost.
bool stderr_is_journal()
{
    struct stat st {};
    if (fstat(2, &st) != 0)
        return false;
    if (const char* env = std::getenv("JOURNAL_STREAM")) {
        unsigned long long dev = 0, ino = 0;
        return std::sscanf(env, "%llu:%llu", &dev, &ino) == 2 && st.st_dev == dev && st.st_ino == ino;
    }
    sockaddr_un peer{};
    socklen_t size = sizeof peer;
    constexpr char journald_stdout[] = "/run/systemd/journal/stdout";
    return S_ISSOCK(st.st_mode) && getpeername(2, reinterpret_cast<sockaddr*>(&peer), &size) == 0 && peer.sun_family == AF_UNIX &&
           size >= offsetof(sockaddr_un, sun_path) + sizeof journald_stdout - 1 &&
           std::strncmp(peer.sun_path, journald_stdout, sizeof peer.sun_path) == 0;
}

const char* level_word(int priority)
{
    return priority <= LOG_ERR ? "error: " : priority == LOG_WARNING ? "warning: " : "";
}

// Local time as journalctl shows it: "2026-12-04T03:16:05.123+0100", or only "03:16:05.123" for a line.
std::string local_time(bool date)
{
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    tm local{};
    localtime_r(&ts.tv_sec, &local);
    char text[48], zone[8] = "";
    std::strftime(text, sizeof text, date ? "%Y-%m-%dT%H:%M:%S" : "%H:%M:%S", &local);
    if (date)
        std::strftime(zone, sizeof zone, "%z", &local);
    char out[64];
    std::snprintf(out, sizeof out, "%s.%03ld%s", text, ts.tv_nsec / 1000000, zone);
    return out;
}

// A step id as a file name: what a plan may hold beyond letters, digits, '.', '_' and '-' becomes '_'.
std::string file_word(const std::string& step)
{
    std::string out;
    for (unsigned char c : step)
        out += std::isalnum(c) || c == '.' || c == '_' || c == '-' ? static_cast<char>(c) : '_';
    return out.empty() ? "_" : out;  // behind "NN-": never "." or ".."
}

}  // namespace

Logger::Logger(std::string node, std::string output_dir)
    : node_(std::move(node)), journal_(stderr_is_journal()), output_dir_(std::move(output_dir))
{}

std::string Logger::output_path(int phase, const std::string& step) const
{
    if (output_dir_.empty() || phase < 0 || step.empty())
        return {};
    char number[16];
    std::snprintf(number, sizeof number, "%02d-", phase);
    return output_dir_ + "/" + number + file_word(step) + ".log";
}

void Logger::begin_output(int phase, const std::string& step, const std::string& what) const
{
    const std::string path = output_path(phase, step);
    if (path.empty())
        return;
    run_bytes_[path] = 0;
    given_up_.erase(path);
    begun_.insert(path);
    file_ = Fd();  // reopened: the operator may have moved the file away since
    file_path_.clear();
    log(LOG_INFO, "its output, every line: " + path, phase, step);
    append(phase, step, "==== " + local_time(true) + " " + node_ + ": " + what + "\n");
}

// Appends to the step's file; on the first failure of a run, says so once and leaves the rest to the log.
void Logger::append(int phase, const std::string& step, const std::string& text) const
{
    const std::string path = output_path(phase, step);
    if (path.empty() || given_up_.count(path))
        return;
    auto give_up = [&](const std::string& why) {
        given_up_.insert(path);
        log(LOG_WARNING, why + "; the rest of this run's output is in the journal only", phase, step);
    };
    std::uint64_t& written = run_bytes_[path];
    if (written + text.size() > max_output_per_run) {
        const std::string note = "==== " + local_time(true) + " " + node_ + ": past " + std::to_string(max_output_per_run >> 20) +
                                 " MiB; the rest of this run is in the journal only\n";
        if (file_path_ == path)
            (void)write_all(file_.get(), note, path);
        file_ = Fd();
        file_path_.clear();
        return give_up("its output passed " + std::to_string(max_output_per_run >> 20) + " MiB in " + path);
    }
    if (file_path_ != path) {
        file_ = Fd();
        file_path_.clear();
        if (mkdir(output_dir_.c_str(), 0700) != 0 && errno != EEXIST)
            return give_up(os_error("cannot create", output_dir_).message);
        Fd opened(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600));
        if (!opened.ok())
            return give_up(os_error("cannot open", path).message);
        file_ = std::move(opened);
        file_path_ = path;
    }
    if (auto wrote = write_all(file_.get(), text, path); !wrote) {
        file_ = Fd();
        file_path_.clear();
        return give_up(wrote.error().message);
    }
    written += text.size();
}

void Logger::log(int priority, const std::string& given, int phase, const std::string& step) const
{
    std::string text = given;
    if (priority <= LOG_ERR && phase >= 0 && begun_.count(output_path(phase, step)))
        text += " (its whole output: " + output_path(phase, step) + ")";
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
    append(phase, step, local_time(false) + (err ? " ! " : " | ") + line + "\n");
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
