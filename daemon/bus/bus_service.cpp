#include "bus_service.hpp"

#include "bus_names.hpp"
#include "bus_values.hpp"
#include "event_source.hpp"

#include "core/words.hpp"

#include <upgrade1_adaptor.h>

#include <sdbus-c++/sdbus-c++.h>

#include <algorithm>
#include <map>

namespace chu {

struct BusService::Impl {
    class Object;

    Impl(sd_event* event, const Node& core, const NodeSetup& setup, OperatorCall call, Warn warn);
    void decide(Op op, sdbus::Result<std::string>&& result, std::string node = {}, bool force = false);
    void collect_part(sdbus::Result<std::vector<std::uint8_t>>&& result, const std::string& node);
    // A send that failed: the connection is gone, and the event source ends it on the fd.
    void failed(const char* what, const sdbus::Error& e) const
    {
        warn(std::string("D-Bus: cannot ") + what + ": " + e.getMessage());
    }

    const Node& core;
    const Plan plan;
    const Result<std::vector<bus::PlanEntry>> schedule;
    const OperatorCall call;
    const Warn warn;
    const std::int64_t heartbeat_ms;
    // Destroyed in reverse: the pending calls' messages, the loop's sources and the object all use the
    // connection.
    std::unique_ptr<sdbus::IConnection> connection;
    std::unique_ptr<Object> object;
    std::unique_ptr<bus::EventSource> source;
    bus::Properties published;  // what the getters return: always what was last announced
    std::int64_t peers_announced_ms = 0;
    std::map<std::uint64_t, sdbus::Result<std::string>> pending;  // method calls the core has not answered
    std::uint64_t next_id = 1;
    CollectCall collect;
    std::vector<std::string> nodes;  // the topology's, for CollectPart
};

// The generated adaptor's members, each a translation to or from Impl.
class BusService::Impl::Object final : public sdbus::AdaptorInterfaces<net::chefhaupgrade::Upgrade1_adaptor> {
public:
    Object(sdbus::IConnection& connection, Impl& impl) : AdaptorInterfaces(connection, bus::object_path), impl_(impl)
    {
        registerAdaptor();
    }
    ~Object() { unregisterAdaptor(); }

    void emitPropertiesChanged(const std::vector<std::string>& names)
    {
        getObject().emitPropertiesChangedSignal(INTERFACE_NAME, names);
    }

private:
    void Start(sdbus::Result<std::string>&& r) override { impl_.decide(Op::start, std::move(r)); }
    void Pause(sdbus::Result<std::string>&& r) override { impl_.decide(Op::pause, std::move(r)); }
    void Resume(sdbus::Result<std::string>&& r) override { impl_.decide(Op::resume, std::move(r)); }
    void Retry(sdbus::Result<std::string>&& r) override { impl_.decide(Op::retry, std::move(r)); }
    void Skip(sdbus::Result<std::string>&& r, bool force) override { impl_.decide(Op::skip, std::move(r), {}, force); }
    void Abort(sdbus::Result<std::string>&& r) override { impl_.decide(Op::abort, std::move(r)); }
    void ApproveCleanup(sdbus::Result<std::string>&& r) override { impl_.decide(Op::approve, std::move(r)); }
    void Interrupt(sdbus::Result<std::string>&& r) override { impl_.decide(Op::interrupt, std::move(r)); }
    void Drop(sdbus::Result<std::string>&& r, std::string node, bool force) override
    {
        impl_.decide(Op::drop, std::move(r), std::move(node), force);
    }
    void CollectPart(sdbus::Result<std::vector<std::uint8_t>>&& r, std::string node) override
    {
        impl_.collect_part(std::move(r), node);
    }

    std::vector<bus::PlanEntry> GetPlan() override
    {
        if (!impl_.schedule)
            throw sdbus::Error(bus::error_failed, impl_.schedule.error().message);
        return impl_.schedule.value();
    }

    std::vector<bus::TimelineEntry> GetTimeline() override
    {
        if (!impl_.core.is_leader())
            throw sdbus::Error(bus::error_refused,
                               "the timeline is kept by the leader " + impl_.core.leader_name() + ": run this there");
        return bus::timeline_entries(impl_.core.timeline(), impl_.core.drops(), impl_.plan);
    }

    std::vector<bus::PreflightEntry> GetPreflight() override
    {
        if (!impl_.plan.rehearsal)
            throw sdbus::Error(bus::error_refused, "this daemon runs the upgrade, not a preflight rehearsal: see "
                                                   "chef-ha-upgrade-ctl status (a rehearsal is chef-ha-upgrade-preflight)");
        if (!impl_.core.is_leader())
            throw sdbus::Error(bus::error_refused, "the rehearsal's result is kept by the leader " + impl_.core.leader_name() +
                                                       ": run this there (LastError here says what it found)");
        return bus::preflight_entries(impl_.core.preflight());
    }

    std::vector<bus::EventEntry> GetEvents() override
    {
        std::vector<bus::EventEntry> out;
        for (const auto& e : impl_.core.events())
            out.push_back(bus::event_entry(e));
        return out;
    }

    std::string NodeName() override { return impl_.published.node_name; }
    std::string Role() override { return impl_.published.role; }
    std::string Leader() override { return impl_.published.leader; }
    bool LeaderReachable() override { return impl_.published.leader_reachable; }
    uint64_t Epoch() override { return impl_.published.epoch; }
    std::string State() override { return impl_.published.state; }
    int32_t Phase() override { return impl_.published.phase; }
    std::string PhaseName() override { return impl_.published.phase_name; }
    int32_t PhaseCount() override { return impl_.published.phase_count; }
    std::string CurrentStep() override { return impl_.published.current_step; }
    uint32_t Attempt() override { return impl_.published.attempt; }
    uint32_t Progress() override { return impl_.published.progress; }
    std::string LastError() override { return impl_.published.last_error; }
    std::string Versions() override { return impl_.published.versions; }
    bool Rehearsal() override { return impl_.published.rehearsal; }
    uint64_t DowntimeStartUSec() override { return impl_.published.downtime_start_usec; }
    uint64_t DowntimeEndUSec() override { return impl_.published.downtime_end_usec; }
    std::vector<bus::PeerEntry> Peers() override { return impl_.published.peers; }
    std::vector<bus::RunningEntry> RunningSteps() override { return impl_.published.running_steps; }
    uint64_t DowntimeExpectedEndUSec() override { return impl_.published.downtime_expected_end_usec; }
    std::string Next() override { return impl_.published.next; }

    Impl& impl_;
};

BusService::Impl::Impl(sd_event* event, const Node& core_, const NodeSetup& setup, OperatorCall call_, Warn warn_)
    : core(core_), plan(setup.plan), schedule(bus::plan_entries(setup)), call(std::move(call_)), warn(std::move(warn_)),
      heartbeat_ms(setup.config.cluster.heartbeat_ms), connection(sdbus::createSystemBusConnection())
{
    for (const auto& server : setup.topology.servers)
        nodes.push_back(server.name);
    object = std::make_unique<Object>(*connection, *this);
    // The name last: a client that sees it finds the object.
    try {
        connection->requestName(bus::name);
    } catch (const sdbus::Error& e) {
        throw sdbus::Error(e.getName(), std::string("cannot own ") + bus::name + " on the system bus (" + e.getMessage() +
                                            "): another chef-ha-upgraded runs, or the bus policy "
                                            "chef-ha-upgrade-dbus.conf is not installed, or this is not root");
    }
    source = std::make_unique<bus::EventSource>(event, *connection, warn);
}

void BusService::Impl::decide(Op op, sdbus::Result<std::string>&& result, std::string node, bool force)
{
    const std::uint64_t id = next_id++;
    pending.emplace(id, std::move(result));  // first: the core may answer before call() returns
    try {
        call(Command{id, op, std::move(node), force});
    } catch (const std::exception& e) {
        auto it = pending.find(id);
        if (it != pending.end()) {
            it->second.returnError(sdbus::Error(bus::error_failed, std::string("could not ") + op_name(op) + ": " + e.what()));
            pending.erase(it);
        }
    }
}

void BusService::Impl::collect_part(sdbus::Result<std::vector<std::uint8_t>>&& result, const std::string& node)
{
    if (!collect || std::find(nodes.begin(), nodes.end(), node) == nodes.end()) {
        result.returnError(
            sdbus::Error(bus::error_refused, collect ? "there is no node " + node + " in the topology (" + join_names(nodes) + ")"
                                                     : "this daemon does not collect"));
        return;
    }
    // The call's reply waits in the callback; the daemon ends every collect before this object goes.
    auto shared = std::make_shared<sdbus::Result<std::vector<std::uint8_t>>>(std::move(result));
    collect(node, [shared](Result<std::string> part) {
        try {
            if (!part)
                shared->returnError(sdbus::Error(bus::error_failed, part.error().message));
            else
                shared->returnResults(std::vector<std::uint8_t>(part->begin(), part->end()));
        } catch (const sdbus::Error&) {}  // the caller is gone: nothing to answer
    });
}

BusService::BusService(sd_event* event, const Node& core, const NodeSetup& setup, OperatorCall call, Warn warn)
    : impl_(std::make_unique<Impl>(event, core, setup, std::move(call), std::move(warn)))
{}

BusService::~BusService() = default;

void BusService::serve_collect(CollectCall collect)
{
    impl_->collect = std::move(collect);
}

void BusService::publish(const NodeStatus& status, std::int64_t now_ms)
{
    auto next = bus::properties_of(status, now_ms);
    const auto changed = bus::changed_properties(impl_->published, next);
    if (changed.empty())
        return;
    // The last-heard ages tick with the hellos (a leader hears every node each heartbeat): a change in them
    // alone is announced at most once a heartbeat, so that an idle cluster keeps neither bus nor daemon busy.
    const bool peers = std::find(changed.begin(), changed.end(), "Peers") != changed.end();
    if (peers && changed.size() == 1 && !bus::peers_moved(impl_->published.peers, next.peers) &&
        now_ms - impl_->peers_announced_ms < impl_->heartbeat_ms)
        return;
    if (peers)
        impl_->peers_announced_ms = now_ms;
    impl_->published = std::move(next);
    try {
        impl_->object->emitPropertiesChanged(changed);
    } catch (const sdbus::Error& e) {
        impl_->failed("announce the changed properties", e);
    }
}

void BusService::halt(const std::string& reason)
{
    auto next = impl_->published;
    next.state = state_name(State::failed);
    next.last_error = reason;
    const auto changed = bus::changed_properties(impl_->published, next);
    impl_->published = std::move(next);
    try {
        impl_->object->emitPropertiesChanged(changed);
    } catch (const sdbus::Error& e) {
        impl_->failed("announce the halt", e);
    }
}

void BusService::answer(const Answer& answer)
{
    auto it = impl_->pending.find(answer.id);
    if (it == impl_->pending.end())
        return;
    auto result = std::move(it->second);
    impl_->pending.erase(it);
    try {
        if (answer.ok)
            result.returnResults(answer.text);
        else
            result.returnError(sdbus::Error(bus::error_refused, answer.text));
    } catch (const sdbus::Error& e) {
        impl_->failed("answer an operator call", e);
    }
}

void BusService::completed(const Completed& completed)
{
    try {
        impl_->object->emitCompleted(state_name(completed.outcome), completed.summary);
    } catch (const sdbus::Error& e) {
        impl_->failed("announce the completion", e);
    }
}

void BusService::event(const Event& event)
{
    const bus::EventEntry entry = bus::event_entry(event);
    const auto& [name, node, phase, phase_name, step, state, message, at_usec] = bus::fields(entry);
    try {
        impl_->object->emitEvent(name, node, phase, phase_name, step, state, message, at_usec);
    } catch (const sdbus::Error& e) {
        impl_->failed("announce an event", e);
    }
}

}  // namespace chu
