// An upgrade plan: phases of steps, each step bound to roles, as loaded from a conf/plans/*.plan file.
#pragma once

#include "config.hpp"
#include "result.hpp"
#include "topology.hpp"

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace chu {

// What a step does on a node: run a command, run a built-in check, receive a directory from the
// bootstrap, or (leader only) wait for the operator.
enum class StepKind { run, check, copy, gate };

// How the leader orders a step across its nodes.
enum class NodeOrder {
    parallel,         // every node at once (frontends at most max_parallel at a time)
    backends_serial,  // bootstrap, then secondary, then the frontends in parallel
};

// Built-in checks a `check =` step may name.
enum class Check {
    package,
    ctl,
    disk_space,
    make,
    keepalived_master,
    keepalived_status,
    migration_level,
    open_source_chef,
    keepalived_backup,
};
constexpr Check last_check = Check::keepalived_backup;
const char* check_name(Check check);                      // the plan's word: "keepalived-status"
std::optional<Check> check_named(std::string_view name);  // nullopt: not a check
std::vector<std::string> check_names();                   // every plan word, for messages

// Where a copy step's directory comes from: the bootstrap (the leader packs its own), or the first frontend
// that is not dropped (the leader relays its archive: add-on files Chef makes on a frontend).
enum class CopySource { bootstrap, frontend };

// When a step runs: always, or only if a condition holds when the leader reaches it, evaluated from the
// values reported earlier in the phase.
struct Condition {
    enum class Kind {
        always,
        failed,                // failed:STEP: STEP, earlier in the phase and marked may_fail, failed on its node
        bootstrap_not_master,  // the bootstrap's latest keepalived-status in the phase is not master
    } kind = Kind::always;
    std::string step;              // kind failed: the may_fail step
    std::int32_t step_index = -1;  // ... and its index in the phase, resolved at load
};
std::string condition_text(const Condition& when);  // "", "bootstrap-not-master", "failed:upgrade-secondary"

// What a check's values must be across its nodes: the same everywhere (migration levels), or exactly one
// "master" and the others "backup" (keepalived: either backend may hold the VIP).
enum class Agreement { none, equal, one_master };
bool values_agree(Agreement agreement, const std::multiset<std::string>& values);
const char* agreement_fix(Agreement agreement);  // what the operator does when they do not

using RoleMask = unsigned;
constexpr RoleMask role_bit(Role r)
{
    return 1u << static_cast<unsigned>(r);
}
constexpr RoleMask all_roles = role_bit(Role::bootstrap) | role_bit(Role::secondary) | role_bit(Role::frontend);
std::string roles_text(RoleMask roles);  // "bootstrap, secondary"

struct Step {
    std::string id;  // unique in the plan: "upgrade-bootstrap"
    std::string title;
    StepKind kind = StepKind::run;
    RoleMask roles = 0;
    std::vector<std::string> run;      // argv template, same on deb and rpm systems
    std::vector<std::string> run_deb;  // argv template where it differs by package format
    std::vector<std::string> run_rpm;
    Check check = Check::package;  // kind check
    std::string copy;              // kind copy: directory template, sent from `copy_from`
    CopySource copy_from = CopySource::bootstrap;
    NodeOrder order = NodeOrder::parallel;
    // A step that only reads (a check, `read_only = yes`) is killed at its timeout; any other step changes the
    // cluster, and its timeout is only the point where it is shown as stalled: no timer kills a migration.
    unsigned timeout_s = 600;
    bool read_only = false;
    bool retry_on_timeout = false;  // read-only steps only: re-run after the timeout killed it
    bool retry_on_failure = false;
    int retries = -1;  // -1: [commands] retries
    unsigned backoff_s = 5;
    // Expected errors: a failure whose error lines (error_line) all contain one of `harmless` (at least one)
    // or one of `summary` (a line that only counts the others, like ha-status's ERRORS WERE DETECTED) is success.
    std::vector<std::string> harmless;
    std::vector<std::string> summary;
    Condition when;
    bool may_fail = false;              // its failure does not stop the cluster: the steps `when = failed:ID` run
    Agreement agree = Agreement::none;  // what the values the nodes report must be, together
    // Skipping its failure or disagreement risks this (said to the operator); only `skip --force` does it.
    std::string skip_risk;
    int line = 0;
};

struct Phase {
    std::string id;
    std::string title;
    bool downtime_begins = false;  // the operator's downtime window opens when this phase starts
    bool downtime_ends = false;    // ... and closes when this phase completes
    bool preflight = false;        // it only checks: the cluster shows as in preflight while it runs
    std::vector<Step> steps;
    int line = 0;
};

// An add-on the plan knows how to install, and the three commands that do it, as the plan gives them.
struct Addon {
    std::string name;
    RoleMask roles = 0;
    std::string copy;  // directory the bootstrap's copy is sent from, e.g. /etc/opscode-push-jobs-server
    // frontend: an add-on of the frontends whose directory the first frontend's configure makes; copied to the
    // others after every frontend's configure, then configured again (manage's secrets.rb, Chef's HA docs).
    CopySource copy_from = CopySource::bootstrap;
    std::vector<std::string> install;      // {ctl} install NAME {addons_path_args}
    std::vector<std::string> reconfigure;  // {ctl} reconfigure
    std::vector<std::string> configure;    // {ctl_dir}/NAME-ctl reconfigure {accept_license}
    // Run once more on its backends after every node's configure: {ctl} reconfigure, so that keepalived's
    // scripts know the add-on's services (push jobs, Chef's HA install docs).
    std::vector<std::string> backends_after;
    int line = 0;
};

struct Plan {
    std::string name;
    std::string title;
    std::string file;
    std::string ctl;           // the [commands] key that is {ctl}: chef_server_ctl or private_chef_ctl
    std::string package_name;  // the package the plan installs, as the package itself says: chef-server-core
    int package_major = 0;     // and its major version: 12
    bool rehearsal = false;    // a preflight rehearsal's plan (rehearsal.hpp): it ends `rehearsed`, never upgrades
    // A line of a command's output holding one of these fails a step that changes the cluster, whatever its
    // exit status: Chef Server 12.2-12.4's `upgrade` exits 0 after its own reconfigure failed (`FATAL:`).
    std::vector<std::string> failures;
    std::vector<Phase> phases;
    std::vector<Addon> addons;
    int line = 0;  // the [plan] section's line in `file`
};

// The rules a plan holds as a whole (one downtime window, unique step ids, one action per step, ...):
// the first one broken, as "file:line: what", at the line of the section it is about.
Status validate_plan(const Plan& plan);

// Points each `when = failed:STEP` at STEP's index in its phase; for a plan validate_plan accepted.
void resolve_conditions(Plan& plan);

// A step's place in the plan: a phase's index, and the step's index in it.
struct StepRef {
    std::int32_t phase = 0;
    std::int32_t step = 0;
    bool operator==(const StepRef& o) const { return phase == o.phase && step == o.step; }
    bool operator!=(const StepRef& o) const { return !(*this == o); }
    bool operator<(const StepRef& o) const { return phase != o.phase ? phase < o.phase : step < o.step; }
};
// Bounds-checked: nullptr when the plan has no such phase or step (a journal or a peer may name one).
const Phase* find_phase(const Plan& plan, std::int32_t phase);
const Step* find_step(const Plan& plan, StepRef ref);
// A phase or step the core knows is in the plan (checked when ordered, reported or replayed): asserted.
const Phase& phase_at(const Plan& plan, std::int32_t phase);
const Step& step_at(const Plan& plan, StepRef ref);

// The placeholders a step's argv may use; unknown ones are refused when the plan is loaded.
const std::vector<std::string>& placeholder_names();

// The plan a cluster runs: phase 0 (join) first, then the plan's phases, then one phase per configured
// add-on; [commands] timeout_s and retries applied. Refuses add-ons the plan does not know.
Result<Plan> effective_plan(const Plan& plan, const Config& config);

// Digest of everything that decides what runs where, for the join barrier.
std::string plan_digest(const Plan& plan);

enum class PackageFormat { deb, rpm, unknown };
PackageFormat package_format(const std::string& package_path);

// Values for the placeholders on one node, and what the node's package and Chef are.
struct NodeFacts {
    std::string old_ctl;  // the ctl present before the package is installed
    std::string package;
    PackageFormat format = PackageFormat::unknown;
    // Read from the package itself (dpkg-deb --field, rpm -qp), never from its file name.
    std::string package_name;       // chef-server-core
    std::string package_version;    // 12.0.8-1 (.deb), 12.0.8-1.el6 (.rpm)
    std::string package_arch;       // amd64, x86_64
    std::string package_problem;    // why it could not be read
    std::string installed_version;  // the installed Chef's version manifest: 11.1.8; empty when unknown
};

// "installed 11.1.8 → package 12.0.8-1 (chef-server-core)", or what is unknown.
std::string version_change(const NodeFacts& facts);

// A step made concrete for one node.
struct Action {
    StepKind kind = StepKind::run;
    std::vector<std::string> argv;      // kind run
    Check check = Check::package;       // kind check
    std::string dir;                    // kind copy
    unsigned timeout_s = 0;             // read-only steps: killed after this long (0: never)
    unsigned expected_s = 0;            // steps that change the cluster: stalled after this long, never killed
    std::vector<std::string> failures;  // steps that change the cluster: the plan's failure patterns
};

Result<Action> resolve_action(const Step& step, const Config& config, const Plan& plan, const NodeFacts& facts);

// One line of the dry run: what runs on a node, in order.
struct ScheduledStep {
    int phase = 0;
    int step = 0;
    Action action;
};

// Every step `role` runs, in plan order. Gates run on the leader (bootstrap) only.
Result<std::vector<ScheduledStep>> node_schedule(const Plan& plan, Role role, const Config& config, const NodeFacts& facts);

bool runs_on(const Step& step, Role role);

// A check, or a command the plan marks read_only: safe to kill at its timeout.
bool only_reads(const Step& step);

// A line of a Chef command's output that reports a problem: "[ERROR] …", "[WARN] …" (ha-status), or runit's
// "down: …", "fail: …", "timeout: …", "warning: …" (a service's status line, sv.c).
bool error_line(const std::string& line);

// The step failed only with errors the plan expects (harmless, summary; their placeholders resolved).
bool only_expected_errors(const Step& step, const std::string& output, const Config& config, const Plan& plan,
                          const NodeFacts& facts);

// The first line of `output` holding one of the plan's failure patterns, for a command that changes the
// cluster; "" when there is none (a read-only step never has one: it reports what it reads).
std::string failure_line(const Step& step, const Plan& plan, const std::string& output);

// Per phase: inside the downtime window (from the phase that begins it to the one that ends it).
std::vector<bool> downtime_phases(const Plan& plan);

// How an action reads to an operator: "chef-server-ctl upgrade", "check keepalived-master".
std::string describe(const Action& action);

}  // namespace chu
