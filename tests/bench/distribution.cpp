// 5. /etc/opscode distribution: the bootstrap's directory filled with 1, 16 and 64 MiB of incompressible
// files, sent to the 17 other nodes of a 2+16 cluster by tests/bench/copy-opscode.plan. The copy phase's
// time (join -> the leader journals the phase complete: packing, every node's fetch, check, fsynced unpack
// and swap) against the machine's own bound: `cp -a` of the same directory, once per receiving node, and
// the same followed by a sync.
#include "bench.hpp"
#include "sections.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <random>

namespace chu::bench {

namespace {

constexpr int files = 16;

void fill(const std::string& dir, std::size_t mib)
{
    test::run_program({"/bin/mkdir", "-p", dir}, {}, nullptr);
    std::mt19937_64 random(mib);  // incompressible, and the same every run
    std::vector<std::uint64_t> block(mib * (1u << 20) / files / sizeof(std::uint64_t));
    for (int f = 0; f < files; ++f) {
        for (auto& word : block)
            word = random();
        std::ofstream out(dir + "/data-" + std::to_string(f), std::ios::binary);
        out.write(reinterpret_cast<const char*>(block.data()), static_cast<std::streamsize>(block.size() * sizeof block[0]));
    }
}

}  // namespace

void distribution(Table& table, const Options& options, Shared&)
{
    const std::vector<std::size_t> sizes = options.quick ? std::vector<std::size_t>{1} : std::vector<std::size_t>{1, 16, 64};
    for (const std::size_t mib : sizes) {
        check_interrupted();
        test::ClusterSpec spec;
        spec.frontends = 16;
        spec.plan = std::string(CHU_BENCH_DIR) + "/copy-opscode.plan";
        spec.buses = false;
        spec.cleanup = "auto";
        spec.heartbeat_ms = 1000;
        spec.peer_timeout_ms = 5000;
        test::Cluster c(spec);
        const auto& leader = c.nodes().front();
        const std::string source = leader.dir + "/etc/opscode";
        fill(source + "/bench-data", mib);
        std::fprintf(stderr, "chu-bench: /etc/opscode of %zu MiB to %zu nodes ...\n", mib, c.nodes().size() - 1);
        c.start_all();
        wait_for_phase(c, 1, std::chrono::seconds(300));
        // The archive is held in memory on its way: what that costs at the peak.
        long leader_peak = sample(c.pid(leader.name)).hwm_kib, follower_peak = 0;
        for (const auto& n : c.nodes())
            if (n.name != leader.name)
                follower_peak = std::max(follower_peak, sample(c.pid(n.name)).hwm_kib);
        const auto journal = journal_of(leader);
        std::int64_t copied_ms = 0;
        for (const auto& p : records_of<PhaseRecord>(journal))
            if (p.phase == 1)
                copied_ms = p.at_ms;
        const std::int64_t joined_ms = records_of<JoinedRecord>(journal).front().at_ms;
        const double copy_s = (copied_ms - joined_ms) / 1000.0;
        // Where it went, per receiving node: the archive whole (the install's attempt starts then) and the
        // install itself.
        std::vector<double> whole_s, install_s;
        for (const auto& n : c.nodes()) {
            if (n.name == leader.name)
                continue;
            const auto node_journal = journal_of(n);
            std::int64_t started = 0;
            for (const auto& st : records_of<StartedRecord>(node_journal))
                if (st.phase == 1 && started == 0)
                    started = st.at_ms;
            for (const auto& f : records_of<FinishedRecord>(node_journal))
                if (f.phase == 1 && started != 0) {
                    whole_s.push_back((started - joined_ms) / 1000.0);
                    install_s.push_back((f.at_ms - started) / 1000.0);
                }
        }
        // Correct copies only: every node's tree is the bootstrap's.
        for (const auto& n : c.nodes()) {
            std::string out;
            if (n.name != leader.name &&
                test::run_program({"/usr/bin/diff", "-r", "-q", source, n.dir + "/etc/opscode"}, {}, &out) != 0)
                throw std::runtime_error("the copy on " + n.name + " differs from the bootstrap's: " + out);
        }
        // The machine's own bound: a local cp -a of the same directory once per receiving node.
        const std::string scratch = c.world() + "/../cp-bound";
        const auto t0 = std::chrono::steady_clock::now();
        for (std::size_t i = 1; i < c.nodes().size(); ++i)
            test::run_program({"/bin/cp", "-a", source, scratch + std::to_string(i)}, {}, nullptr);
        const double cp_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        // And the same copies made durable, as the install makes its own before the swap: the floor with
        // the disk in it.
        test::run_program({"/bin/sync"}, {}, nullptr);
        const double durable_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        table.add("5", "/etc/opscode " + std::to_string(mib) + " MiB to 17 nodes: copy phase / cp -a x17",
                  fixed(copy_s, 2) + " s / " + fixed(cp_s, 2) + " s",
                  fixed(copy_s / cp_s, 1) + "x the local copy (target <= 3), " + fixed(copy_s / durable_s, 1) + "x it synced (" +
                      fixed(durable_s, 2) + " s); per node, median / last: archive whole " + fixed(median(whole_s), 2) + " / " +
                      fixed(percentile(whole_s, 100), 2) + " s after the join, install " + fixed(median(install_s), 2) + " / " +
                      fixed(percentile(install_s, 100), 2) + " s; peak RSS leader " + fixed(leader_peak / 1024.0, 0) +
                      " MiB, follower " + fixed(follower_peak / 1024.0, 0) + " MiB");
    }
}

}  // namespace chu::bench
