// The world: the files every simulated node of one cluster shares (call log, keepalived, faults). Files,
// flock and O_APPEND only, so a world bind-mounted into several containers behaves the same.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace simchef {

class World {
public:
    explicit World(std::string dir) : dir_(std::move(dir)) {}

    std::string path(const std::string& name) const { return dir_ + "/" + name; }
    // The lock around the world's shared state (keepalived, fault counts, the node list).
    std::string lock_path() const { return path("lock"); }
    bool has(const std::string& name) const;
    // An optional file holding a number of milliseconds; 0 when absent.
    long long milliseconds(const std::string& name) const;
    // Every node init registered: name and role.
    std::vector<std::pair<std::string, std::string>> nodes() const;
    // The first unused fault of WORLD/faults that matches this call ("fail", "hang", "timeout", "lose-secret"
    // or "slow:MS"), counted as used; "" when none. The caller holds the world lock.
    std::string take_fault(const std::string& node, const std::string& program, const std::vector<std::string>& args) const;

private:
    std::string dir_;
};

// keepalived on the two backends, as the daemon reads it (WORLD/keepalived/<node>.status and <node>.requested
// through each backend's current_cluster_status and requested_cluster_status symlinks). Master rule: a backend whose keepalived is up stays or becomes
// master if the other is down or if it already was master; both down, nobody. When the master stops, the
// other backend takes over only after WORLD/failover_ms. Every function expects the world lock held.
namespace keepalived {

void init_backend(const World& world, const std::string& node, bool master);
bool is_up(const World& world, const std::string& node);
std::string master(const World& world);  // "none" when nobody is
// A backend's current_cluster_status and requested_cluster_status: they differ while a transition runs.
std::string current(const World& world, const std::string& node);
std::string requested(const World& world, const std::string& node);
void stop(const World& world, const std::string& node);
// Up (start, restart, reconfigure, upgrade). take_over: this backend grabs master whatever the other is
// (the runbook's "in some instances" after the secondary's upgrade).
void start(const World& world, const std::string& node, bool take_over = false);
// Carries out a failover that has fallen due.
void settle(const World& world);

}  // namespace keepalived

}  // namespace simchef
