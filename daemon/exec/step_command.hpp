// What a step runs on this node and how its end is read back: the plan's command line, or one of this
// daemon's own children (a check, packing or installing a directory), with its input and its timeout. The
// daemon only starts what this says and hands the outcome to the core.
#pragma once

#include "checks/check_report.hpp"
#include "core/effects.hpp"
#include "exec/runner.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace chu {

// Where this daemon's children come from: itself, run with its config.
struct ChildContext {
    std::string self;         // this executable
    std::string config_path;  // its --config
    std::string state_dir;
    bool rehearsal = false;  // a preflight rehearsal: the checks say "rehearse again", not "retry"
};

// chef-ha-upgrade-check, found from the daemon's own path: installed in libexec beside sbin, and the build
// tree keeps that layout, so a daemon always runs its own build's checks.
std::string check_helper(const std::string& self);

struct StepCommand {
    Exec exec;
    bool reads_check_report = false;
};

// Nothing for a gate: the leader waits for the operator and nothing runs.
std::optional<StepCommand> step_command(const RunStep& run, const ChildContext& ctx);
// The end of the step, read from what the command did.
StepOutcome step_outcome(const StepCommand& command, const ExecResult& result);

// The leader's packing of a copy step's directory into a file the daemon reads once it exits.
struct PackCommand {
    Exec exec;
    std::string out;
};
PackCommand pack_command(const PackArchive& pack, const ChildContext& ctx);
// The archive, read and removed (the core holds it from then on), or why there is none.
Result<std::string> packed_archive(const PackCommand& command, const ExecResult& result);

}  // namespace chu
