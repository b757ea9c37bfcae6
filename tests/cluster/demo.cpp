// chu-demo: a whole Chef HA cluster (2 backends + 3 frontends) upgrading itself on this machine. Real daemons
// on 127.0.1.x, real ZeroMQ, a private D-Bus bus per node; the Chef commands are simulated (each takes a
// moment, and the keepalived failover takes a second). Shows every node's progress, approves the cleanup at
// the gate as an operator would, and ends with a summary. Cleans up after itself, also on Ctrl-C.
#include "cluster.hpp"

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <thread>

using namespace chu::test;
using namespace std::chrono_literals;

namespace {

volatile sig_atomic_t interrupted = 0;

std::string clock_now()
{
    const auto now = std::chrono::system_clock::now();
    const std::time_t t = std::chrono::system_clock::to_time_t(now);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    char buf[32];
    std::strftime(buf, sizeof buf, "%H:%M:%S", std::localtime(&t));
    std::snprintf(buf + 8, sizeof buf - 8, ".%03lld", static_cast<long long>(ms));
    return buf;
}

double seconds(std::chrono::steady_clock::duration d)
{
    return std::chrono::duration<double>(d).count();
}

}  // namespace

int main(int argc, char** argv)
{
    ClusterSpec spec;
    spec.frontends = 3;
    spec.network = "127.0.1.";
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--plan" && i + 1 < argc)
            spec.plan = argv[++i];
        else if (a == "--rpm")
            spec.package_ext = ".rpm";
        else if (a == "--frontends" && i + 1 < argc)
            spec.frontends = std::atoi(argv[++i]);
        else {
            std::fprintf(stderr, "usage: chu-demo [--plan chef-server-12|enterprise-chef-11] [--rpm] [--frontends N]\n");
            return 2;
        }
    }
    struct sigaction sa {};
    sa.sa_handler = [](int) { interrupted = 1; };
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);

    try {
        Cluster c(spec);
        std::ofstream(c.world() + "/delay_ms") << "300\n";
        std::ofstream(c.world() + "/failover_ms") << "1000\n";
        std::printf("chef-ha-upgrade demo: plan %s, %zu nodes (2 backends, %d frontends) on 127.0.1.x; files in %s\n\n",
                    spec.plan.c_str(), c.nodes().size(), spec.frontends, c.world().substr(0, c.world().rfind('/')).c_str());
        for (const auto& n : c.nodes())
            std::printf("  %-18s %-10s %s\n", n.name.c_str(), n.role.c_str(), n.address.c_str());
        std::printf("\n");
        const auto start = std::chrono::steady_clock::now();
        c.start_all();

        std::map<std::string, std::string> shown;
        std::map<int, std::chrono::steady_clock::time_point> phase_began;
        std::map<int, std::string> phase_names;
        bool approved = false;
        std::string outcome;
        while (!interrupted) {
            for (const auto& n : c.nodes()) {
                const View v = c.view(n.name);
                if (!v.reachable)
                    continue;
                const std::string line =
                    v.state + "  phase " + std::to_string(v.phase) + " " + v.phase_name + (v.step.empty() ? "" : ": " + v.step);
                if (shown[n.name] != line) {
                    shown[n.name] = line;
                    std::printf("%s  %-16s %-9s %3u%%  %s\n", clock_now().c_str(), n.name.c_str(), n.role.c_str(), v.progress,
                                line.c_str());
                    if (v.state == "failed" && !v.last_error.empty())
                        std::printf("%14s %s\n", "", v.last_error.c_str());
                }
                if (n.name == c.leader()) {
                    if (!phase_began.count(v.phase)) {
                        phase_began[v.phase] = std::chrono::steady_clock::now();
                        phase_names[v.phase] = v.phase_name;
                    }
                    if (v.state == "awaiting-approval" && !approved) {
                        std::string status;
                        c.ctl(c.nodes().back().name, {"status"}, &status);
                        std::printf("\n>>> the cluster is at the cleanup gate. An operator checks it:\n"
                                    ">>>   chef-ha-upgrade-ctl status   (here, on %s)\n%s\n"
                                    ">>> and approves:\n>>>   chef-ha-upgrade-ctl approve\n\n",
                                    c.nodes().back().name.c_str(), status.c_str());
                        c.approve(c.nodes().back().name);
                        approved = true;
                    }
                    if (v.state == "complete" || v.state == "aborted" || v.state == "failed")
                        outcome = v.state;
                }
            }
            if (!outcome.empty())
                break;
            std::this_thread::sleep_for(100ms);
        }
        if (interrupted) {
            std::printf("\ninterrupted: stopping the cluster and cleaning up\n");
            return 130;
        }
        const auto end = std::chrono::steady_clock::now();
        const View leader = c.view(c.leader());
        std::printf("\n==== %s in %.1f s\n", outcome.c_str(), seconds(end - start));
        if (leader.downtime_start_usec && leader.downtime_end_usec)
            std::printf("downtime window: %.1f s (frontends stopped -> bootstrap and frontends started)\n",
                        (leader.downtime_end_usec - leader.downtime_start_usec) / 1e6);
        std::printf("\nphases as the leader walked them (wall time, barriers included):\n");
        for (auto it = phase_began.begin(); it != phase_began.end(); ++it) {
            auto next = std::next(it);
            const auto until = next == phase_began.end() ? end : next->second;
            std::printf("  %2d  %-45s %6.2f s\n", it->first, phase_names[it->first].c_str(), seconds(until - it->second));
        }
        std::string report;
        c.ctl(c.leader(), {"report"}, &report);
        std::printf("\nchef-ha-upgrade-ctl report (on the leader):\n%s\n", report.c_str());
        const bool ok = c.verify({"--approval", "--complete"}, &report);
        std::printf("the simulated Chef nodes' call log against the runbook's rules:\n%s\n", report.c_str());
        return outcome == "complete" && ok ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "chu-demo: %s\n", e.what());
        return 1;
    }
}
