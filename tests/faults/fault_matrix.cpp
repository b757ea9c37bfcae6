// chu-fault-matrix: every fault on every role at every phase boundary and mid-step point of a
// chef-server-12 upgrade, each on a fresh 2-backend + 2-frontend cluster of real daemons (tests/cluster);
// after each the upgrade must complete (or stop in `failed` naming node and step, and complete after the
// operator's retry), the call log must keep the runbook's rules, and no step may finish twice unless it
// was interrupted while it ran. Prints one line per run, then the table.
//
//   chu-fault-matrix --all                   the whole matrix (documented figures)
//   chu-fault-matrix --sample N [--seed S]   N scenarios spread over the faults (the default suite)
//   chu-fault-matrix --scenario NAME ...     scenarios by name or name prefix (kill9/bootstrap/)
//   chu-fault-matrix --list                  the scenario names
// Also: --runs N (each scenario N times), --keep (keep a failed run's cluster directory).
#include "faults.hpp"
#include "scenarios.hpp"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <vector>

using namespace chu::faults;

namespace {

const char* const usage =
    "usage: chu-fault-matrix (--all | --sample N [--seed S] | --scenario NAME... | --list) [--runs N] [--keep]\n";

struct Options {
    bool all = false, list = false, keep = false;
    unsigned sample = 0, runs = 1;
    std::uint64_t seed = 1;
    std::vector<std::string> names;
};

Options parse(int argc, char** argv)
{
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool has_value = i + 1 < argc;
        if (a == "--all")
            o.all = true;
        else if (a == "--list")
            o.list = true;
        else if (a == "--keep")
            o.keep = true;
        else if (a == "--sample" && has_value)
            o.sample = static_cast<unsigned>(std::stoul(argv[++i]));
        else if (a == "--runs" && has_value)
            o.runs = std::max(1u, static_cast<unsigned>(std::stoul(argv[++i])));
        else if (a == "--seed" && has_value)
            o.seed = std::stoull(argv[++i]);
        else if (a == "--scenario" && has_value)
            while (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0)
                o.names.push_back(argv[++i]);
        else
            throw std::invalid_argument(a);
    }
    if (!o.all && !o.list && o.sample == 0 && o.names.empty())
        throw std::invalid_argument("nothing to run");
    return o;
}

// A sample that covers every fault before it repeats one: each fault's scenarios shuffled by the seed,
// then taken in turn.
std::vector<Scenario> sample(const std::vector<Scenario>& all, unsigned n, std::uint64_t seed)
{
    std::map<Fault, std::vector<Scenario>> by_fault;
    for (const auto& s : all)
        by_fault[s.fault].push_back(s);
    std::mt19937_64 rng(seed);
    for (auto& [fault, list] : by_fault)
        std::shuffle(list.begin(), list.end(), rng);
    std::vector<Scenario> out;
    for (std::size_t i = 0; out.size() < n && out.size() < all.size(); ++i)
        for (auto& [fault, list] : by_fault)
            if (i < list.size() && out.size() < n)
                out.push_back(list[i]);
    return out;
}

std::vector<Scenario> select(const Options& o)
{
    const auto all = all_scenarios();
    if (o.all || o.list)
        return all;
    if (o.sample != 0)
        return sample(all, o.sample, o.seed);
    std::vector<Scenario> out;
    for (const auto& name : o.names) {
        const std::size_t before = out.size();
        for (const auto& s : all)
            if (s.name() == name || s.name().rfind(name, 0) == 0)
                out.push_back(s);
        if (out.size() == before)
            throw std::invalid_argument("no scenario " + name + " (see --list)");
    }
    return out;
}

struct Row {
    unsigned runs = 0, passed = 0, skipped = 0;
    std::vector<long> recovery_ms;
};

std::string seconds(long ms)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms) / 1000);
    return buf;
}

std::string recovery(std::vector<long> ms)
{
    if (ms.empty())
        return "-";
    std::sort(ms.begin(), ms.end());
    return seconds(ms[ms.size() / 2]) + " / " + seconds(ms.back());
}

void print_table(const std::string& title, const std::vector<std::pair<std::string, Row>>& rows)
{
    std::size_t width = title.size();
    for (const auto& [name, row] : rows)
        width = std::max(width, name.size());
    std::printf("\n%-*s  runs  passed  recovery median / slowest\n", static_cast<int>(width), title.c_str());
    for (const auto& [name, row] : rows) {
        const std::string passed =
            std::to_string(row.passed) + (row.skipped ? " (" + std::to_string(row.skipped) + " skipped)" : "");
        std::printf("%-*s  %4u  %-6s  %s\n", static_cast<int>(width), name.c_str(), row.runs, passed.c_str(),
                    recovery(row.recovery_ms).c_str());
    }
}

void add(Row& row, const Verdict& v)
{
    ++row.runs;
    row.passed += v.passed;
    row.skipped += v.skipped;
    if (v.recovery_ms >= 0)
        row.recovery_ms.push_back(v.recovery_ms);
}

}  // namespace

int main(int argc, char** argv)
{
    Options o;
    std::vector<Scenario> scenarios;
    try {
        o = parse(argc, argv);
        scenarios = select(o);
    } catch (const std::exception& e) {
        std::cerr << "chu-fault-matrix: " << e.what() << "\n" << usage;
        return 2;
    }
    if (o.list) {
        for (const auto& s : scenarios)
            std::cout << s.name() << "\n";
        return 0;
    }
    // Daemons run in sessions of their own: a plain SIGTERM would leave them (and a partition) behind.
    std::signal(SIGINT, [](int) { interrupt(); });
    std::signal(SIGTERM, [](int) { interrupt(); });
    Partition::sweep_stale();
    if (!Partition::available())
        std::cout << "WARNING: nft is missing or may not change the ruleset: partition scenarios are skipped\n";
    Settings settings;
    settings.keep_failed = o.keep;
    std::mt19937_64 rng(o.seed);
    std::cout << scenarios.size() << " scenario(s) x " << o.runs << " run(s), seed " << o.seed << std::endl;

    std::vector<std::pair<std::string, Row>> by_scenario;
    std::map<std::string, Row> by_fault_role;
    std::vector<std::string> fault_role_order;
    unsigned run = 0, failed = 0;
    double total = 0;
    for (const auto& s : scenarios) {
        by_scenario.emplace_back(s.name(), Row{});
        const std::string group = std::string(fault_name(s.fault)) + "/" + s.role;
        if (!by_fault_role.count(group))
            fault_role_order.push_back(group);
        for (unsigned i = 0; i < o.runs && !interrupted(); ++i, ++run) {
            const Verdict v = run_scenario(s, run, settings, rng);
            add(by_scenario.back().second, v);
            add(by_fault_role[group], v);
            total += v.seconds;
            failed += !v.passed && !v.skipped;
            std::cout << (v.skipped  ? "SKIP "
                          : v.passed ? "ok   "
                                     : "FAIL ")
                      << s.name() << "  " << static_cast<int>(v.seconds) << " s";
            if (v.recovery_ms >= 0)
                std::cout << ", back in touch " << seconds(v.recovery_ms) << " after the heal";
            if (!v.outcome.empty())
                std::cout << "  [" << v.outcome << "]";
            if (!v.note.empty())
                std::cout << "  (" << v.note << ")";
            if (!v.problem.empty())
                std::cout << "\n     " << v.problem;
            if (!v.log_path.empty())
                std::cout << "\n     diagnostics: " << v.log_path;
            std::cout << std::endl;
        }
    }
    print_table("scenario", by_scenario);
    std::vector<std::pair<std::string, Row>> groups;
    for (const auto& g : fault_role_order)
        groups.emplace_back(g, by_fault_role[g]);
    print_table("fault/role", groups);
    std::printf("\n%u run(s), %u failed, %.0f s in all%s\n", run, failed, total, interrupted() ? " (interrupted)" : "");
    return interrupted() ? 130 : failed == 0 ? 0 : 1;
}
