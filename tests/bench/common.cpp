#include "bench.hpp"

#include "core/words.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

namespace chu::bench {

namespace {

volatile sig_atomic_t interrupted = 0;

long status_number(const std::string& status, const std::string& key)
{
    const auto at = status.find("\n" + key + ":");
    return at == std::string::npos ? 0 : std::atol(status.c_str() + at + key.size() + 2);
}

}  // namespace

bool Options::wants(const std::string& section) const
{
    return only.empty() || std::find(only.begin(), only.end(), section) != only.end();
}

void Table::add(std::string section, std::string measure, std::string value, std::string note)
{
    rows_.push_back({std::move(section), std::move(measure), std::move(value), std::move(note)});
}

void Table::print() const
{
    std::size_t w[3] = {1, 7, 5};
    for (const auto& r : rows_) {
        w[0] = std::max(w[0], r.section.size());
        w[1] = std::max(w[1], r.measure.size());
        w[2] = std::max(w[2], r.value.size());
    }
    auto line = [&](const std::string& a, const std::string& b, const std::string& c, const std::string& d) {
        std::printf("| %-*s | %-*s | %*s | %s |\n", static_cast<int>(w[0]), a.c_str(), static_cast<int>(w[1]), b.c_str(),
                    static_cast<int>(w[2]), c.c_str(), d.c_str());
    };
    line("#", "measure", "value", "target, notes");
    std::printf("|%s|%s|%s:|---|\n", std::string(w[0] + 2, '-').c_str(), std::string(w[1] + 2, '-').c_str(),
                std::string(w[2] + 1, '-').c_str());
    for (const auto& r : rows_)
        line(r.section, r.measure, r.value, r.note);
}

void install_interrupt_handlers()
{
    struct sigaction sa {};
    sa.sa_handler = [](int) { interrupted = 1; };
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGHUP, &sa, nullptr);
}

void check_interrupted()
{
    if (interrupted)
        throw Interrupted();
}

std::int64_t epoch_ms()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout)
{
    const auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        check_interrupted();
        if (condition())
            return true;
        if (std::chrono::steady_clock::now() >= until)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

void sleep_for(std::chrono::milliseconds duration)
{
    wait_until([] { return false; }, duration);
}

int run_bounded(const std::vector<std::string>& argv, const std::vector<std::string>& env, const std::string& log_path,
                std::chrono::seconds timeout)
{
    const pid_t pid = fork();
    if (pid < 0)
        throw std::runtime_error("fork failed");
    if (pid == 0) {
        setpgid(0, 0);  // one group: a timeout kills whatever it started too
        const int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        const int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        dup2(null, 0);
        dup2(log, 1);
        dup2(log, 2);
        std::vector<char*> args, envp;
        for (const auto& a : argv)
            args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        std::vector<std::string> full = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", "HOME=/root"};
        full.insert(full.end(), env.begin(), env.end());
        for (const auto& e : full)
            envp.push_back(const_cast<char*>(e.c_str()));
        envp.push_back(nullptr);
        execve(args[0], args.data(), envp.data());
        std::perror(args[0]);
        _exit(127);
    }
    setpgid(pid, pid);
    int status = 0;
    bool done = false;
    try {
        done = wait_until([&] { return waitpid(pid, &status, WNOHANG) == pid; }, timeout);
    } catch (const Interrupted&) {
        kill(-pid, SIGKILL);
        waitpid(pid, &status, 0);
        throw;
    }
    if (!done) {
        kill(-pid, SIGKILL);
        waitpid(pid, &status, 0);
        return 124;
    }
    kill(-pid, SIGKILL);  // anything it left behind in its group
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

double mean(const std::vector<double>& v)
{
    double sum = 0;
    for (double x : v)
        sum += x;
    return v.empty() ? NAN : sum / static_cast<double>(v.size());
}

double median(std::vector<double> v)
{
    if (v.empty())
        return NAN;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double percentile(std::vector<double> v, double p)
{
    if (v.empty())
        return NAN;
    std::sort(v.begin(), v.end());
    const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
    return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

std::string fixed(double value, int decimals)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
    return buf;
}

std::string read_text(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void write_text(const std::string& path, const std::string& text)
{
    std::ofstream out(path, std::ios::trunc);
    out << text;
    if (!out.flush())
        throw std::runtime_error("cannot write " + path);
}

std::vector<Record> journal_of(const test::NodeInfo& node)
{
    return scan_journal(read_text(node.dir + "/state/journal")).records;
}

bool all_phases_complete(const test::NodeInfo& leader, int last_phase)
{
    for (const auto& p : records_of<PhaseRecord>(journal_of(leader)))
        if (p.phase == last_phase)
            return true;
    return false;
}

void wait_for_phase(const test::Cluster& cluster, int phase, std::chrono::seconds timeout)
{
    const auto& leader = cluster.nodes().front();
    std::string dead;
    const bool done = wait_until(
        [&] {
            for (const auto& n : cluster.nodes())
                if (!cluster.running(n.name))
                    dead = n.name;
            return !dead.empty() || all_phases_complete(leader, phase);
        },
        timeout);
    if (done && dead.empty())
        return;
    std::string log = cluster.daemon_log(dead.empty() ? leader.name : dead);
    if (log.size() > 1500)
        log = "..." + log.substr(log.size() - 1500);
    throw std::runtime_error(
        (dead.empty() ? "phase " + std::to_string(phase) + " not complete after " + std::to_string(timeout.count()) + " s"
                      : "the daemon of " + dead + " exited") +
        "; its log ends:\n" + log);
}

std::vector<Call> calls_of(const std::string& world)
{
    std::vector<Call> calls;
    std::map<std::string, std::vector<std::size_t>> open;  // node -> calls without an end yet
    std::istringstream in(read_text(world + "/calls.log"));
    for (std::string line; std::getline(in, line);) {
        const auto w = words(line);
        if (w.size() < 6)
            continue;
        std::string args;
        for (std::size_t i = 6; i < w.size(); ++i)
            args += (args.empty() ? "" : " ") + w[i];
        if (w[3] == "begin") {
            open[w[1]].push_back(calls.size());
            calls.push_back({w[1], w[2], w[5], args, std::atoll(w[0].c_str()), -1, -1});
        } else if (w[3] == "end") {
            auto& mine = open[w[1]];
            for (auto it = mine.rbegin(); it != mine.rend(); ++it) {
                Call& c = calls[*it];
                if (c.program == w[5] && c.args == args) {
                    c.end_ms = std::atoll(w[0].c_str());
                    c.status = std::atoi(w[4].c_str());
                    mine.erase(std::next(it).base());
                    break;
                }
            }
        }
    }
    return calls;
}

std::optional<Window> downtime_of(const std::vector<Call>& calls)
{
    auto ctl = [](const Call& c) { return c.program == "chef-server-ctl" || c.program == "private-chef-ctl"; };
    std::optional<Window> w;
    for (const auto& c : calls)
        if (ctl(c) && c.role == "frontend" && c.args == "stop" && (!w || c.begin_ms < w->begin_ms))
            w = Window{c.begin_ms, 0};
    if (!w)
        return std::nullopt;
    for (const auto& c : calls)
        if (ctl(c) && c.args == "start" && c.begin_ms > w->begin_ms)
            w->end_ms = std::max(w->end_ms, c.end_ms);
    if (w->end_ms <= w->begin_ms)
        return std::nullopt;
    return w;
}

ProcSample sample(int pid)
{
    ProcSample s;
    const std::string base = "/proc/" + std::to_string(pid);
    const std::string status = "\n" + read_text(base + "/status");
    s.rss_kib = status_number(status, "VmRSS");
    s.hwm_kib = status_number(status, "VmHWM");
    s.anon_kib = status_number(status, "RssAnon");
    s.file_kib = status_number(status, "RssFile");
    // Per thread, the ZeroMQ I/O threads too. CPU time from schedstat (nanoseconds): /proc/PID/stat's
    // utime + stime count 10 ms ticks, too coarse for an idle follower's minute.
    if (DIR* tasks = opendir((base + "/task").c_str())) {
        while (dirent* e = readdir(tasks)) {
            if (e->d_name[0] == '.')
                continue;
            const std::string task = base + "/task/" + e->d_name;
            const std::string t = "\n" + read_text(task + "/status");
            s.context_switches += status_number(t, "voluntary_ctxt_switches") + status_number(t, "nonvoluntary_ctxt_switches");
            s.cpu_s += std::atof(read_text(task + "/schedstat").c_str()) / 1e9;
        }
        closedir(tasks);
    }
    return s;
}

std::string load_average()
{
    const auto w = words(read_text("/proc/loadavg"));
    return w.size() >= 3 ? w[0] + " " + w[1] + " " + w[2] : "?";
}

std::string machine_line()
{
    std::string model = "?";
    std::istringstream cpu(read_text("/proc/cpuinfo"));
    for (std::string line; std::getline(cpu, line);)
        if (line.rfind("model name", 0) == 0) {
            model = line.substr(line.find(':') + 2);
            break;
        }
    utsname u{};
    uname(&u);
    const long mem_mib = sysconf(_SC_PHYS_PAGES) / 1024 * sysconf(_SC_PAGESIZE) / 1024;
    return "nproc " + std::to_string(std::thread::hardware_concurrency()) + ", " + model + ", " + std::to_string(mem_mib) +
           " MiB, kernel " + u.release;
}

}  // namespace chu::bench
