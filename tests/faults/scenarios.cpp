#include "scenarios.hpp"

#include "cluster.hpp"
#include "faults.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <thread>

namespace chu::faults {

namespace {

using Clock = std::chrono::steady_clock;

volatile std::sig_atomic_t stop_requested = 0;
using test::Cluster;
using test::View;

struct RoleCalls {
    const char* role;
    const char* node;
    std::vector<std::pair<const char*, const char*>> calls;  // point name, Chef command as calls.log shows it
};

// The Chef commands each role runs in a chef-server-12 upgrade from Enterprise Chef 11 (.deb packages):
// the ctl is private-chef-ctl until the package is installed, chef-server-ctl afterwards.
const std::vector<RoleCalls>& role_calls()
{
    static const std::vector<RoleCalls> roles = {
        {"bootstrap",
         "be1.example.com",
         {{"reconfigure", "private-chef-ctl reconfigure"},
          {"install", "dpkg -D10 -i"},
          {"stop", "chef-server-ctl stop"},
          {"upgrade", "chef-server-ctl upgrade"},
          {"start", "chef-server-ctl start"},
          {"status", "chef-server-ctl status"},
          {"ha-status", "chef-server-ctl ha-status"},
          {"cleanup", "chef-server-ctl cleanup"}}},
        {"secondary",
         "be2.example.com",
         {{"reconfigure", "private-chef-ctl reconfigure"},
          {"stop-keepalived", "private-chef-ctl stop keepalived"},
          {"install", "dpkg -D10 -i"},
          {"upgrade", "chef-server-ctl upgrade"},
          {"ha-status", "chef-server-ctl ha-status"},
          {"cleanup", "chef-server-ctl cleanup"}}},
        {"frontend",
         "fe1.example.com",
         {{"reconfigure", "private-chef-ctl reconfigure"},
          {"stop", "private-chef-ctl stop"},
          {"install", "dpkg -D10 -i"},
          {"upgrade", "chef-server-ctl upgrade"},
          {"start", "chef-server-ctl start"},
          {"status", "chef-server-ctl status"},
          {"cleanup", "chef-server-ctl cleanup"}}},
    };
    return roles;
}

constexpr int last_phase = 13;  // cleanup, in chef-server-12 without add-ons

bool command_matches(const std::string& logged, const std::string& wanted)
{
    // The package path differs per run: the install is named by its options.
    if (wanted.rfind("dpkg ", 0) == 0)
        return logged.rfind(wanted + " ", 0) == 0;
    return logged == wanted;
}

bool began(const Cluster& c, const std::string& node, const std::string& command)
{
    const auto calls = read_calls(c.calls());
    return std::any_of(calls.begin(), calls.end(),
                       [&](const Call& call) { return call.node == node && command_matches(call.command, command); });
}

bool has_killed_call(const std::vector<Call>& calls)
{
    return std::any_of(calls.begin(), calls.end(), [](const Call& call) { return !call.ended; });
}

// LastError of a stopped cluster must say which node and which step.
bool names_node_and_step(const Cluster& c, const std::string& error)
{
    const bool node = std::any_of(c.nodes().begin(), c.nodes().end(),
                                  [&](const test::NodeInfo& n) { return error.find("node " + n.name) != std::string::npos; });
    return node && error.find("step ") != std::string::npos;
}

// Every node but the dropped one is up and in touch with the leader again.
bool whole(const Cluster& c, const std::string& dropped)
{
    for (const auto& n : c.nodes()) {
        if (n.name == dropped)
            continue;
        const View v = c.view(n.name);
        if (!v.reachable || v.state == "joining" || v.last_error.find("is not reachable") != std::string::npos)
            return false;
    }
    return true;
}

bool all_in_state(const Cluster& c, const std::string& state, const std::string& dropped)
{
    return std::all_of(c.nodes().begin(), c.nodes().end(),
                       [&](const test::NodeInfo& n) { return n.name == dropped || c.view(n.name).state == state; });
}

std::string diagnostics(const Cluster& c, const std::string& report)
{
    std::string out = "---- verify\n" + report + "---- calls.log\n" + c.calls();
    for (const auto& n : c.nodes())
        out += "---- " + n.name + " daemon log\n" + c.daemon_log(n.name);
    return out;
}

// A fault in force on one node; undone by the destructor too, so that an exception never leaves a node
// stopped or cut off.
class Injected {
public:
    Injected(Cluster& c, const std::string& node) : c_(c), node_(node) {}
    ~Injected() { heal(); }
    Injected(const Injected&) = delete;
    Injected& operator=(const Injected&) = delete;

    void stop()
    {
        c_.signal(node_, SIGSTOP);
        stopped_ = true;
    }
    void cut() { partition_ = std::make_unique<Partition>(c_.node(node_).address); }
    bool active() const { return stopped_ || partition_; }
    void heal()
    {
        if (stopped_ && c_.running(node_))
            c_.signal(node_, SIGCONT);
        stopped_ = false;
        partition_.reset();
    }

private:
    Cluster& c_;
    std::string node_;
    bool stopped_ = false;
    std::unique_ptr<Partition> partition_;
};

class Run {
public:
    Run(const Scenario& s, unsigned run, const Settings& settings, std::mt19937_64& rng)
        : s_(s), run_(run), settings_(settings), rng_(rng), c_(spec(s, run, settings)), fault_(c_, s.node)
    {
        std::ofstream(c_.world() + "/delay_ms") << settings.delay_ms << "\n";
        if (s.fault == Fault::hang)
            c_.add_fault(s.node + " hang 1 " + s.point.command);
    }

    Verdict go()
    {
        const auto started = Clock::now();
        c_.start_all();
        std::string problem = drive();
        std::string report;
        if (problem.empty())
            problem = judge(&report);
        v_.seconds = std::chrono::duration<double>(Clock::now() - started).count();
        v_.passed = problem.empty();
        v_.problem = problem;
        if (!v_.passed) {
            std::string name = s_.name();
            std::replace(name.begin(), name.end(), '/', '_');
            v_.log_path = "/tmp/chu-fault-" + std::to_string(getpid()) + "-" + std::to_string(run_) + "-" + name + ".log";
            std::ofstream(v_.log_path) << s_.name() << ": " << problem << "\n" << v_.note << "\n" << diagnostics(c_, report);
            if (settings_.keep_failed)
                setenv("CHU_KEEP_CLUSTER", "1", 1);
        }
        fault_.heal();
        return v_;
    }

private:
    static test::ClusterSpec spec(const Scenario& s, unsigned run, const Settings& settings)
    {
        test::ClusterSpec spec;
        spec.network = fresh_network(run);
        // A hung or frozen command must outlast its timeout; every other run keeps the plan's own timeouts.
        if (s.fault == Fault::hang || s.fault == Fault::sigstop_timeout)
            spec.timeout_s = settings.command_timeout_s;
        return spec;
    }

    bool triggered()
    {
        switch (s_.point.kind) {
        case Point::Kind::join: return c_.view(c_.leader()).reachable;
        case Point::Kind::phase: {
            const View v = c_.view(c_.leader());
            return v.state == "complete" ||
                   (v.reachable && v.state != "joining" && v.state != "idle" && v.phase >= s_.point.phase);
        }
        case Point::Kind::gate: return c_.view(c_.leader()).state == "awaiting-approval";
        case Point::Kind::call: return began(c_, s_.node, s_.point.command);
        }
        return false;
    }

    void inject()
    {
        switch (s_.fault) {
        case Fault::kill9:
            c_.kill9(s_.node);
            c_.start(s_.node);
            break;
        case Fault::torn_journal:
            c_.kill9(s_.node);
            v_.note = tear_journal(c_.node(s_.node).dir + "/state/journal", rng_);
            if (v_.note.empty())
                v_.note = "the journal had no record yet: nothing to tear";
            c_.start(s_.node);
            break;
        case Fault::sigstop:
        case Fault::sigstop_timeout: fault_.stop(); break;
        case Fault::partition: fault_.cut(); break;
        case Fault::hang: break;  // the faults file hangs the command; the daemon's timeout ends it
        case Fault::drop:         // gone for good, its command with it (the verifier is told when); drive() drops it
            c_.kill9(s_.node);
            std::ofstream(c_.world() + "/gone", std::ios::app) << test::epoch_ms() << " " << s_.node << "\n";
            break;
        }
    }

    // The node gone for good, once the fault has hit it ("" before, and in every other fault).
    const std::string& dropped() const
    {
        static const std::string none;
        return s_.fault == Fault::drop && fired_ ? s_.node : none;
    }

    // What the run went through, as the verdict's outcome shows it: "failed (...) -> retry; lost -> drop".
    void said(const std::string& what) { v_.outcome += (v_.outcome.empty() ? "" : "; ") + what; }

    // As an operator would: `drop NODE --yes` on the leader, again every half second while the leader
    // still hears from the node (it refuses then); true once it took.
    bool drop()
    {
        if (dropped_ || Clock::now() < next_drop_)
            return dropped_;
        next_drop_ = Clock::now() + std::chrono::milliseconds(500);
        std::string out;
        dropped_ = c_.ctl(c_.leader(), {"drop", s_.node, "--yes"}, &out) == 0;
        if (dropped_)
            said("lost -> drop");
        return dropped_;
    }

    // Approves once every node waits at the gate, as an operator would; the verifier is told when.
    void approve()
    {
        const std::string approved = c_.world() + "/approved";
        if (access(approved.c_str(), F_OK) != 0)
            std::ofstream(approved) << test::epoch_ms() << "\n";
        c_.call(c_.leader(), "ApproveCleanup");
    }

    // Runs the upgrade to its end, with the fault at its point; "" when it ended, else what went wrong.
    std::string drive()
    {
        const auto deadline = Clock::now() + settings_.deadline;
        bool healed = false, rejoined = false;
        Clock::time_point heal_at{}, healed_at{};
        unsigned retries = 0;
        while (Clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
            if (interrupted())
                return "interrupted";
            if (!fired_ && triggered()) {
                fired_ = true;
                inject();
                heal_at = Clock::now() + std::chrono::milliseconds(!fault_.active() ? 0
                                                                   : s_.fault == Fault::sigstop_timeout
                                                                       ? settings_.command_timeout_s * 1000 + 1000
                                                                       : settings_.hold_ms);
            }
            if (fired_ && !healed && Clock::now() >= heal_at) {
                fault_.heal();
                healed = true;
                healed_at = Clock::now();
            }
            for (const auto& n : c_.nodes())
                if (!c_.running(n.name) && n.name != dropped())
                    return "the daemon on " + n.name + " exited by itself";
            if (fault_.active() || (!dropped().empty() && !drop()))
                continue;  // a stopped daemon would not answer on its bus; a lost one holds every barrier
            if (healed && !rejoined && s_.fault != Fault::hang && whole(c_, dropped())) {
                rejoined = true;
                v_.recovery_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - healed_at).count();
            }
            const View leader = c_.view(c_.leader());
            if (leader.state == "stalled") {
                // Nothing kills a hung command that changes the cluster but the operator, on purpose.
                if (s_.fault != Fault::hang || interrupted_)
                    continue;
                interrupted_ = true;
                said("stalled -> interrupt");
                c_.call(c_.leader(), "Interrupt");
            } else if (leader.state == "failed") {
                if (!names_node_and_step(c_, leader.last_error))
                    return "failed without naming the node and the step: " + leader.last_error;
                if (++retries > 3)
                    return "still failing after 3 retries: " + leader.last_error;
                std::string error = leader.last_error.substr(0, 120);
                std::replace(error.begin(), error.end(), '\n', ' ');
                said("failed (" + error + ") -> retry");
                c_.call(c_.leader(), "Retry");
            } else if (leader.state == "awaiting-approval" && (fired_ || s_.point.kind != Point::Kind::gate) &&
                       all_in_state(c_, "awaiting-approval", dropped())) {
                approve();
            } else if (leader.state == "complete" && all_in_state(c_, "complete", dropped())) {
                if (!fired_)
                    return "the upgrade completed before the fault's point was reached";
                v_.outcome += (v_.outcome.empty() ? "" : " -> ") + std::string("complete");
                return {};
            }
        }
        const View leader = c_.view(c_.leader());
        return "stuck: after " + std::to_string(settings_.deadline.count()) + " s the leader is " + leader.state + " at phase " +
               std::to_string(leader.phase) + " (" + leader.step + ")" + (fired_ ? "" : ", the fault's point never came") +
               (leader.last_error.empty() ? "" : "; last error: " + leader.last_error);
    }

    // The runbook's rules on the call log, nothing lost, and no step finished twice unless interrupted.
    std::string judge(std::string* report)
    {
        for (const auto& n : c_.nodes())
            if (n.name != dropped() &&
                !c_.wait_for([&] { return access((n.dir + "/state/upgrade-underway").c_str(), F_OK) != 0; },
                             std::chrono::seconds(10)))
                return n.name + " still marks an upgrade under way";
        const auto calls = read_calls(c_.calls());
        std::vector<std::string> flags{"--approval", "--complete"};
        if (!dropped().empty())
            flags.insert(flags.end(), {"--dropped", dropped()});
        // A command killed while it ran is run again: that second success is the design, not a bug.
        if (has_killed_call(calls))
            flags.push_back("--allow-reruns");
        if (!c_.verify(flags, report))
            return "the call log breaks the runbook's rules (chu-simchef verify " + flags.back() + ")";
        const auto reruns = unexplained_reruns(calls);
        if (!reruns.empty())
            return "a step finished twice: " + reruns.front();
        return dropped().empty() ? std::string() : judge_back();
    }

    // The dropped frontend started again after the upgrade: told it was dropped, it runs nothing and its
    // daemon exits 0 with the under-way marker gone.
    std::string judge_back()
    {
        const std::size_t before = read_calls(c_.calls()).size();
        c_.start(s_.node);
        const int status = c_.exit_status(s_.node, std::chrono::seconds(30));
        if (status != 0)
            return "the dropped " + s_.node + " started again ended with " + std::to_string(status) + ", not 0";
        if (access((c_.node(s_.node).dir + "/state/upgrade-underway").c_str(), F_OK) == 0)
            return "the dropped " + s_.node + " still marks an upgrade under way";
        if (read_calls(c_.calls()).size() != before)
            return "the dropped " + s_.node + " ran a Chef command when it came back";
        return {};
    }

    const Scenario& s_;
    unsigned run_;
    const Settings& settings_;
    std::mt19937_64& rng_;
    Cluster c_;
    Injected fault_;
    Verdict v_;
    bool interrupted_ = false;  // the operator ended the hung command
    bool fired_ = false;        // the fault has hit
    bool dropped_ = false;      // the operator's drop took
    Clock::time_point next_drop_{};
};

}  // namespace

void interrupt()
{
    stop_requested = 1;
}

bool interrupted()
{
    return stop_requested != 0;
}

const char* fault_name(Fault fault)
{
    switch (fault) {
    case Fault::kill9: return "kill9";
    case Fault::torn_journal: return "torn-journal";
    case Fault::sigstop: return "sigstop";
    case Fault::sigstop_timeout: return "sigstop-timeout";
    case Fault::partition: return "partition";
    case Fault::hang: return "hang";
    case Fault::drop: return "drop";
    }
    return "?";
}

std::string Scenario::name() const
{
    return std::string(fault_name(fault)) + "/" + role + "/" + point.name;
}

std::vector<Scenario> all_scenarios()
{
    std::vector<Scenario> out;
    for (Fault fault : {Fault::kill9, Fault::torn_journal, Fault::sigstop, Fault::partition, Fault::hang, Fault::sigstop_timeout,
                        Fault::drop}) {
        for (const auto& r : role_calls()) {
            if (fault == Fault::drop && std::string(r.role) != "frontend")
                continue;  // a backend cannot be dropped: the cluster tests prove the refusal
            std::vector<Point> points;
            if (fault != Fault::hang && fault != Fault::sigstop_timeout) {  // those two need a command running
                points.push_back({"join", Point::Kind::join, 0, {}});
                for (int phase = 1; phase <= last_phase; ++phase)
                    points.push_back({"phase-" + std::to_string(phase), Point::Kind::phase, phase, {}});
                points.push_back({"gate", Point::Kind::gate, 0, {}});
            }
            if (fault != Fault::drop)  // the boundaries are where an operator would find the node gone
                for (const auto& [name, command] : r.calls)
                    points.push_back({"during-" + std::string(name), Point::Kind::call, 0, command});
            for (auto& p : points)
                out.push_back(Scenario{fault, r.role, r.node, std::move(p)});
        }
    }
    return out;
}

Verdict run_scenario(const Scenario& scenario, unsigned run, const Settings& settings, std::mt19937_64& rng)
{
    if (scenario.fault == Fault::partition && !Partition::available()) {
        Verdict v;
        v.skipped = true;
        v.problem = "nft is not installed (apt-get install nftables): no partition";
        return v;
    }
    try {
        Run r(scenario, run, settings, rng);
        return r.go();
    } catch (const std::exception& e) {
        Verdict v;
        v.problem = std::string("the run could not go on: ") + e.what();
        return v;
    }
}

}  // namespace chu::faults
