// chef-ha-upgraded's wiring: one sd-event loop, one thread, carrying the peer mesh, the step runner, the
// journal, the bus, signals, timers and the watchdog around the pure coordination core.
#pragma once

#include "config/node_setup.hpp"
#include "core/carry.hpp"
#include "exec/hooks.hpp"
#include "exec/runner.hpp"
#include "exec/step_command.hpp"
#include "journal/journal_file.hpp"
#include "mesh/mesh.hpp"
#include "systemd/log.hpp"

#include <memory>
#include <optional>
#include <string>

struct sd_event;
struct sd_event_source;
struct signalfd_siginfo;

namespace chu {

class BusService;
class Collector;

// The daemon is the Ports the core's effects are carried through (core/carry.hpp).
class Daemon final : Ports {
public:
    // `self` is this executable: checks and directory copies run as its short-lived children.
    Daemon(LoadedSetup loaded, std::string config_path, std::string self);
    ~Daemon();

    // Runs until SIGTERM/SIGINT; returns the exit status.
    int run();

private:
    bool set_up_loop();
    int set_up_mesh();
    void set_up_bus();
    void dispatch();
    bool write(const std::vector<Record>& records) override;
    bool underway() override;
    void send(Send& send) override;
    void run(RunStep& run) override;
    void interrupt(const Interrupt& interrupt) override;
    void pack(const PackArchive& pack) override;
    void log(const Log& log) override;
    void answer(const Answer& answer) override;
    void completed(const Completed& completed) override;
    void notify(const Notify& notify) override;
    void stop(const Stop&) override { stop(0); }
    void halt(const Halt& halt) override { this->halt(halt.reason); }
    void halt(const std::string& reason);
    void publish();
    void stop(int status);
    static int on_signal(sd_event_source*, const signalfd_siginfo*, void* userdata);
    static int on_deadline(sd_event_source*, uint64_t, void* userdata);
    static int on_post(sd_event_source*, void* userdata);

    LoadedSetup loaded_;
    const NodeSetup& setup_;
    ChildContext children_;  // checks and directory copies run as this executable's short-lived children
    Logger log_;
    sd_event* event_ = nullptr;
    sd_event_source* deadline_ = nullptr;
    sd_event_source* post_ = nullptr;
    std::optional<JournalFile> journal_;
    std::unique_ptr<Node> core_;
    std::unique_ptr<Mesh> mesh_;
    std::unique_ptr<Runner> runner_;
    std::unique_ptr<Collector> collector_;  // chef-ha-upgrade-ctl collect, beside the upgrade
    std::unique_ptr<BusService> bus_;
    std::unique_ptr<Hooks> hooks_;  // where the core runs hooks (Node::runs_hooks)
    std::string status_line_;
    bool dispatching_ = false;
    bool stopping_ = false;
    bool halted_ = false;  // the journal cannot be written: nothing more is carried out
    int exit_status_ = 0;
};

// Milliseconds since the epoch: the core's clock, and the timestamps in the journal.
std::int64_t now_ms();

}  // namespace chu
