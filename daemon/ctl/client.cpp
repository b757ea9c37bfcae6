#include "client.hpp"

#include "bus/bus_names.hpp"
#include "config/config_file.hpp"
#include "config/text_file.hpp"
#include "core/records.hpp"
#include "text.hpp"

#include <upgrade1_proxy.h>

#include <sdbus-c++/sdbus-c++.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <deque>
#include <map>
#include <poll.h>
#include <type_traits>
#include <unistd.h>
#include <variant>

namespace chu::ctl {

namespace {

constexpr const char* look = "sudo systemctl status chef-ha-upgrade; sudo journalctl -u chef-ha-upgrade -e";

// The state directory of this node's daemon, from its configuration (the default one when that is unreadable).
std::string state_dir()
{
    auto config = load_config(default_config);
    return config ? config->paths.state_dir : Config{}.paths.state_dir;
}

std::string not_running_here()
{
    return not_running(state_dir());
}

// When a journal record says something happened, in ms since the epoch; 0 for an epoch.
std::int64_t at_ms(const Record& record)
{
    return std::visit(
        [](const auto& r) -> std::int64_t {
            using T = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<T, EpochRecord>)
                return 0;
            else if constexpr (std::is_same_v<T, ReportRecord>)
                return r.finished_ms;
            else
                return r.at_ms;
        },
        record);
}

using Properties = std::map<std::string, sdbus::Variant>;

Event event_of(const std::string& name, const std::string& node, std::int32_t phase, const std::string& phase_name,
               const std::string& step, const std::string& state, const std::string& message, std::uint64_t at_usec)
{
    Event e;
    e.kind = event_named(name).value_or(EventKind::joined);  // a daemon of this version sends only these
    e.node = node;
    e.phase = phase;
    e.phase_name = phase_name;
    e.step = step;
    e.state = state;
    e.message = message;
    e.at_ms = static_cast<std::int64_t>(at_usec / 1000);
    return e;
}

class UpgradeProxy final : public sdbus::ProxyInterfaces<net::chefhaupgrade::Upgrade1_proxy, sdbus::Properties_proxy> {
public:
    UpgradeProxy(sdbus::IConnection& connection, std::function<void(const Properties&)> changed, std::function<void(Event)> event)
        : ProxyInterfaces(connection, bus::name, bus::object_path), changed_(std::move(changed)), event_(std::move(event))
    {
        registerProxy();
    }
    ~UpgradeProxy() { unregisterProxy(); }

    // CollectPart with a timeout of its own: a node makes its part in seconds, and says when it is lost
    // within 10 s, but the bus's default of 25 s would cut a large part's transfer short.
    std::vector<std::uint8_t> collect_part(const std::string& node)
    {
        std::vector<std::uint8_t> part;
        getProxy()
            .callMethod("CollectPart")
            .onInterface(net::chefhaupgrade::Upgrade1_proxy::INTERFACE_NAME)
            .withTimeout(std::chrono::minutes(3))
            .withArguments(node)
            .storeResultsTo(part);
        return part;
    }

private:
    void onCompleted(const std::string&, const std::string&) override {}  // watch follows State instead
    void onEvent(const std::string& name, const std::string& node, const int32_t& phase, const std::string& phase_name,
                 const std::string& step, const std::string& state, const std::string& message, const uint64_t& at_usec) override
    {
        event_(event_of(name, node, phase, phase_name, step, state, message, at_usec));
    }
    void onPropertiesChanged(const std::string& interface, const Properties& changed, const std::vector<std::string>&) override
    {
        if (interface == net::chefhaupgrade::Upgrade1_proxy::INTERFACE_NAME)
            changed_(changed);
    }

    std::function<void(const Properties&)> changed_;
    std::function<void(Event)> event_;
};

[[noreturn]] void fail(const sdbus::Error& e, const std::string& what)
{
    const std::string& name = e.getName();
    if (name == "org.freedesktop.DBus.Error.ServiceUnknown" || name == "org.freedesktop.DBus.Error.NameHasNoOwner")
        throw CtlError(exit_not_running, not_running_here());
    if (name == "org.freedesktop.DBus.Error.AccessDenied")
        throw CtlError(exit_denied, "only root may " + what + ": run it with sudo");
    if (name == bus::error_refused || name == bus::error_failed)
        throw CtlError(exit_refused, e.getMessage());
    if (name == "org.freedesktop.DBus.Error.NoReply" || name == "org.freedesktop.DBus.Error.Timeout")
        throw CtlError(exit_refused, "chef-ha-upgrade did not answer in time; check with: chef-ha-upgrade-ctl status");
    throw CtlError(exit_refused, "D-Bus: " + name + ": " + e.getMessage());
}

Status decode(const Properties& p)
{
    auto get = [&](const char* name, auto fallback) {
        auto it = p.find(name);
        return it == p.end() ? fallback : it->second.get<decltype(fallback)>();
    };
    Status s;
    s.node_name = get("NodeName", std::string());
    s.role = get("Role", std::string());
    s.leader = get("Leader", std::string());
    s.leader_reachable = get("LeaderReachable", false);
    s.epoch = get("Epoch", std::uint64_t{0});
    s.state = get("State", std::string());
    s.phase = get("Phase", std::int32_t{0});
    s.phase_name = get("PhaseName", std::string());
    s.phase_count = get("PhaseCount", std::int32_t{0});
    s.current_step = get("CurrentStep", std::string());
    s.attempt = get("Attempt", std::uint32_t{0});
    s.progress = get("Progress", std::uint32_t{0});
    s.last_error = get("LastError", std::string());
    s.versions = get("Versions", std::string());
    s.rehearsal = get("Rehearsal", false);
    s.downtime_start_usec = get("DowntimeStartUSec", std::uint64_t{0});
    s.downtime_end_usec = get("DowntimeEndUSec", std::uint64_t{0});
    s.peers = get("Peers", std::vector<bus::PeerEntry>());
    s.running_steps = get("RunningSteps", std::vector<bus::RunningEntry>());
    s.downtime_expected_end_usec = get("DowntimeExpectedEndUSec", std::uint64_t{0});
    s.next = get("Next", std::string());
    return s;
}

}  // namespace

std::string not_running(const std::string& dir)
{
    const std::string marker = dir + "/" + underway_marker;
    const std::string journal = dir + "/journal";
    std::string out = "chef-ha-upgrade is not running on this node";
    if (access(marker.c_str(), F_OK) == 0)
        return out + ", although an upgrade is under way here (" + marker +
               "). systemd restarts a daemon that crashed or was killed, not one that stopped on a bad configuration (exit "
               "78) or a damaged journal (exit 65). See why: " +
               look + "; once fixed: sudo systemctl start chef-ha-upgrade";
    if (access(journal.c_str(), F_OK) != 0 && errno == EACCES)
        return out + ". See why: " + look +
               " (as root, chef-ha-upgrade-ctl also says whether an upgrade is under way or over here: " + dir + " is root's)";
    std::int64_t last_ms = 0, dropped_ms = 0;
    bool ran = false;
    if (auto text = read_text_file(journal)) {
        for (const Record& r : scan_journal(text.value()).records) {
            last_ms = std::max(last_ms, at_ms(r));
            ran = ran || std::holds_alternative<JoinedRecord>(r) || std::holds_alternative<StartedRecord>(r) ||
                  std::holds_alternative<FinishedRecord>(r);
            if (std::holds_alternative<DroppedRecord>(r))
                dropped_ms = at_ms(r);
        }
    }
    const auto when = [](std::int64_t ms) {
        return clock_time(static_cast<std::uint64_t>(std::max<std::int64_t>(ms, 0)) * 1000);
    };
    if (dropped_ms != 0)
        return out + ": the operator dropped it from the upgrade at " + when(dropped_ms) +
               ", so it runs nothing more (rebuild it once the upgrade is complete). What happened: " + look;
    if (ran)
        return out + ", and the upgrade is over here: nothing is under way (no " + marker + "), and its last record is from " +
               when(last_ms) + ". Whether it completed or was aborted, and why the daemon stopped: " + look;
    return out + ", and no upgrade has run here yet (no journal in " + dir +
           "). Review the plan: sudo chef-ha-upgrade-ctl plan; start it on every node: sudo systemctl start chef-ha-upgrade; "
           "if it does not start: " +
           look;
}

struct Client::Impl {
    std::unique_ptr<sdbus::IConnection> connection;
    std::unique_ptr<UpgradeProxy> proxy;
    Properties properties;  // watch: the latest value of every property
    bool changed = false;
    std::deque<Event> arrived;  // follow: Event signals not yet handed on
    bool gone = false;          // the daemon left the bus
    std::unique_ptr<sdbus::IProxy> bus_proxy;

    // Serves the connection until `ready()`; throws CtlError when the daemon leaves the bus.
    void wait(const std::function<bool()>& ready);
};

void Client::Impl::wait(const std::function<bool()>& ready)
{
    for (;;) {
        try {
            while (!gone && !ready() && connection->processPendingRequest()) {}
        } catch (const sdbus::Error& e) {
            fail(e, "follow the upgrade");
        }
        if (gone)
            throw CtlError(exit_not_running, "chef-ha-upgrade stopped. " + not_running_here());
        if (ready())
            return;
        const auto poll_data = connection->getEventLoopPollData();
        pollfd fd{poll_data.fd, poll_data.events, 0};
        if (poll(&fd, 1, poll_data.getPollTimeout()) < 0 && errno != EINTR)
            throw CtlError(exit_refused, "cannot wait on the system bus");
    }
}

Client::Client() : impl_(std::make_unique<Impl>())
{
    try {
        impl_->connection = sdbus::createSystemBusConnection();
    } catch (const sdbus::Error& e) {
        throw CtlError(exit_not_running, "the system bus is not reachable (" + e.getMessage() + "), so " + not_running_here());
    }
    impl_->proxy = std::make_unique<UpgradeProxy>(
        *impl_->connection,
        [this](const Properties& changed) {
            for (const auto& [name, value] : changed)
                impl_->properties[name] = value;
            impl_->changed = true;
        },
        [this](Event e) { impl_->arrived.push_back(std::move(e)); });
    // Subscribed before the first read, so that the daemon's leaving is never missed.
    impl_->bus_proxy = sdbus::createProxy(*impl_->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus");
    impl_->bus_proxy->uponSignal("NameOwnerChanged")
        .onInterface("org.freedesktop.DBus")
        .call([this](const std::string& name, const std::string&, const std::string& owner) {
            impl_->gone = impl_->gone || (name == bus::name && owner.empty());
        });
    impl_->bus_proxy->finishRegistration();
}

Client::~Client() = default;

Status Client::status()
{
    try {
        return decode(impl_->proxy->GetAll(net::chefhaupgrade::Upgrade1_proxy::INTERFACE_NAME));
    } catch (const sdbus::Error& e) {
        fail(e, "read the status");
    }
}

std::string Client::decide(const std::string& method, const std::string& what)
{
    using Proxy = net::chefhaupgrade::Upgrade1_proxy;
    static const std::map<std::string, std::string (Proxy::*)()> methods = {
        {"Start", &Proxy::Start},         {"Pause", &Proxy::Pause}, {"Resume", &Proxy::Resume},
        {"Retry", &Proxy::Retry},         {"Abort", &Proxy::Abort}, {"ApproveCleanup", &Proxy::ApproveCleanup},
        {"Interrupt", &Proxy::Interrupt},
    };
    try {
        Proxy& proxy = *impl_->proxy;
        return (proxy.*methods.at(method))();
    } catch (const sdbus::Error& e) {
        fail(e, what);
    }
}

std::string Client::skip(bool force)
{
    try {
        return impl_->proxy->Skip(force);
    } catch (const sdbus::Error& e) {
        fail(e, "skip a step");
    }
}

std::string Client::drop(const std::string& node, bool force)
{
    try {
        return impl_->proxy->Drop(node, force);
    } catch (const sdbus::Error& e) {
        fail(e, "drop a node");
    }
}

std::string Client::collect_part(const std::string& node)
{
    try {
        const auto part = impl_->proxy->collect_part(node);
        return std::string(part.begin(), part.end());
    } catch (const sdbus::Error& e) {
        fail(e, "collect a support bundle");
    }
}

std::vector<PlanLine> Client::plan()
{
    try {
        std::vector<PlanLine> out;
        for (const auto& e : impl_->proxy->GetPlan())
            out.push_back({std::get<0>(e), std::get<1>(e), std::get<2>(e), std::get<3>(e), std::get<4>(e), std::get<5>(e),
                           std::get<6>(e), std::get<7>(e)});
        return out;
    } catch (const sdbus::Error& e) {
        fail(e, "read the plan");
    }
}

std::vector<TimelineLine> Client::timeline()
{
    try {
        std::vector<TimelineLine> out;
        for (const auto& e : impl_->proxy->GetTimeline())
            out.push_back({std::get<0>(e), std::get<1>(e), std::get<2>(e), std::get<3>(e), std::get<4>(e), std::get<5>(e),
                           std::get<6>(e), std::get<7>(e)});
        return out;
    } catch (const sdbus::Error& e) {
        fail(e, "read the timeline");
    }
}

std::vector<PreflightLine> Client::preflight()
{
    try {
        std::vector<PreflightLine> out;
        for (const auto& e : impl_->proxy->GetPreflight()) {
            const auto& [node, check, title, verdict, text] = bus::fields(e);
            out.push_back({node, check, title, verdict, text});
        }
        return out;
    } catch (const sdbus::Error& e) {
        fail(e, "read the rehearsal's result");
    }
}

void Client::watch(const std::function<bool(const Status&)>& changed)
{
    try {
        impl_->properties = impl_->proxy->GetAll(net::chefhaupgrade::Upgrade1_proxy::INTERFACE_NAME);
    } catch (const sdbus::Error& e) {
        fail(e, "read the status");
    }
    impl_->changed = false;
    for (bool more = changed(decode(impl_->properties)); more; more = changed(decode(impl_->properties))) {
        impl_->wait([this] { return impl_->changed; });
        impl_->changed = false;
    }
}

std::vector<Event> Client::events()
{
    try {
        std::vector<Event> out;
        for (const auto& e : impl_->proxy->GetEvents()) {
            const auto& [name, node, phase, phase_name, step, state, message, at_usec] = bus::fields(e);
            out.push_back(event_of(name, node, phase, phase_name, step, state, message, at_usec));
        }
        return out;
    } catch (const sdbus::Error& e) {
        fail(e, "read the events");
    }
}

void Client::follow(const std::function<bool(const Event&)>& seen)
{
    for (;;) {
        impl_->wait([this] { return !impl_->arrived.empty(); });
        while (!impl_->arrived.empty()) {
            const Event e = std::move(impl_->arrived.front());
            impl_->arrived.pop_front();
            if (!seen(e))
                return;
        }
    }
}

}  // namespace chu::ctl
