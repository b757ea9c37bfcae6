// What the core asks of the world (effects, carried out by the adapters in order) and what the world
// tells it back about a step. A WriteRecord must be durable before the effects after it are carried out.
#pragma once

#include "events.hpp"
#include "plan.hpp"
#include "records.hpp"
#include "wire.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <variant>

namespace chu {

struct Send {
    std::string to;
    Message message;
};
struct RunStep {
    std::int32_t phase = 0;
    std::int32_t step = 0;
    std::string step_id;  // the plan's id, as the runner and the step's output file name it
    std::uint32_t round = 0;
    std::uint32_t attempt = 0;
    Action action;
    std::shared_ptr<const std::string> archive;  // copy steps: the verified archive to unpack into action.dir
};
// The operator ends this node's command for the step (SIGTERM, then SIGKILL, to its process group).
struct Interrupt {
    std::int32_t phase = 0;
    std::int32_t step = 0;
    std::string step_id;  // the plan's id, as the runner names the command
};
struct PackArchive {  // pack this directory for a copy step; answer with on_archive
    std::int32_t phase = 0;
    std::int32_t step = 0;
    std::string step_id;
    std::string dir;
};
struct WriteRecord {
    Record record;
};
struct Log {
    enum class Level { info, warning, error } level = Level::info;
    std::string text;
    std::int32_t phase = -1;  // -1: not about a step
    std::string step;
};
struct Answer {  // the outcome of an operator call made on this node
    std::uint64_t id = 0;
    bool ok = false;
    std::string text;
};
// The upgrade ended here (complete, aborted, rehearsed, or this node dropped); once per daemon run. What
// Underway kept to bring the upgrade back after a reboot may go.
struct Completed {
    State outcome = State::complete;
    std::string summary;
};
// Something the operator's scripts hear of (D-Bus signal, `chef-ha-upgrade-ctl events`); `hook`: the
// notification hooks run for it too (on the leader of an upgrade only, so that each event runs them once).
struct Notify {
    Event event;
    bool hook = false;
};
// This node has nothing more to do, ever (the operator dropped it): the daemon exits and is not restarted.
struct Stop {};
// The core found itself in a state its tables do not know (a bug): it carries out nothing it decided since,
// and the daemon stops with the reason; restarted, it resumes from its journal.
struct Halt {
    std::string reason;
};
// This node commits to the upgrade (the leader records the join, a follower starts its first step): the
// adapter keeps what must survive the upgrade (the cluster key) and what brings it back after a reboot,
// before the record that follows. Once per daemon run, and never in a rehearsal, which keeps nothing.
struct Underway {};
using Effect =
    std::variant<Send, RunStep, Interrupt, PackArchive, WriteRecord, Log, Answer, Completed, Underway, Notify, Stop, Halt>;

// What an adapter reports when a RunStep ends: one attempt's outcome.
struct StepResult {
    std::int32_t phase = 0;
    std::int32_t step = 0;
    std::uint32_t round = 0;
    std::uint32_t attempt = 0;
    StepOutcome end;
};

}  // namespace chu
