#include "daemon.hpp"

#include "bus/bus_service.hpp"
#include "bundle/collector.hpp"
#include "config/text_file.hpp"
#include "posix/posix.hpp"
#include "core/outlook.hpp"
#include "core/wire.hpp"
#include "exec/process.hpp"
#include "exec/step_command.hpp"

#include <systemd/sd-event.h>
#include <fcntl.h>
#include <signal.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <ctime>

namespace chu {

namespace {

constexpr std::uint64_t shutdown_grace_usec = 10'000'000;  // how long running commands get after SIGTERM
constexpr std::uint64_t halt_linger_usec = 3'000'000;      // a halted node shows why on D-Bus this long, then exits

int exit_status_of(const Error& error)
{
    switch (error.kind) {
    case ErrorKind::config: return exit_config_error;
    case ErrorKind::data: return exit_data_error;
    case ErrorKind::runtime: return 1;
    }
    return 1;
}

int priority_of(Log::Level level)
{
    switch (level) {
    case Log::Level::error: return LOG_ERR;
    case Log::Level::warning: return LOG_WARNING;
    case Log::Level::info: return LOG_INFO;
    }
    return LOG_INFO;
}

std::int64_t clock_ms(clockid_t clock)
{
    timespec ts{};
    clock_gettime(clock, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

// The wall clock when the daemon started, and the monotonic clock then: now_ms() runs on from there.
const std::int64_t start_real_ms = clock_ms(CLOCK_REALTIME);
const std::int64_t start_mono_ms = clock_ms(CLOCK_MONOTONIC);

}  // namespace

std::int64_t now_ms()
{
    return start_real_ms + (clock_ms(CLOCK_MONOTONIC) - start_mono_ms);
}

Daemon::Daemon(LoadedSetup loaded, std::string config_path, std::string self)
    : loaded_(std::move(loaded)), setup_(loaded_.setup), children_{std::move(self), std::move(config_path),
                                                                   setup_.config.paths.state_dir, setup_.plan.rehearsal},
      log_(setup_.node, setup_.config.paths.state_dir + "/output")
{}

Daemon::~Daemon()
{
    // Sources before the things they call into, the loop last; collects before the bus calls they answer.
    collector_.reset();
    bus_.reset();
    hooks_.reset();
    runner_.reset();
    mesh_.reset();
    sd_event_source_disable_unref(deadline_);
    sd_event_source_disable_unref(post_);
    sd_event_unref(event_);
}

// Fails only without memory or file descriptors; a restart is all that can help.
bool Daemon::set_up_loop()
{
    auto ok = [this](int r, const char* what) {
        if (r < 0)
            log_.log(LOG_ERR, std::string("cannot set up the event loop: ") + what + ": " + std::strerror(-r));
        return r >= 0;
    };
    return ok(sd_event_default(&event_), "sd_event_default") &&
           ok(sd_event_set_watchdog(event_, 1), "the watchdog") &&  // WATCHDOG=1 on schedule when the unit sets WatchdogSec=
           ok(sd_event_add_signal(event_, nullptr, SIGTERM, on_signal, this), "SIGTERM") &&
           ok(sd_event_add_signal(event_, nullptr, SIGINT, on_signal, this), "SIGINT") &&
           ok(sd_event_add_time(event_, &deadline_, CLOCK_MONOTONIC, UINT64_MAX, 0, on_deadline, this), "the core's timer") &&
           ok(sd_event_add_post(event_, &post_, on_post, this), "the post source");
}

int Daemon::run()
{
    sigset_t mask;
    sigemptyset(&mask);
    for (int sig : {SIGTERM, SIGINT, SIGCHLD})
        sigaddset(&mask, sig);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN);  // a file-size limit makes the journal's write fail, and the daemon say so: no silent death

    if (!set_up_loop())
        return 1;
    if (!loaded_.ruby_note.empty())
        log_.log(LOG_NOTICE, loaded_.ruby_note);  // once: no Chef Ruby checked the reader's reading

    auto journal = JournalFile::open(setup_.config.paths.state_dir);
    if (!journal) {
        log_.log(LOG_ERR, journal.error().message);
        return exit_status_of(journal.error());  // a restart would find the same damage
    }
    journal_.emplace(std::move(journal.value()));
    if (!journal_->dropped().empty())
        log_.log(LOG_WARNING, "dropped the torn end of " + journal_->path() + ": " + journal_->dropped());

    core_ = std::make_unique<Node>(setup_);
    runner_ = std::make_unique<Runner>(event_, log_);
    if (core_->runs_hooks())
        hooks_ = std::make_unique<Hooks>(*runner_, log_, setup_.config.hooks, setup_.node);
    if (const int failed = set_up_mesh())
        return failed;
    set_up_bus();

    // A journal this node's inputs no longer fit: said, and no restart loop (exit 78), before anything runs.
    if (auto restored = core_->restore(journal_->records()); !restored) {
        log_.log(LOG_ERR, restored.error().message);
        return exit_status_of(restored.error());
    }
    core_->start(now_ms());
    dispatch();
    notify_ready();
    const int r = sd_event_loop(event_);
    if (r < 0) {
        log_.log(LOG_ERR, std::string("event loop failed: ") + std::strerror(-r));
        return 1;
    }
    return exit_status_;
}

// The peer mesh, and the support bundles' transfers beside it; nonzero: the exit status.
int Daemon::set_up_mesh()
{
    Mesh::Options options;
    options.port = setup_.config.cluster.port;
    options.heartbeat_ms = setup_.config.cluster.heartbeat_ms;
    options.peer_timeout_ms = setup_.config.cluster.peer_timeout_ms;
    options.key = loaded_.key;
    mesh_ =
        std::make_unique<Mesh>(event_, log_, setup_.topology, setup_.node, options, [this](const std::vector<Envelope>& batch) {
            for (const auto& e : batch) {
                if (const auto* fetch = std::get_if<PartFetch>(&e.message))
                    collector_->on_fetch(e.from, *fetch);
                else if (const auto* chunk = std::get_if<PartChunk>(&e.message))
                    collector_->on_chunk(e.from, *chunk);
                else
                    core_->on_message(e, now_ms());
            }
            dispatch();  // once for the batch: its records share one fsync
        });
    collector_ = std::make_unique<Collector>(event_, log_, children_, setup_.node, [this](const std::string& to, Message m) {
        mesh_->send(to, encode_frame(Envelope{setup_.node, std::move(m)}));
    });
    if (auto listening = mesh_->listen(); !listening) {
        log_.log(LOG_ERR, listening.error().message);
        // An address this host does not have is the topology's or the config's mistake: no restart helps.
        return mesh_->address_not_here() ? exit_config_error : 1;
    }
    return 0;
}

// The bus is for the operator: without it the upgrade goes on, and says so.
void Daemon::set_up_bus()
{
    try {
        bus_ = std::make_unique<BusService>(
            event_, *core_, setup_,
            [this](const Command& call) {
                core_->on_operator(call, now_ms());
                dispatch();
            },
            [this](const std::string& warning) { log_.log(LOG_WARNING, warning); });
        bus_->serve_collect(
            [this](const std::string& node, BusService::Collected done) { collector_->collect(node, std::move(done)); });
    } catch (const std::exception& e) {
        log_.log(LOG_WARNING, std::string("not on the system bus (") + e.what() +
                                  "): chef-ha-upgrade-ctl cannot reach this node; the upgrade goes on");
    }
}

// Carries out the core's effects (core/carry.hpp), then arms the core's timer and shows the new status.
void Daemon::dispatch()
{
    if (dispatching_ || halted_)
        return;  // the outer call takes the new effects after the ones it holds: order is kept
    dispatching_ = true;
    if (carry(*core_, *this).stopped)
        return;  // halted or stopping: nothing more is carried out
    dispatching_ = false;
    const std::int64_t deadline = core_->next_deadline() - start_real_ms + start_mono_ms;  // on the monotonic clock
    const int r = sd_event_source_set_time(deadline_, static_cast<std::uint64_t>(std::max<std::int64_t>(deadline, 0)) * 1000);
    if (r < 0 || sd_event_source_set_enabled(deadline_, SD_EVENT_ONESHOT) < 0)
        log_.log(LOG_ERR, "cannot arm the core's timer; timeouts and heartbeats wait for the next message");
    publish();
}

void Daemon::send(Send& send)
{
    mesh_->send(send.to, encode_frame(Envelope{setup_.node, std::move(send.message)}));
}

void Daemon::interrupt(const Interrupt& e)
{
    if (!runner_->interrupt(e.phase, e.step_id, "interrupted by the operator"))
        log_.log(LOG_WARNING, "interrupt: no command of this step runs here", e.phase, e.step_id);
}

void Daemon::log(const Log& e)
{
    log_.log(priority_of(e.level), e.text, e.phase, e.step);
}

void Daemon::answer(const Answer& e)
{
    log_.log(e.ok ? LOG_INFO : LOG_WARNING, std::string("operator call ") + (e.ok ? "done: " : "refused: ") + e.text);
    if (bus_)
        bus_->answer(e);
}

// The marker goes: nothing is to be resumed after a reboot (a rehearsal's state directory never has one).
void Daemon::completed(const Completed& e)
{
    log_.log(LOG_INFO,
             e.outcome == State::dropped ? e.summary : std::string("upgrade ") + state_name(e.outcome) + ": " + e.summary);
    unlink((setup_.config.paths.state_dir + "/" + underway_marker).c_str());
    if (bus_)
        bus_->completed(e);
}

void Daemon::notify(const Notify& e)
{
    if (bus_)
        bus_->event(e.event);
    if (e.hook && hooks_)
        hooks_->fire(e.event);
}

bool Daemon::write(const std::vector<Record>& records)
{
    if (auto written = journal_->append(records); !written) {
        // Nothing may happen that the journal does not hold: the node acts no more, says why, and stops; systemd
        // restarts it, and it resumes from the journal once the state directory takes writes again.
        halt(written.error().message + "; nothing more runs here: free or repair " + setup_.config.paths.state_dir +
             ", and the daemon resumes from the journal when restarted");
        return false;
    }
    return true;
}

void Daemon::halt(const std::string& reason)
{
    log_.log(LOG_ERR, reason);
    halted_ = true;
    notify_status("failed: " + reason.substr(0, 200));
    if (bus_)
        bus_->halt(reason);
    // Long enough for the operator's watch and busctl to read the reason; no effect is carried out meanwhile.
    const int r = sd_event_add_time_relative(
        event_, nullptr, CLOCK_MONOTONIC, halt_linger_usec, 0,
        [](sd_event_source*, uint64_t, void* userdata) {
            static_cast<Daemon*>(userdata)->stop(1);
            return 0;
        },
        this);
    if (r < 0)
        stop(1);  // no linger, then: the reason is in the log
}

// The key and the topology are kept before the join or the first step is journaled, so that a restart after
// the upgrade rewrote the secrets file, or moved private-chef.rb, still has what was agreed; the marker tells the unit to come back after a reboot
// (see units/).
bool Daemon::underway()
{
    if (auto kept = keep_topology(loaded_); !kept) {
        log_.log(LOG_ERR, kept.error().message + "; stopping");
        stop(1);
        return false;
    }
    if (loaded_.key) {
        if (auto kept = keep_cluster_key(setup_.config, *loaded_.key); !kept) {
            log_.log(LOG_ERR, kept.error().message + "; stopping");
            stop(1);
            return false;
        }
    }
    const std::string marker = setup_.config.paths.state_dir + "/" + underway_marker;
    if (auto written =
            write_file_atomic(marker, "an upgrade is under way: chef-ha-upgrade.service resumes it after a reboot\n", 0600);
        !written)
        log_.log(LOG_WARNING, written.error().message + "; after a reboot, start chef-ha-upgrade by hand");
    return true;
}

void Daemon::run(RunStep& run)
{
    if (stopping_)
        return;  // journaled as started: it runs after the restart
    auto command = step_command(run, children_);
    if (!command) {  // a gate: the worker refuses to run one, so this is a bug; the step fails rather than hangs
        core_->on_step_finished(
            {run.phase, run.step, run.round, run.attempt, {Outcome::failed, 0, {}, "internal error: a gate runs nothing"}},
            now_ms());
        return;  // carried by the dispatch under way
    }
    Exec exec = command->exec;
    log_.begin_output(exec.phase, exec.step,
                      "attempt " + std::to_string(run.attempt) + ", round " + std::to_string(run.round) + ": " +
                          command_text(exec.argv));
    runner_->start(std::move(exec), [this, run, command = std::move(*command)](ExecResult r) {
        core_->on_step_finished({run.phase, run.step, run.round, run.attempt, step_outcome(command, r)}, now_ms());
        dispatch();
    });
}

void Daemon::pack(const PackArchive& pack)
{
    if (stopping_)
        return;
    PackCommand command = pack_command(pack, children_);
    Exec exec = command.exec;
    runner_->start(std::move(exec), [this, pack, command = std::move(command)](ExecResult r) {
        core_->on_archive(pack.phase, pack.step, packed_archive(command, r), now_ms());
        dispatch();
    });
}

void Daemon::publish()
{
    const std::int64_t now = now_ms();
    const NodeStatus status = core_->status(now);
    const std::string line = status_line(status, now);
    if (line != status_line_) {
        status_line_ = line;
        notify_status(line);
    }
    if (bus_)
        bus_->publish(status, now);
}

void Daemon::stop(int status)
{
    exit_status_ = status;
    if (stopping_)
        return;
    stopping_ = true;
    if (runner_ && runner_->busy()) {
        // Commands are told to stop; a step that did not finish runs again after the restart.
        log_.log(LOG_INFO, "stopping: telling running commands to stop");
        runner_->terminate_all();
        const int r = sd_event_add_time_relative(
            event_, nullptr, CLOCK_MONOTONIC, shutdown_grace_usec, 0,
            [](sd_event_source* s, uint64_t, void* userdata) {
                auto* d = static_cast<Daemon*>(userdata);
                d->log_.log(LOG_WARNING, "commands still running after 10 s; leaving them to systemd");
                return sd_event_exit(sd_event_source_get_event(s), d->exit_status_);
            },
            this);
        if (r < 0)  // no grace timer: leave now, systemd's stop timeout ends what is left
            sd_event_exit(event_, exit_status_);
    }
}

int Daemon::on_signal(sd_event_source*, const signalfd_siginfo*, void* userdata)
{
    auto* d = static_cast<Daemon*>(userdata);
    d->log_.log(LOG_INFO, "stopping on request; the journal holds everything done so far");
    d->stop(0);
    return 0;
}

int Daemon::on_deadline(sd_event_source*, uint64_t, void* userdata)
{
    auto* d = static_cast<Daemon*>(userdata);
    d->core_->on_tick(now_ms());
    d->dispatch();
    return 0;
}

// After every event: leave once stopping and no command is left.
int Daemon::on_post(sd_event_source* s, void* userdata)
{
    auto* d = static_cast<Daemon*>(userdata);
    if (d->stopping_ && !d->runner_->busy())
        return sd_event_exit(sd_event_source_get_event(s), d->exit_status_);
    return 0;
}

}  // namespace chu
