#include "exec/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace chu {

namespace {

long long monotonic_ms()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<long long>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

}  // namespace

std::string command_text(const std::vector<std::string>& argv)
{
    std::string out;
    for (const auto& a : argv)
        out += (out.empty() ? "" : " ") + a;
    return out;
}

const std::vector<std::string>& command_environment()
{
    static const std::vector<std::string> env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", "HOME=/root", "TERM=dumb"};
    return env;
}

Result<pid_t> spawn_command(const std::vector<std::string>& argv, int out_fd, int err_fd, int in_fd,
                            const std::vector<std::string>& extra_env)
{
    std::vector<std::string> args = argv, env = command_environment();
    env.insert(env.end(), extra_env.begin(), extra_env.end());
    std::vector<char*> a, e;
    for (auto& s : args)
        a.push_back(s.data());
    a.push_back(nullptr);
    for (auto& s : env)
        e.push_back(s.data());
    e.push_back(nullptr);
    // posix_spawn rather than fork: glibc starts the child without copying the daemon's address space
    // (CLONE_VM|CLONE_VFORK), so starting a step costs the same small CPU however big the daemon is, and no
    // page of the daemon becomes copy-on-write. Its own process group: a timeout or an interrupt ends it all.
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (in_fd >= 0)
        posix_spawn_file_actions_adddup2(&actions, in_fd, 0);
    else
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
    posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
    posix_spawn_file_actions_addchdir_np(&actions, "/");
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int sig : {SIGTERM, SIGINT, SIGCHLD, SIGPIPE, SIGHUP})
        sigaddset(&defaults, sig);
    posix_spawnattr_setpgroup(&attributes, 0);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = -1;
    const int spawned = posix_spawn(&pid, a[0], &actions, &attributes, a.data(), e.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (spawned != 0)
        return Error{"cannot run " + argv[0] + ": " + std::strerror(spawned)};
    return pid;  // already in its own group: posix_spawn returns once the child has exec'd
}

Result<std::string> capture_output(const std::vector<std::string>& argv, int timeout_ms)
{
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0)
        return Error{std::string("cannot create a pipe: ") + std::strerror(errno)};
    if (pipe2(err, O_CLOEXEC) != 0) {
        close(out[0]);
        close(out[1]);
        return Error{std::string("cannot create a pipe: ") + std::strerror(errno)};
    }
    const Result<pid_t> started = spawn_command(argv, out[1], err[1]);
    close(out[1]);
    close(err[1]);
    std::string text[2];
    const pid_t pid = started ? started.value() : -1;
    if (started) {
        // Both pipes until they close or the time is up: a query that hangs is killed, not waited for.
        pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
        const long long deadline = monotonic_ms() + timeout_ms;
        int open_pipes = 2;
        while (open_pipes > 0) {
            const long long left = deadline - monotonic_ms();
            if (left <= 0 || (poll(fds, 2, static_cast<int>(left)) < 0 && errno != EINTR)) {
                kill(-pid, SIGKILL);
                break;
            }
            for (int i = 0; i < 2; ++i) {
                if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP)))
                    continue;
                char buffer[4096];
                const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
                if (n > 0) {
                    text[i].append(buffer, static_cast<std::size_t>(n));
                } else if (n == 0 || errno != EINTR) {
                    fds[i].fd = -1;
                    --open_pipes;
                }
            }
        }
    }
    close(out[0]);
    close(err[0]);
    if (!started)
        return started.error();
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return text[0];
    const std::string how = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                              : "signal " + std::to_string(WTERMSIG(status)) + " (timed out?)";
    std::string said = text[1].empty() ? text[0] : text[1];
    while (!said.empty() && (said.back() == '\n' || said.back() == ' '))
        said.pop_back();
    return Error{"`" + command_text(argv) + "` failed (" + how + ")" + (said.empty() ? "" : ": " + said)};
}

}  // namespace chu
