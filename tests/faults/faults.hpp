// The faults the matrix injects into a cluster of real daemons, and what it reads back from a run.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace chu::faults {

// A loopback /24 ("127.A.B.") no other cluster uses now: the harness gives clusters 127.1-250.x.x by pid,
// so the matrix takes 127.251-254.x.x, a fresh one per run, and checks that nothing listens (or lingers
// in TIME_WAIT) on the node addresses before using it.
std::string fresh_network(unsigned run);

// A partition of one node, by nftables: a table of this process's own that drops every packet from or to
// the node's address as it arrives on lo. Dropped on input, not output, so the sender is not told (a real
// cut cable, not a refused connection): TCP retransmits into the void until the cut heals. Healed by the
// destructor too, so that a failing run never leaves a node cut off.
class Partition {
public:
    explicit Partition(const std::string& address);
    ~Partition();
    Partition(const Partition&) = delete;
    Partition& operator=(const Partition&) = delete;
    void heal();

    static bool available();  // nft is installed and may change the ruleset
    // Tables left by matrix processes that died before healing (killed by a test timeout): removed.
    static void sweep_stale();

private:
    std::string table_;
    bool cut_ = false;
};

// Cuts the journal at a random byte strictly inside its last record, as a power loss in the middle of
// the write would. Returns what it did, for the report; empty when the journal has no record to tear.
std::string tear_journal(const std::string& path, std::mt19937_64& rng);

// One Chef command as the simulated world's calls.log shows it.
struct Call {
    std::string node, command;  // command: program and arguments as logged
    long long begin_ms = 0;
    bool ended = false;  // false: killed while it ran (by a kill -9, or by the daemon on a timeout)
    bool succeeded = false;
};
std::vector<Call> read_calls(const std::string& calls_log);

// Commands that succeeded twice on a node although no run of them there was ever interrupted: a step
// finished twice. The keepalived commands of the runbook's fix sequence run twice by design.
std::vector<std::string> unexplained_reruns(const std::vector<Call>& calls);

}  // namespace chu::faults
