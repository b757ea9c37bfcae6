// 1. Per-phase coordination cost: tests/bench/null-steps.plan (phases of /bin/true on every node) on clusters
// of 4 to 128 real daemons on loopback. A barrier is measured from the daemons' journals: from the moment the
// last node finished phase k (its Finished record) to the moment the last node started phase k+1 (its Started
// record). In between: the last report's journal fsync and trip, the leader's fsyncs (report, phase), the
// orders to every node. The /bin/true itself is outside it.
#include "bench.hpp"
#include "sections.hpp"

#include "config/plan_file.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

namespace chu::bench {

namespace {

struct Barriers {
    std::vector<double> total_ms;      // last finish anywhere -> last start everywhere
    std::vector<double> to_leader_ms;  // last finish -> the leader journals the phase complete
    std::vector<double> fan_out_ms;    // phase complete -> the last node started the next one
};

Barriers measure(int nodes, int phases)
{
    test::ClusterSpec spec;
    spec.frontends = nodes - 2;
    spec.plan = std::string(CHU_BENCH_DIR) + "/null-steps.plan";
    spec.buses = false;  // 128 daemons + 128 dbus-daemons do not fit two cores; the daemons run on without a bus
    spec.cleanup = "auto";
    spec.heartbeat_ms = 1000;  // the product's defaults: orders go out at once, never on a beat
    spec.peer_timeout_ms = 5000;
    test::Cluster c(spec);
    std::fprintf(stderr, "chu-bench: coordination, %d daemons ...\n", nodes);
    c.start_all();
    wait_for_phase(c, phases, std::chrono::seconds(60 + phases * nodes / 10));

    std::map<int, std::int64_t> last_finish, last_start, phase_done;
    for (const auto& n : c.nodes()) {
        const auto journal = journal_of(n);
        std::map<int, std::int64_t> started;
        for (const auto& s : records_of<StartedRecord>(journal))
            started.emplace(s.phase, s.at_ms);  // the first attempt
        for (const auto& [phase, at] : started)
            last_start[phase] = std::max(last_start[phase], at);
        for (const auto& f : records_of<FinishedRecord>(journal))
            last_finish[f.phase] = std::max(last_finish[f.phase], f.at_ms);
    }
    for (const auto& p : records_of<PhaseRecord>(journal_of(c.nodes().front())))
        phase_done[p.phase] = p.at_ms;
    Barriers b;
    for (int k = 1; k < phases; ++k) {
        b.total_ms.push_back(static_cast<double>(last_start[k + 1] - last_finish[k]));
        b.to_leader_ms.push_back(static_cast<double>(phase_done[k] - last_finish[k]));
        b.fan_out_ms.push_back(static_cast<double>(last_start[k + 1] - phase_done[k]));
    }
    return b;
}

}  // namespace

void coordination(Table& table, const Options& options, Shared&)
{
    auto plan = load_plan(std::string(CHU_BENCH_DIR) + "/null-steps.plan", "");
    if (!plan)
        throw std::runtime_error(plan.error().message);
    const int phases = static_cast<int>(plan.value().phases.size());
    std::vector<int> sizes = options.quick ? std::vector<int>{4, 16} : std::vector<int>{4, 16, 64, 128};
    if (!options.nodes.empty())
        sizes = options.nodes;
    double first_median = 0;
    for (int n : sizes) {
        check_interrupted();
        const Barriers b = measure(n, phases);
        const double med = median(b.total_ms);
        if (n == sizes.front())
            first_median = med;
        // The two halves: the last report reaching the leader's barrier, the next order reaching every node.
        std::string note = std::to_string(b.total_ms.size()) + " barriers; medians: last end -> barrier " +
                           fixed(median(b.to_leader_ms), 0) + " ms, barrier -> last start " + fixed(median(b.fan_out_ms), 0) +
                           " ms";
        if (n == 64)
            note = "target <= 10 ms median; " + note;
        table.add("1", "phase barrier, " + std::to_string(n) + " daemons: median / p99 / mean",
                  fixed(med, 1) + " / " + fixed(percentile(b.total_ms, 99), 1) + " / " + fixed(mean(b.total_ms), 2) + " ms",
                  note);
        if (n != sizes.front())
            table.add("1", "growth " + std::to_string(sizes.front()) + " -> " + std::to_string(n) + " daemons",
                      fixed(med / std::max(first_median, 0.5), 1) + "x",
                      "nodes x" + fixed(static_cast<double>(n) / sizes.front(), 0) + "; target: no worse than linear");
    }
}

}  // namespace chu::bench
