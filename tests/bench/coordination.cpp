// 1. Per-phase coordination cost: tests/bench/null-steps.plan (phases of /bin/true on every node) on clusters
// of 4 to 128 real daemons on loopback. A barrier is measured from the daemons' journals: from the moment the
// last node finished phase k (its Finished record) to the moment the last node started phase k+1 (its Started
// record). In between: the last report's journal fsync and trip, the leader's fsyncs (report, phase), the
// orders to every node. The /bin/true itself is outside it. Beside each figure, its floor on this machine,
// measured in the same run: fsync of a small record, that many at once, and a loopback round trip.
#include "bench.hpp"
#include "sections.hpp"

#include "config/plan_file.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <thread>

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

// The floors, measured in the same run: what a barrier cannot go under on this machine.
struct Floors {
    double fsync_ms = 0;     // one small append and fdatasync (a journal record), median
    double fan_out_ms = 0;   // n processes' worth of those at once, until the last is durable, median
    double loopback_ms = 0;  // one TCP round trip on 127.0.0.1, median
};

double append_and_sync(int fd)
{
    const auto t0 = std::chrono::steady_clock::now();
    const char record[64] = {};
    if (write(fd, record, sizeof record) != static_cast<ssize_t>(sizeof record) || fdatasync(fd) != 0)
        throw std::runtime_error("floor: cannot write and sync a scratch file");
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// n files synced at once (a thread each, as n daemons would), 10 times: the median of the slowest.
double concurrent_syncs(const std::string& dir, int n)
{
    std::vector<int> fds;
    for (int i = 0; i < n; ++i)
        fds.push_back(open((dir + "/floor-" + std::to_string(i)).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    std::vector<double> rounds;
    for (int round = 0; round < 10; ++round) {
        const auto t0 = std::chrono::steady_clock::now();
        std::vector<std::thread> threads;
        for (int fd : fds)
            threads.emplace_back([fd] { append_and_sync(fd); });
        for (auto& t : threads)
            t.join();
        rounds.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    for (int i = 0; i < n; ++i) {
        close(fds[static_cast<std::size_t>(i)]);
        unlink((dir + "/floor-" + std::to_string(i)).c_str());
    }
    return median(rounds);
}

double loopback_round_trip()
{
    const int server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in at{};
    at.sin_family = AF_INET;
    at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof at;
    if (bind(server, reinterpret_cast<sockaddr*>(&at), sizeof at) != 0 || listen(server, 1) != 0 ||
        getsockname(server, reinterpret_cast<sockaddr*>(&at), &len) != 0)
        throw std::runtime_error("floor: cannot listen on 127.0.0.1");
    std::thread echo([server] {
        const int peer = accept(server, nullptr, nullptr);
        char byte;
        while (read(peer, &byte, 1) == 1 && write(peer, &byte, 1) == 1) {}
        close(peer);
    });
    const int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(client, reinterpret_cast<sockaddr*>(&at), sizeof at) != 0)
        throw std::runtime_error("floor: cannot connect on 127.0.0.1");
    std::vector<double> trips;
    for (int i = 0; i < 200; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        char byte = 'x';
        if (write(client, &byte, 1) != 1 || read(client, &byte, 1) != 1)
            break;
        trips.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    close(client);
    echo.join();
    close(server);
    return median(trips);
}

Floors measure_floors(int nodes)
{
    char dir[] = "/tmp/chu-bench-floor-XXXXXX";  // where the clusters' journals live
    if (!mkdtemp(dir))
        throw std::runtime_error("floor: cannot make a scratch directory");
    Floors f;
    const int fd = open((std::string(dir) + "/one").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    std::vector<double> syncs;
    for (int i = 0; i < 50; ++i)
        syncs.push_back(append_and_sync(fd));
    close(fd);
    unlink((std::string(dir) + "/one").c_str());
    f.fsync_ms = median(syncs);
    f.fan_out_ms = concurrent_syncs(dir, nodes - 1);
    rmdir(dir);
    f.loopback_ms = loopback_round_trip();
    return f;
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
        // The floor: the last report's fsync and trip, the leader's fsync, the orders' trip and every other
        // node's fsync of its start, all on this one machine's disk.
        const Floors f = measure_floors(n);
        const double floor = f.fsync_ms + f.loopback_ms + f.fsync_ms + f.loopback_ms + f.fan_out_ms;
        note += "; floor " + fixed(floor, 1) + " ms (fsync " + fixed(f.fsync_ms, 2) + " ms, " + std::to_string(n - 1) +
                " at once " + fixed(f.fan_out_ms, 1) + " ms, loopback round trip " + fixed(f.loopback_ms, 3) + " ms)";
        if (n == 64)
            note = "target <= 20 ms median; " + note;
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
