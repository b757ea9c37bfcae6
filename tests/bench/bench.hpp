// chu-bench's shared pieces: the table it prints, statistics, bounded waits and children, and reading what a
// run left behind (the daemons' journals, the simulated Chef nodes' call log, /proc).
#pragma once

#include "cluster.hpp"
#include "core/records.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace chu::bench {

struct Options {
    bool quick = false;             // smaller clusters and a shorter idle minute: a smoke run, not figures
    std::vector<std::string> only;  // sections to run; empty: all
    unsigned idle_seconds = 60;
    std::vector<int> nodes;  // section 1's cluster sizes; empty: 4, 16, 64, 128 (--quick: 4, 16)
    std::string ansible = "/usr/bin/ansible-playbook";
    bool wants(const std::string& section) const;
};

// One line of the printed table.
struct Row {
    std::string section, measure, value, note;
};

class Table {
public:
    void add(std::string section, std::string measure, std::string value, std::string note = {});
    void print() const;

private:
    std::vector<Row> rows_;
};

// Facts one section hands to another (the peak RSS is read at the end of the chef-server-12 run).
struct Shared {
    std::vector<long> peak_kib_leader, peak_kib_followers;
};

// Thrown when SIGINT/SIGTERM arrived: the stack unwinds and every cluster cleans up after itself.
struct Interrupted : std::runtime_error {
    Interrupted() : std::runtime_error("interrupted") {}
};
void install_interrupt_handlers();
void check_interrupted();

std::int64_t epoch_ms();
// Polls `condition` every 20 ms until it holds; false when `timeout` passed first.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout);
void sleep_for(std::chrono::milliseconds duration);  // interruptible

// Runs argv (no shell) in its own process group, output to `log_path`; kills the whole group when `timeout`
// passes or the bench is interrupted. Returns the exit status (124 on timeout).
int run_bounded(const std::vector<std::string>& argv, const std::vector<std::string>& env, const std::string& log_path,
                std::chrono::seconds timeout);

double mean(const std::vector<double>& values);
double median(std::vector<double> values);
double percentile(std::vector<double> values, double p);  // nearest rank
std::string fixed(double value, int decimals);

std::string read_text(const std::string& path);
void write_text(const std::string& path, const std::string& text);

// A node's journal as its daemon left it (the torn tail, if any, dropped).
std::vector<Record> journal_of(const test::NodeInfo& node);
// The leader's journal shows the plan's last phase complete.
bool all_phases_complete(const test::NodeInfo& leader, int last_phase);
// Waits until the leader's journal shows `phase` complete; throws, with the leader's last log lines, when a
// daemon died or `timeout` passed first.
void wait_for_phase(const test::Cluster& cluster, int phase, std::chrono::seconds timeout);

template <class R>
std::vector<R> records_of(const std::vector<Record>& journal)
{
    std::vector<R> out;
    for (const auto& r : journal)
        if (auto* x = std::get_if<R>(&r))
            out.push_back(*x);
    return out;
}

// One call of a simulated Chef command, from WORLD/calls.log.
struct Call {
    std::string node, role, program, args;
    std::int64_t begin_ms = 0, end_ms = -1;
    int status = -1;
};
std::vector<Call> calls_of(const std::string& world);

// The downtime window as the simulated nodes saw it: the first frontend's `stop` began → the last `start` ended.
struct Window {
    std::int64_t begin_ms = 0, end_ms = 0;
    double seconds() const { return (end_ms - begin_ms) / 1000.0; }
};
std::optional<Window> downtime_of(const std::vector<Call>& calls);

// /proc figures of one process (all its threads).
struct ProcSample {
    double cpu_s = 0;                // time on a CPU (schedstat)
    long long context_switches = 0;  // voluntary + nonvoluntary, summed over threads
    long rss_kib = 0, hwm_kib = 0, anon_kib = 0, file_kib = 0;
};
ProcSample sample(int pid);

// "nproc 2, AMD EPYC, kernel 6.1.0, load 0.12 0.30 0.25"
std::string machine_line();
std::string load_average();

}  // namespace chu::bench
