// The world's shared files: the node list, faults, keepalived.
#include "world.hpp"

#include "simchef.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>

namespace simchef {

bool World::has(const std::string& name) const
{
    return exists(path(name));
}

long long World::milliseconds(const std::string& name) const
{
    return std::atoll(trim(read_file(path(name))).c_str());
}

std::vector<std::pair<std::string, std::string>> World::nodes() const
{
    std::vector<std::pair<std::string, std::string>> out;
    std::istringstream in(read_file(path("nodes")));
    for (std::string line; std::getline(in, line);) {
        const auto w = words(line);
        if (w.size() == 2)
            out.emplace_back(w[0], w[1]);
    }
    return out;
}

std::string World::take_fault(const std::string& node, const std::string& program, const std::vector<std::string>& args) const
{
    // WORLD/faults.used: "<times used> <fault words>" per fault, so restarted daemons do not reset the counts.
    std::map<std::string, long> used;
    std::istringstream counts(read_file(path("faults.used")));
    for (std::string line; std::getline(counts, line);) {
        const auto w = words(line);
        if (w.size() > 1)
            used[join({w.begin() + 1, w.end()})] = std::atol(w[0].c_str());
    }
    std::istringstream in(read_file(path("faults")));
    int number = 0;
    for (std::string line; std::getline(in, line);) {
        ++number;
        const auto w = words(line.substr(0, line.find('#')));
        if (w.empty())
            continue;
        const bool slow = starts_with(w.size() > 1 ? w[1] : "", "slow:") &&
                          w[1].find_first_not_of("0123456789", 5) == std::string::npos && w[1].size() > 5;
        if (w.size() < 4 || (w[1] != "fail" && w[1] != "hang" && w[1] != "timeout" && w[1] != "lose-secret" && !slow) ||
            w[2].find_first_not_of("0123456789") != std::string::npos)
            throw Failure(path("faults") + ":" + std::to_string(number) +
                          ": expected `NODE fail|hang|timeout|lose-secret|slow:MS COUNT PROGRAM [ARGS...]`, got \"" + line +
                          "\"");
        const std::vector<std::string> prefix(w.begin() + 4, w.end());
        if (w[0] != node || w[3] != program || prefix.size() > args.size() ||
            !std::equal(prefix.begin(), prefix.end(), args.begin()))
            continue;
        const std::string key = join(w);
        if (used[key] >= std::atol(w[2].c_str()))
            continue;
        ++used[key];
        std::string text;
        for (const auto& [fault, times] : used)
            text += std::to_string(times) + " " + fault + "\n";
        write_file(path("faults.used"), text);
        return w[1];
    }
    return "";
}

namespace keepalived {

namespace {

std::string file(const World& world, const std::string& name)
{
    return world.path("keepalived/" + name);
}

std::string other_backend(const World& world, const std::string& node)
{
    for (const auto& [name, role] : world.nodes())
        if (name != node && role != "frontend")
            return name;
    return "";
}

// cluster.sh (templates/default/cluster.sh.erb at 12.0.8) writes `echo $1 > requested_cluster_status` when a
// transition begins and current_cluster_status only when it has finished: one word and a newline each.
void set_requested(const World& world, const std::string& node, bool master)
{
    write_file(file(world, node + ".requested"), master ? "master\n" : "backup\n");
}

void set_status(const World& world, const std::string& node, bool master)
{
    set_requested(world, node, master);
    write_file(file(world, node + ".status"), master ? "master\n" : "backup\n");
}

void make_master(const World& world, const std::string& node)
{
    // The old master steps down first: no reader ever sees two masters. The record of who is master comes
    // before the status the daemon reads, so whoever sees the new status also sees the record.
    const std::string other = other_backend(world, node);
    if (!other.empty())
        set_status(world, other, false);
    write_file(file(world, "master"), node + "\n");
    set_status(world, node, true);
    std::remove(file(world, "failover").c_str());
}

// Every descriptor above stderr: by close_range (Linux 5.9), or one by one from /proc/self/fd where the
// kernel has none (RHEL 7's 3.10), since a kept lock or pipe would hold up the node that spawned this.
void close_from_3()
{
    if (close_range(3, ~0U, 0) == 0)
        return;
    std::vector<int> open_fds;
    if (DIR* dir = opendir("/proc/self/fd")) {
        while (const dirent* entry = readdir(dir))
            if (const int fd = std::atoi(entry->d_name); fd > 2 && fd != dirfd(dir))
                open_fds.push_back(fd);
        closedir(dir);
    }
    for (const int fd : open_fds)
        close(fd);
}

// The daemon reads the status files directly, so the takeover must happen on time even when no command
// runs meanwhile. Detached: its own session, stdio on /dev/null, none of the caller's descriptors (a pipe
// the daemon reads, the node's lock).
void spawn_failover(const World& world, long long due)
{
    const pid_t child = fork();
    if (child < 0)
        throw Failure(std::string("fork: ") + std::strerror(errno));
    if (child > 0) {
        waitpid(child, nullptr, 0);
        return;
    }
    setsid();
    if (fork() != 0)
        _exit(0);
    const int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    close_from_3();
    try {
        sleep_ms(due - now_ms());
        FileLock lock(world.lock_path());
        settle(world);
    } catch (...) {
        // The world is gone (a test cleaned up): nothing left to flip.
    }
    _exit(0);
}

}  // namespace

void init_backend(const World& world, const std::string& node, bool master)
{
    make_dirs(world.path("keepalived"));
    const std::string other = other_backend(world, node);
    const bool other_master = !other.empty() && trim(read_file(file(world, other + ".status"))) == "master";
    if (!other.empty() && master == other_master)
        throw Failure("the backends disagree on who is keepalived master: give both inits the same --master");
    write_file(file(world, node + ".state"), "up\n");
    if (master)
        make_master(world, node);
    else
        set_status(world, node, false);
}

bool is_up(const World& world, const std::string& node)
{
    return trim(read_file(file(world, node + ".state"))) == "up";
}

std::string current(const World& world, const std::string& node)
{
    return trim(read_file(file(world, node + ".status")));
}

std::string requested(const World& world, const std::string& node)
{
    const std::string word = trim(read_file(file(world, node + ".requested")));
    return word.empty() ? current(world, node) : word;
}

std::string master(const World& world)
{
    const std::string name = trim(read_file(file(world, "master")));
    return name.empty() ? "none" : name;
}

void stop(const World& world, const std::string& node)
{
    write_file(file(world, node + ".state"), "down\n");
    if (master(world) != node)
        return;
    set_status(world, node, false);
    write_file(file(world, "master"), "none\n");
    const std::string other = other_backend(world, node);
    if (other.empty() || !is_up(world, other))
        return;
    const long long delay = world.milliseconds("failover_ms");
    if (delay <= 0) {
        make_master(world, other);
        return;
    }
    const long long due = now_ms() + delay;
    set_requested(world, other, true);  // its transition to master runs until `due`
    write_file(file(world, "failover"), std::to_string(due) + " " + other + "\n");
    spawn_failover(world, due);
}

void start(const World& world, const std::string& node, bool take_over)
{
    write_file(file(world, node + ".state"), "up\n");
    const std::string other = other_backend(world, node);
    if (take_over || master(world) == node || other.empty() || !is_up(world, other))
        make_master(world, node);
    else
        set_status(world, node, false);
}

void settle(const World& world)
{
    const auto pending = words(read_file(file(world, "failover")));
    if (pending.size() != 2 || now_ms() < std::atoll(pending[0].c_str()))
        return;
    std::remove(file(world, "failover").c_str());
    if (master(world) == "none" && is_up(world, pending[1]))
        make_master(world, pending[1]);
}

}  // namespace keepalived

}  // namespace simchef
