// 4. Footprint: a joined 2+16 cluster that waits for its start (auto_start = no), each daemon on its own
// D-Bus bus as on a real node, product defaults (heartbeat 1 s). Over a measured idle minute: CPU seconds
// (every thread's time on a CPU, /proc/PID/task/*/schedstat: utime + stime in ns) extrapolated to an hour,
// and wakeups per second (context switches of every thread, /proc/PID/task/*/status). RSS idle from /proc/PID/status; the peak (VmHWM) is
// read at the end of section 2's chef-server-12 run.
#include "bench.hpp"
#include "sections.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

namespace chu::bench {

namespace {

std::string mib(double kib)
{
    return fixed(kib / 1024, 1) + " MiB";
}

double max_of(const std::vector<double>& v)
{
    return v.empty() ? 0 : *std::max_element(v.begin(), v.end());
}

}  // namespace

void footprint(Table& table, const Options& options, Shared& shared)
{
    test::ClusterSpec spec;
    spec.frontends = 16;
    spec.heartbeat_ms = 1000;
    spec.peer_timeout_ms = 5000;
    test::Cluster c(spec);
    for (const auto& n : c.nodes())
        c.drop_in(n.name, "[upgrade]\nauto_start = no\n");
    std::fprintf(stderr, "chu-bench: footprint, 2+16 daemons idle for %u s ...\n", options.idle_seconds);
    c.start_all();
    const auto& leader = c.nodes().front();
    if (!wait_until([&] { return !records_of<JoinedRecord>(journal_of(leader)).empty(); }, std::chrono::seconds(60)))
        throw std::runtime_error("the idle cluster did not join within 60 s");
    sleep_for(std::chrono::seconds(3));  // connections and first beats settle

    std::map<std::string, ProcSample> before, after;
    for (const auto& n : c.nodes())
        before[n.name] = sample(c.pid(n.name));
    const auto t0 = std::chrono::steady_clock::now();
    sleep_for(std::chrono::seconds(options.idle_seconds));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (const auto& n : c.nodes())
        after[n.name] = sample(c.pid(n.name));
    if (c.view(leader.name).state != "idle")
        throw std::runtime_error("the cluster was not idle during the measurement: " + c.view(leader.name).state);

    std::vector<double> cpu_h, wakeups, rss, anon, file;
    double leader_cpu_h = 0, leader_wakeups = 0;
    long leader_rss = 0, leader_anon = 0;
    for (const auto& n : c.nodes()) {
        const ProcSample& a = before[n.name];
        const ProcSample& b = after[n.name];
        const double per_hour = (b.cpu_s - a.cpu_s) / seconds * 3600;
        const double per_second = (b.context_switches - a.context_switches) / seconds;
        if (n.name == leader.name) {
            leader_cpu_h = per_hour;
            leader_wakeups = per_second;
            leader_rss = b.rss_kib;
            leader_anon = b.anon_kib;
            continue;
        }
        cpu_h.push_back(per_hour);
        wakeups.push_back(per_second);
        rss.push_back(static_cast<double>(b.rss_kib));
        anon.push_back(static_cast<double>(b.anon_kib));
        file.push_back(static_cast<double>(b.file_kib));
    }
    const std::string measured = "measured over " + fixed(seconds, 0) + " s idle (joined, not started)";
    table.add("4", "RSS idle: leader / follower (median)", mib(leader_rss) + " / " + mib(median(rss)),
              "target <= 8 MiB; of it private (RssAnon): " + mib(leader_anon) + " / " + mib(median(anon)) +
                  ", shared libraries (RssFile): " + mib(median(file)));
    if (!shared.peak_kib_leader.empty()) {
        std::vector<double> peaks(shared.peak_kib_followers.begin(), shared.peak_kib_followers.end());
        table.add("4", "RSS peak (VmHWM): leader / follower (max)",
                  mib(static_cast<double>(shared.peak_kib_leader.front())) + " / " + mib(max_of(peaks)),
                  "at the end of section 2's chef-server-12 run");
    }
    table.add("4", "CPU per idle hour: leader / follower (median)",
              fixed(leader_cpu_h, 2) + " / " + fixed(median(cpu_h), 2) + " s",
              "target <= 1 s; " + measured + ", extrapolated x" + fixed(3600 / seconds, 0));
    table.add("4", "wakeups per second idle: leader / follower (median)",
              fixed(leader_wakeups, 1) + " / " + fixed(median(wakeups), 1), "context switches of all threads; heartbeat 1 s");
}

}  // namespace chu::bench
