#include "exec/runner.hpp"

#include "core/utf8.hpp"
#include "posix/posix.hpp"

#include <systemd/sd-event.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace chu {

namespace {

constexpr std::size_t capture_limit = 64u << 10;
constexpr std::size_t tail_limit = 8u << 10;
constexpr std::uint64_t kill_grace_usec = 10'000'000;  // SIGTERM, then SIGKILL this much later

// An unnamed file in memory: a memfd (Linux 3.17); where there is none (RHEL 7's 3.10) or a syscall
// filter refuses it, a file on tmpfs in /dev/shm unlinked at once, so neither ever reaches the disk and
// both reopen through /proc/self/fd. On failure `tried` says what was.
Fd memory_file(std::string& tried)
{
    Fd fd(memfd_create("chu-stdin", MFD_CLOEXEC));
    if (fd.ok())
        return fd;
    const int err = errno;
    tried = std::string("memfd_create: ") + std::strerror(err);
    if (err != ENOSYS && err != EINVAL && err != EPERM)
        return fd;
    char name[] = "/dev/shm/chu-stdin-XXXXXX";
    Fd shm(mkostemp(name, O_CLOEXEC));
    if (shm.ok() && unlink(name) == 0)  // only once unlinked: a file left there could keep a secret
        return shm;
    tried += std::string("; then an unlinked file in /dev/shm: ") + std::strerror(errno);
    return Fd();
}

// A command's stdin in memory, filled and rewound: unlike a pipe it takes any size without the loop
// waiting on the reader, and the child may reopen it by /dev/stdin and learn its size.
Result<Fd> stdin_file(const std::string& bytes)
{
    std::string tried;
    Fd fd = memory_file(tried);
    if (!fd.ok())
        return Error{"cannot create the command's stdin (" + tried + ")"};
    if (auto written = write_all(fd.get(), bytes, "the command's stdin"); !written)
        return written.error();
    if (lseek(fd.get(), 0, SEEK_SET) != 0)
        return Error{std::string("cannot rewind the command's stdin: ") + std::strerror(errno)};
    return fd;
}

std::uint64_t now_usec()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000 + static_cast<std::uint64_t>(ts.tv_nsec) / 1000;
}

}  // namespace

struct Runner::Child {
    Runner* runner = nullptr;
    Exec command;
    Done done;
    pid_t pid = -1;
    sd_event_source* exited = nullptr;
    sd_event_source* out_source = nullptr;
    sd_event_source* err_source = nullptr;
    sd_event_source* timer = nullptr;
    int out_fd = -1, err_fd = -1;
    std::string out_line, err_line;  // partial lines
    ExecResult result;
    bool timed_out = false;
    bool ending = false;  // SIGTERM sent (a timeout or the operator)
    bool killed = false;

    ~Child()
    {
        for (auto* s : {exited, out_source, err_source, timer})
            sd_event_source_disable_unref(s);
        for (int fd : {out_fd, err_fd})
            if (fd >= 0)
                close(fd);
    }

    void line(const std::string& raw, bool err)
    {
        const std::string text = valid_utf8(raw);  // it goes to the journal, reports and D-Bus as it is
        if (err || command.log_out)
            runner->log_.output(text, command.phase, command.step, err);
        std::string& capture = err ? result.err : result.out;
        if (capture.size() < capture_limit)
            capture += text.substr(0, capture_limit - capture.size()) + "\n";
        if (result.kept.size() < tail_limit && std::any_of(command.keep.begin(), command.keep.end(), [&](const std::string& p) {
                return text.find(p) != std::string::npos;
            }))
            result.kept += text.substr(0, tail_limit) + "\n";
        result.tail += text + "\n";
        if (result.tail.size() > 2 * tail_limit)
            result.tail = tail_lines(result.tail, tail_limit);
    }

    // Reads what is there; at EOF (or when `final`) flushes the partial line. Returns false at EOF.
    bool drain(int fd, bool err, bool final)
    {
        std::string& partial = err ? err_line : out_line;
        char buf[8192];
        for (;;) {
            const ssize_t n = read(fd, buf, sizeof buf);
            if (n > 0) {
                partial.append(buf, static_cast<std::size_t>(n));
                std::size_t start = 0, nl;
                while ((nl = partial.find('\n', start)) != std::string::npos) {
                    line(partial.substr(start, nl - start), err);
                    start = nl + 1;
                }
                partial.erase(0, start);
                continue;
            }
            if (n < 0 && errno == EINTR)
                continue;
            const bool eof = n == 0;
            if ((eof || final) && !partial.empty()) {
                line(partial, err);
                partial.clear();
            }
            return !eof;
        }
    }

    static int on_output(sd_event_source* s, int fd, uint32_t, void* userdata)
    {
        auto* c = static_cast<Child*>(userdata);
        const bool err = s == c->err_source;
        if (!c->drain(fd, err, false)) {
            sd_event_source_set_enabled(s, SD_EVENT_OFF);  // EOF; the fd is closed with the child
        }
        return 0;
    }

    static int on_exit(sd_event_source*, const siginfo_t* si, void* userdata)
    {
        auto* c = static_cast<Child*>(userdata);
        // Whatever the command wrote before exiting is in the pipes; descendants that keep them open are not
        // waited for.
        for (auto [fd, err] : {std::pair{c->out_fd, false}, std::pair{c->err_fd, true}})
            c->drain(fd, err, true);
        if (si->si_code == CLD_EXITED) {
            c->result.exit_code = si->si_status;
        } else {
            c->result.exit_code = 128 + si->si_status;
        }
        if (c->timed_out)
            c->result.outcome = Outcome::timeout;
        else if (si->si_code != CLD_EXITED || si->si_status != 0)
            c->result.outcome = Outcome::failed;
        c->result.tail = tail_lines(c->result.tail, tail_limit);
        c->runner->finish(c);
        return 0;
    }

    // SIGTERM to the whole group now, SIGKILL after the grace if it is still there.
    void end(const std::string& why)
    {
        if (ending)
            return;
        ending = true;
        runner->log_.log(LOG_WARNING, why + ": terminating its process group", command.phase, command.step);
        kill(-pid, SIGTERM);
        const std::uint64_t at = now_usec() + kill_grace_usec;
        int r = 0;
        if (timer && (r = sd_event_source_set_time(timer, at)) >= 0)
            r = sd_event_source_set_enabled(timer, SD_EVENT_ONESHOT);
        else if (!timer)
            r = sd_event_add_time(runner->event_, &timer, CLOCK_MONOTONIC, at, 0, on_timer, this);
        if (r < 0) {
            runner->log_.log(LOG_ERR, std::string("cannot arm the kill timer: ") + std::strerror(-r) + "; sending SIGKILL now",
                             command.phase, command.step);
            kill(-pid, SIGKILL);
        }
    }

    static int on_timer(sd_event_source*, uint64_t, void* userdata)
    {
        auto* c = static_cast<Child*>(userdata);
        // The command may have ended while the loop was not looking (the daemon stopped or starved past the
        // timeout): then its exit, waiting behind this timer, is the result. Peeked at, not reaped.
        siginfo_t exited{};
        if (waitid(P_PID, static_cast<id_t>(c->pid), &exited, WEXITED | WNOHANG | WNOWAIT) == 0 && exited.si_pid == c->pid)
            return 0;
        if (!c->ending) {
            c->timed_out = true;
            c->end("timed out after " + std::to_string(c->command.timeout_s) + " s");
        } else if (!c->killed) {
            c->killed = true;
            c->runner->log_.log(LOG_WARNING, "still running after SIGTERM: killing its process group", c->command.phase,
                                c->command.step);
            kill(-c->pid, SIGKILL);
        }
        return 0;
    }
};

Runner::Runner(sd_event* event, const Logger& log) : event_(event), log_(log) {}

Runner::~Runner() = default;

void Runner::start(Exec command, Done done)
{
    auto child = std::make_unique<Child>();
    Child* c = child.get();
    c->runner = this;
    c->command = std::move(command);
    c->done = std::move(done);

    auto fail = [&](const std::string& why) {
        ExecResult r;
        r.outcome = Outcome::failed;
        r.exit_code = 127;
        r.err = r.tail = why;
        log_.log(LOG_ERR, why, c->command.phase, c->command.step);
        c->done(std::move(r));
    };
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0)
        return fail(std::string("cannot create a pipe: ") + std::strerror(errno));
    if (pipe2(err, O_CLOEXEC) != 0) {
        close(out[0]);
        close(out[1]);
        return fail(std::string("cannot create a pipe: ") + std::strerror(errno));
    }
    // Non-blocking for the daemon's ends only; the command gets ordinary blocking pipes.
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    fcntl(err[0], F_SETFL, O_NONBLOCK);
    Fd in;
    if (c->command.input) {
        auto filled = stdin_file(*c->command.input);
        if (!filled) {
            for (int fd : {out[0], out[1], err[0], err[1]})
                close(fd);
            return fail(filled.error().message);
        }
        in = std::move(filled.value());
    }
    const Result<pid_t> started = spawn_command(c->command.argv, out[1], err[1], in.get(), c->command.env);
    close(out[1]);
    close(err[1]);
    c->out_fd = out[0];
    c->err_fd = err[0];
    if (!started)
        return fail(started.error().message);
    c->pid = started.value();
    int r = sd_event_add_child(event_, &c->exited, c->pid, WEXITED, Child::on_exit, c);
    if (r >= 0)
        r = sd_event_add_io(event_, &c->out_source, c->out_fd, EPOLLIN, Child::on_output, c);
    if (r >= 0)
        r = sd_event_add_io(event_, &c->err_source, c->err_fd, EPOLLIN, Child::on_output, c);
    // Output first, then the exit: the exit handler drains what is left.
    if (r >= 0)
        r = sd_event_source_set_priority(c->exited, SD_EVENT_PRIORITY_NORMAL + 1);
    if (r >= 0 && c->command.timeout_s != 0)
        r = sd_event_add_time(event_, &c->timer, CLOCK_MONOTONIC, now_usec() + c->command.timeout_s * 1'000'000ull, 0,
                              Child::on_timer, c);
    if (r < 0) {  // the loop could not see it end: stop it at once rather than lose track of it
        kill(-c->pid, SIGKILL);
        waitpid(c->pid, nullptr, 0);
        return fail(std::string("cannot watch the command: ") + std::strerror(-r));
    }
    children_[c] = std::move(child);
}

void Runner::finish(Child* child)
{
    auto it = children_.find(child);
    std::unique_ptr<Child> owned = std::move(it->second);
    children_.erase(it);
    Done done = std::move(owned->done);
    ExecResult result = std::move(owned->result);
    owned.reset();
    if (done)
        done(std::move(result));
}

bool Runner::interrupt(int phase, const std::string& step, const std::string& why)
{
    for (auto& [raw, child] : children_)
        if (child->command.phase == phase && child->command.step == step) {
            child->end(why);
            return true;
        }
    return false;
}

void Runner::terminate_all()
{
    for (auto& [raw, child] : children_) {
        child->done = nullptr;
        kill(-child->pid, SIGTERM);
    }
}

}  // namespace chu
