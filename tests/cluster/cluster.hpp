// A whole Chef HA cluster on this machine, for the integration tests and the demo: real chef-ha-upgraded
// daemons on their own loopback addresses, each with its own config, state dir, private dbus-daemon and
// simulated Chef node (chu-simchef), sharing one simulated "world" (call log, keepalived, faults).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace chu::test {

struct ClusterSpec {
    int frontends = 2;
    std::string plan = "chef-server-12";  // or enterprise-chef-11
    std::string package_ext = ".deb";     // or .rpm
    std::string network;                  // "127.A.B." prefix; empty: one derived from the pid (tests run in parallel)
    unsigned heartbeat_ms = 200;
    unsigned peer_timeout_ms = 1500;
    bool insecure = false;
    std::string cleanup = "manual";
    unsigned timeout_s = 0;  // [commands] timeout_s
    unsigned retries = 3;
    std::string addons;                // [upgrade] addons
    bool accept_licenses = false;      // [upgrade] accept_licenses
    std::string version;               // the package's upstream version; empty: 12.0.8 (11.1.8 for enterprise-chef-11)
    std::string master = "bootstrap";  // the backend that holds the VIP at the start (chu-simchef init --master)
    // false: no dbus-daemon per node (view(), call() and ctl() then find no bus); the daemons run on without
    // one, as they do on a node without a system bus. For benchmarks of clusters too big to double in processes.
    bool buses = true;
};

struct NodeInfo {
    std::string name;
    std::string role;     // bootstrap, secondary, frontend
    std::string address;  // its loopback address
    std::string dir;      // its directory: config, state, simulated /etc/opscode ...
};

// A property snapshot read over the node's D-Bus.
struct View {
    std::string state, phase_name, step, last_error, role, leader;
    int phase = -1, phase_count = 0;
    unsigned progress = 0;
    std::uint64_t downtime_start_usec = 0, downtime_end_usec = 0;
    bool reachable = false;  // the daemon answered on its bus
};

class Cluster {
public:
    explicit Cluster(ClusterSpec spec);
    ~Cluster();  // stops every process it started (also on a failed test) and removes its directory
    Cluster(const Cluster&) = delete;
    Cluster& operator=(const Cluster&) = delete;

    const std::vector<NodeInfo>& nodes() const { return nodes_; }
    const NodeInfo& node(const std::string& name) const;
    const std::string& leader() const { return nodes_.front().name; }
    const std::string& world() const { return world_; }
    const std::string& package() const { return package_; }  // the simulated Chef Server package every node installs
    std::string config_of(const std::string& node) const { return this->node(node).dir + "/chu.conf"; }

    void start_all();
    // `daemon`: another build of chef-ha-upgraded to run (the version-skew test's); empty: this build's.
    // `args`: after --config (--rehearse).
    void start(const std::string& node, const std::string& daemon = {}, const std::vector<std::string>& args = {});
    // Waits for the daemon to exit by itself; its exit status, or -1 if it still runs after `timeout`.
    int exit_status(const std::string& node, std::chrono::milliseconds timeout);
    // SIGKILL the daemon, then what systemd's control-group cleanup would kill: the commands it was running.
    void kill9(const std::string& node);
    // SIGTERM, as systemctl stop does; returns the daemon's exit status (SIGKILL after 30 s).
    int stop(const std::string& node);
    void signal(const std::string& node, int sig);
    bool running(const std::string& node) const;
    int pid(const std::string& node) const;  // the daemon's process, -1 when not started
    // Appends a line to the simulated world's faults file ("NODE fail|hang COUNT PROGRAM ARGS...").
    void add_fault(const std::string& line);
    // Writes a conf.d drop-in for the node, overriding its config the way an operator would.
    void drop_in(const std::string& node, const std::string& ini);

    View view(const std::string& node) const;
    // Calls a method on the node's bus as root: "" when it succeeded, else the D-Bus error message.
    std::string call(const std::string& node, const std::string& method) const;
    // Runs chef-ha-upgrade-ctl against the node's bus; returns its exit status, `out` gets its stdout.
    int ctl(const std::string& node, const std::vector<std::string>& args, std::string* out = nullptr) const;
    // Approves the cleanup the way an operator would (the ctl), and notes the time for the verifier.
    void approve(const std::string& node);

    // Polls `condition` every 50 ms until it holds or `timeout` passes.
    bool wait_for(const std::function<bool()>& condition, std::chrono::milliseconds timeout) const;
    bool wait_for_state(const std::string& node, const std::string& state, std::chrono::milliseconds timeout) const;

    // chu-simchef verify over the world's call log; `report` gets its output. True when every rule held.
    bool verify(const std::vector<std::string>& flags, std::string* report) const;
    std::string daemon_log(const std::string& node) const;
    std::string calls() const;

    std::string bus_address_of(const std::string& node) const { return bus_address(node); }
    static std::string build_dir();  // where the binaries are (CHU_BUILD_DIR)
    static std::string source_dir();

private:
    struct Process {
        int pid = -1;
        int sid = -1;
    };
    void write_topology();
    void write_config(const NodeInfo& n);
    void start_bus(const NodeInfo& n);
    std::string bus_address(const std::string& node) const;

    ClusterSpec spec_;
    std::string root_, world_, package_;
    std::vector<NodeInfo> nodes_;
    std::map<std::string, Process> daemons_;
    std::map<std::string, int> buses_;
    std::map<std::string, std::string> bus_addresses_;
};

// Milliseconds since the epoch, as the simulated Chef node's call log and the world's marker files read.
std::int64_t epoch_ms();

// Runs argv (no shell) with extra environment; returns the exit status; stdout+stderr into `out`.
int run_program(const std::vector<std::string>& argv, const std::vector<std::string>& env, std::string* out);

}  // namespace chu::test
