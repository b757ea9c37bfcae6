// 2 and 3. The whole chef-server-12 procedure on 2 backends + 16 frontends, every simulated Chef command
// taking a fixed time (WORLD/delay_ms), run three ways on fresh simulated clusters, one right after the other:
// by our daemons, by Ansible (tests/bench/ansible/chef-server-12.yml, the best strategy per phase), and as
// the runbook is written, one command after another (the manual baseline). Each run is checked with
// `chu-simchef verify`, and compared with the critical-path bound computed from the plan.
#include "bench.hpp"
#include "sections.hpp"

#include "checks/checks.hpp"
#include "config/plan_file.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace chu::bench {

namespace {

constexpr unsigned delay_ms = 200;         // every simulated Chef command
constexpr unsigned upgrade_extra_ms = 50;  // the simulated `upgrade` sleeps this much more (tests/simchef/ctl.cpp)
constexpr int frontends = 16;

struct Bound {
    double total_ms = 0, downtime_ms = 0;
    std::vector<double> phase_ms;  // per plan phase (index 0: the first phase after the join)
};

// The sum over phases of the longest chain of steps in the phase: steps follow each other; nodes of one
// step run side by side, except backends-serial steps (bootstrap, then secondary, then the frontends).
// Checks, the /etc/opscode copy and the gate are the orchestrator's own work: they cost nothing here, so
// their time counts as overhead, except one wait the plan itself needs: a keepalived check believes a
// backend's state files only once neither changed for keepalived_settle_ms (checks.hpp), and the simulated
// `upgrade` and `start|restart keepalived` rewrite the files of the backend they run on as they end
// (tests/simchef/world.cpp keepalived::start). `when` steps are left out: they run only when the bootstrap is
// not keepalived master after the secondary's upgrade, which the simulated cluster never is (verify checks it).
double step_cost(const Step& step)
{
    const auto& argv = step.run.empty() ? step.run_deb : step.run;
    return delay_ms + (std::count(argv.begin(), argv.end(), "upgrade") ? upgrade_extra_ms : 0);
}

bool rewrites_keepalived_state(const Step& step)
{
    const auto& argv = step.run.empty() ? step.run_deb : step.run;
    const auto has = [&](const char* word) { return std::count(argv.begin(), argv.end(), word) > 0; };
    return has("upgrade") || ((has("start") || has("restart")) && has("keepalived"));
}

Bound critical_path(const Plan& plan)
{
    Bound b;
    bool in_downtime = false;
    double now = 0;                                  // since the first phase began
    std::map<Role, double> keepalived_written = {};  // per backend role: when its state files last changed
    for (const auto& phase : plan.phases) {
        const double phase_began = now;
        for (const auto& step : phase.steps) {
            if (step.when.kind != Condition::Kind::always)
                continue;
            if (step.kind == StepKind::check &&
                (step.check == Check::keepalived_master || step.check == Check::keepalived_status))
                for (const Role role : {Role::bootstrap, Role::secondary})
                    if (runs_on(step, role) && keepalived_written.count(role))
                        now = std::max(now, keepalived_written[role] + keepalived_settle_ms);
            if (step.kind != StepKind::run)
                continue;
            const double began = now;
            for (const Role role : {Role::bootstrap, Role::secondary, Role::frontend}) {
                if (!runs_on(step, role))
                    continue;
                // Side by side, every role ends one cost after the start; backends-serial, one after the other.
                const double ended = (step.order == NodeOrder::backends_serial ? now : began) + step_cost(step);
                now = std::max(now, ended);
                if (role != Role::frontend && rewrites_keepalived_state(step))
                    keepalived_written[role] = ended;
            }
        }
        in_downtime = in_downtime || phase.downtime_begins;
        b.phase_ms.push_back(now - phase_began);
        b.total_ms += now - phase_began;
        if (in_downtime)
            b.downtime_ms += now - phase_began;
        in_downtime = in_downtime && !phase.downtime_ends;
    }
    return b;
}

struct Run {
    explicit Run(std::string name) : who(std::move(name)) {}
    std::string who;
    bool ran = false;
    bool verified = false;
    std::string problem;                    // why it did not run or verify
    double launch_s = 0;                    // tool launched -> its first step began
    double procedure_s = 0;                 // first step began -> last step ended
    std::int64_t begin_ms = 0, end_ms = 0;  // that span, for the idle time in it
    double idle_s = 0;                      // of it, time in which no simulated Chef command ran
    double downtime_s = 0;
};

test::ClusterSpec spec_of()
{
    test::ClusterSpec spec;
    spec.frontends = frontends;
    spec.cleanup = "auto";  // no operator in the loop: the gate opens at once
    spec.heartbeat_ms = 1000;
    spec.peer_timeout_ms = 5000;
    return spec;
}

// The span's length, and how much of it passed with no simulated Chef command running (the union of the
// calls' intervals, subtracted): time spent by the orchestrator alone, whatever the bound says.
void finish(Run& r, const test::Cluster& c)
{
    r.procedure_s = (r.end_ms - r.begin_ms) / 1000.0;
    auto calls = calls_of(c.world());
    std::sort(calls.begin(), calls.end(), [](const Call& a, const Call& b) { return a.begin_ms < b.begin_ms; });
    std::int64_t busy = 0, covered_to = r.begin_ms;
    for (const auto& call : calls) {
        const std::int64_t from = std::max(call.begin_ms, covered_to), to = std::min(call.end_ms, r.end_ms);
        if (to > from) {
            busy += to - from;
            covered_to = to;
        }
    }
    r.idle_s = r.procedure_s - busy / 1000.0;
    std::string report;
    r.verified = c.verify({"--complete"}, &report);
    if (!r.verified)
        r.problem = "chu-simchef verify failed:\n" + report;
    if (auto w = downtime_of(calls_of(c.world())))
        r.downtime_s = w->seconds();
}

Run ours(Shared& shared, const Bound& bound)
{
    Run r("chef-ha-upgrade");
    test::ClusterSpec spec = spec_of();
    test::Cluster c(spec);
    write_text(c.world() + "/delay_ms", std::to_string(delay_ms) + "\n");
    const auto& leader = c.nodes().front();
    auto plan = load_plan(test::Cluster::source_dir() + "/conf/plans/chef-server-12.plan", "");
    const int last_phase = static_cast<int>(plan.value().phases.size());
    std::fprintf(stderr, "chu-bench: chef-server-12 by chef-ha-upgrade, 2+%d nodes ...\n", frontends);
    const std::int64_t launched = epoch_ms();
    c.start_all();
    try {
        wait_for_phase(c, last_phase, std::chrono::seconds(300));
    } catch (const std::runtime_error& e) {
        r.problem = e.what();
        return r;
    }
    r.ran = true;
    for (const auto& n : c.nodes()) {
        const long hwm = sample(c.pid(n.name)).hwm_kib;
        (n.name == leader.name ? shared.peak_kib_leader : shared.peak_kib_followers).push_back(hwm);
    }
    const auto journal = journal_of(leader);
    const auto joined = records_of<JoinedRecord>(journal);
    const auto phases = records_of<PhaseRecord>(journal);
    r.launch_s = (joined.front().at_ms - launched) / 1000.0;
    r.begin_ms = joined.front().at_ms;
    r.end_ms = phases.back().at_ms;
    // Where the overhead is: each phase against its bound.
    std::int64_t since = joined.front().at_ms;
    for (const auto& p : phases) {
        const double bound_ms = p.phase >= 1 ? bound.phase_ms[static_cast<std::size_t>(p.phase - 1)] : 0;
        std::fprintf(stderr, "  phase %2d %-45s %6lld ms (bound %4.0f ms, overhead %4.0f ms)\n", p.phase,
                     plan.value().phases[static_cast<std::size_t>(p.phase - 1)].title.c_str(),
                     static_cast<long long>(p.at_ms - since), bound_ms, (p.at_ms - since) - bound_ms);
        since = p.at_ms;
    }
    finish(r, c);
    return r;
}

// "2024-05-01 02:30:01,234 p=... | TASK [...]": the ms timestamps ANSIBLE_LOG_PATH gives every line.
std::int64_t ansible_time(const std::string& line)
{
    std::tm tm{};
    const char* rest = strptime(line.c_str(), "%Y-%m-%d %H:%M:%S", &tm);
    if (!rest || *rest != ',')
        return -1;
    tm.tm_isdst = -1;
    return static_cast<std::int64_t>(std::mktime(&tm)) * 1000 + std::atoi(rest + 1);
}

Run ansible(const Options& options)
{
    Run r("Ansible");
    if (access(options.ansible.c_str(), X_OK) != 0) {
        r.problem = options.ansible + " not found (apt-get install ansible)";
        return r;
    }
    test::ClusterSpec spec = spec_of();
    spec.buses = false;  // simulated nodes only: no daemon runs here
    test::Cluster c(spec);
    write_text(c.world() + "/delay_ms", std::to_string(delay_ms) + "\n");
    const std::string dir = c.world() + "/../ansible";
    mkdir(dir.c_str(), 0755);
    // One inventory host per simulated node, each with the paths of its own simulated machine.
    std::ostringstream inv;
    for (const char* group : {"bootstrap", "secondary", "frontend"}) {
        inv << "[" << group << (std::string(group) == "frontend" ? "s" : "") << "]\n";
        for (const auto& n : c.nodes())
            if (n.role == group)
                inv << n.name << " node_dir=" << n.dir << "\n";
        inv << "\n";
    }
    inv << "[backends:children]\nbootstrap\nsecondary\n\n"
        << "[all:vars]\nansible_connection=local\npackage=" << c.package() << "\n";
    write_text(dir + "/inventory", inv.str());
    write_text(dir + "/ansible.cfg", "[defaults]\n"
                                     "forks = " +
                                         std::to_string(c.nodes().size()) +
                                         "\n"  // every host at once
                                         "gathering = explicit\n"
                                         "interpreter_python = /usr/bin/python3\n"
                                         "retry_files_enabled = False\n"
                                         "nocolor = True\n"
                                         "deprecation_warnings = False\n"
                                         "log_path = " +
                                         dir +
                                         "/ansible.log\n"
                                         "local_tmp = " +
                                         dir +
                                         "/tmp\n"
                                         "remote_tmp = " +
                                         dir +
                                         "/tmp\n"
                                         "[connection]\n"
                                         "pipelining = True\n");
    std::fprintf(stderr, "chu-bench: chef-server-12 by Ansible, 2+%d inventory hosts ...\n", frontends);
    const std::int64_t launched = epoch_ms();
    const int status = run_bounded(
        {options.ansible, "-i", dir + "/inventory", std::string(CHU_BENCH_DIR) + "/ansible/chef-server-12.yml"},
        {"ANSIBLE_CONFIG=" + dir + "/ansible.cfg", "ANSIBLE_HOME=" + dir}, dir + "/output.log", std::chrono::minutes(20));
    if (status != 0) {
        r.problem = "ansible-playbook exited " + std::to_string(status) + "; its output: " + dir + "/output.log";
        std::fprintf(stderr, "%s\n", read_text(dir + "/output.log").c_str());
        return r;
    }
    r.ran = true;
    std::int64_t first_task = -1, recap = -1;
    std::istringstream log(read_text(dir + "/ansible.log"));
    for (std::string line; std::getline(log, line);) {
        if (line.find("| TASK [") != std::string::npos && first_task < 0)
            first_task = ansible_time(line);
        if (line.find("| PLAY RECAP") != std::string::npos)
            recap = ansible_time(line);
    }
    r.launch_s = (first_task - launched) / 1000.0;
    r.begin_ms = first_task;
    r.end_ms = recap;
    finish(r, c);
    return r;
}

// The runbook as written: one command at a time, node after node, in the seed's order.
Run manual()
{
    Run r("runbook by hand");
    test::ClusterSpec spec = spec_of();
    spec.buses = false;  // simulated nodes only: no daemon runs here
    test::Cluster c(spec);
    write_text(c.world() + "/delay_ms", std::to_string(delay_ms) + "\n");
    std::vector<const test::NodeInfo*> all, fronts;
    const test::NodeInfo *bootstrap = nullptr, *secondary = nullptr;
    for (const auto& n : c.nodes()) {
        all.push_back(&n);
        if (n.role == "bootstrap")
            bootstrap = &n;
        else if (n.role == "secondary")
            secondary = &n;
        else
            fronts.push_back(&n);
    }
    auto run = [&](const test::NodeInfo* n, std::vector<std::string> argv, bool may_fail = false) {
        check_interrupted();
        std::string out;
        if (argv[0].find('/') == std::string::npos)
            argv[0] = n->dir + "/bin/" + argv[0];
        const int status = test::run_program(argv, {}, &out);
        if (status != 0 && !may_fail)
            throw std::runtime_error("manual baseline: " + argv[0] + " failed on " + n->name + ": " + out);
        return out;
    };
    std::fprintf(stderr, "chu-bench: chef-server-12 by hand, 2+%d nodes ...\n", frontends);
    const std::int64_t began = epoch_ms();
    run(bootstrap, {"make", "--version"});
    for (auto* n : all)
        run(n, {"private-chef-ctl", "reconfigure"});
    for (auto* n : fronts)
        run(n, {"private-chef-ctl", "stop"});
    run(secondary, {"private-chef-ctl", "stop", "keepalived"});
    for (auto* n : all)
        run(n, {"dpkg", "-D10", "-i", c.package()});
    run(bootstrap, {"chef-server-ctl", "stop"});
    run(bootstrap, {"chef-server-ctl", "upgrade"});
    for (auto* n : all)
        if (n != bootstrap) {  // scp -r <bootstrap>:/etc/opscode /etc, here a local copy of the whole directory
            run(n, {"/bin/rm", "-rf", n->dir + "/etc/opscode"});
            run(n, {"/bin/cp", "-a", bootstrap->dir + "/etc/opscode", n->dir + "/etc/opscode"});
        }
    run(secondary, {"chef-server-ctl", "upgrade"});
    run(bootstrap, {"/bin/cat", bootstrap->dir + "/var/keepalived/current_cluster_status"});
    for (auto* n : fronts)
        run(n, {"chef-server-ctl", "upgrade"});
    run(bootstrap, {"chef-server-ctl", "start"});
    for (auto* n : fronts)
        run(n, {"chef-server-ctl", "start"});
    // "the state of the system after the upgrade has been tested and verified": what the plan's verify runs
    run(bootstrap, {"chef-server-ctl", "status"});
    for (auto* n : fronts)
        run(n, {"chef-server-ctl", "status"});
    // 12.0 reports the mover, down by design, and exits non-zero (chef/chef#3566): the operator reads past
    // that error, as the plan's ha-status step does, and stops at any other.
    for (auto* n : {bootstrap, secondary}) {
        const std::string out = run(n, {"chef-server-ctl", "ha-status"}, true);
        const std::string mover = "[ERROR] opscode-chef-mover is not running.\n", summary = "[ERROR] ERRORS WERE DETECTED.";
        std::size_t errors = 0;
        for (auto at = out.find("[ERROR]"); at != std::string::npos; at = out.find("[ERROR]", at + 1))
            ++errors;
        if (errors > 2 || (errors != 0 && (out.find(mover) == std::string::npos || out.find(summary) == std::string::npos)))
            throw std::runtime_error("manual baseline: ha-status on " + n->name + " reports more than the mover: " + out);
    }
    for (auto* n : all)
        run(n, {"chef-server-ctl", "cleanup"}, true);  // exits 1 with the expected chef-mover message
    r.ran = true;
    r.begin_ms = began;
    r.end_ms = epoch_ms();
    finish(r, c);
    return r;
}

std::string seconds(double s)
{
    return fixed(s, 2) + " s";
}

}  // namespace

void procedure(Table& table, const Options& options, Shared& shared)
{
    auto plan = load_plan(test::Cluster::source_dir() + "/conf/plans/chef-server-12.plan", "");
    if (!plan)
        throw std::runtime_error(plan.error().message);
    const Bound bound = critical_path(plan.value());
    const std::string setup = "2+" + std::to_string(frontends) + ", every Chef command " + std::to_string(delay_ms) + " ms";
    table.add("2", "critical-path bound: whole run / downtime",
              seconds(bound.total_ms / 1000) + " / " + seconds(bound.downtime_ms / 1000),
              "from the plan; " + setup + " (upgrade +" + std::to_string(upgrade_extra_ms) +
                  " ms in the sim), keepalived state believed " + std::to_string(keepalived_settle_ms) +
                  " ms after it was written");

    std::vector<Run> runs;
    runs.push_back(ours(shared, bound));
    if (options.wants("ansible")) {
        check_interrupted();
        runs.push_back(ansible(options));
        check_interrupted();
        runs.push_back(manual());
    }
    const double b = bound.total_ms / 1000, bd = bound.downtime_ms / 1000;
    for (const auto& r : runs) {
        if (!r.problem.empty())
            std::fprintf(stderr, "chu-bench: %s: %s\n", r.who.c_str(), r.problem.c_str());
        const std::string section = r.who == "chef-ha-upgrade" ? "2" : "3";
        if (!r.ran) {
            table.add(section, r.who + ": did not run", "-", r.problem.substr(0, 120));
            continue;
        }
        const std::string verified = r.verified ? "verified" : "VERIFY FAILED";
        table.add(section, r.who + ": total (first step -> done)", seconds(r.procedure_s),
                  fixed(r.procedure_s / b, 3) + "x bound" + (section == "2" ? " (target <= 1.10)" : "") + "; " + verified);
        table.add(section, r.who + ": downtime window", seconds(r.downtime_s),
                  fixed(r.downtime_s / bd, 3) + "x bound" + (section == "2" ? " (target <= 1.10)" : ""));
        table.add(section, r.who + ": orchestration overhead", seconds(r.procedure_s - b),
                  std::string(r.who == "runbook by hand" ? "one command at a time; " : "total - bound; ") +
                      "no Chef command running for " + seconds(r.idle_s));
        if (r.launch_s > 0)
            table.add(section, r.who + ": launch -> first step", seconds(r.launch_s),
                      r.who == "Ansible" ? "python start, inventory and playbook load" : "daemons start, connect and join");
    }
    if (runs.size() > 1 && runs[0].ran && runs[1].ran) {
        const double ours_overhead = runs[0].procedure_s - b, theirs = runs[1].procedure_s - b;
        table.add("3", "overhead ours / Ansible's", fixed(ours_overhead / theirs, 4),
                  "target <= 0.02 (1/50); totals " + fixed(runs[0].procedure_s, 2) + " s vs " + fixed(runs[1].procedure_s, 2) +
                      " s");
    }
}

}  // namespace chu::bench
