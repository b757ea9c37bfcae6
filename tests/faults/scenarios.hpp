// The fault matrix's scenarios: a fault, the role it hits, and the point of the chef-server-12 upgrade
// where it hits; and one run of a scenario on a fresh 2-backend + 2-frontend cluster, judged.
#pragma once

#include <chrono>
#include <random>
#include <string>
#include <vector>

namespace chu::faults {

// sigstop_timeout: the daemon stopped while its command runs, for longer than the command's timeout.
// drop: a frontend killed for good, which the operator drops once it is no longer heard from.
enum class Fault { kill9, torn_journal, sigstop, sigstop_timeout, partition, hang, drop };
const char* fault_name(Fault fault);

// Where a fault lands. Boundaries are read from the leader's D-Bus properties, mid-step points from the
// simulated world's calls.log, so every point has a name that means the same thing in every run.
struct Point {
    std::string name;
    enum class Kind { join, phase, gate, call } kind = Kind::phase;
    int phase = 0;        // phase: once the leader's Phase property reaches it (after the join)
    std::string command;  // call: once the faulted node begins this Chef command ("dpkg -D10 -i" by prefix)
};

struct Scenario {
    Fault fault = Fault::kill9;
    std::string role;  // bootstrap, secondary, frontend
    std::string node;  // the node of that role the fault hits
    Point point;
    std::string name() const;  // fault/role/point, e.g. kill9/frontend/during-upgrade
};

// Every scenario of the matrix, in a fixed order: each fault on each role at every point that applies
// (a hang only where a Chef command runs; a drop only of a frontend, at the join, each phase and the gate).
std::vector<Scenario> all_scenarios();

struct Settings {
    unsigned hold_ms = 3000;             // how long a SIGSTOP or a partition lasts: twice the harness's peer_timeout_ms
    unsigned delay_ms = 300;             // every simulated Chef call takes this long, so that "during" is really during
    unsigned command_timeout_s = 3;      // [commands] timeout_s of the hang and sigstop-timeout runs
    std::chrono::seconds deadline{150};  // a run that has not ended by then is stuck (a healthy one takes ~6 s)
    bool keep_failed = false;            // keep a failed run's cluster directory
};

struct Verdict {
    bool passed = false;
    bool skipped = false;
    std::string outcome;    // "complete", or "failed -> retry -> complete" with what LastError said
    std::string problem;    // why it did not pass
    std::string note;       // what the fault did (e.g. where the journal was cut)
    long recovery_ms = -1;  // from the heal until every node was back in touch with the leader; -1: none
    double seconds = 0;     // the run's wall time
    std::string log_path;   // a failed run's diagnostics
};

Verdict run_scenario(const Scenario& scenario, unsigned run, const Settings& settings, std::mt19937_64& rng);

// Set from a SIGINT or SIGTERM handler: the run under way stops and cleans up (daemons, buses, nft table).
void interrupt();
bool interrupted();

}  // namespace chu::faults
