#include "event_source.hpp"

#include <sdbus-c++/Error.h>
#include <systemd/sd-event.h>

#include <cerrno>
#include <ctime>
#include <system_error>

namespace chu::bus {

namespace {

void check(int r, const char* what)
{
    if (r < 0)
        throw std::system_error(-r, std::generic_category(), what);
}

}  // namespace

EventSource::EventSource(sd_event* event, sdbus::IConnection& connection, Warn warn)
    : connection_(connection), warn_(std::move(warn))
{
    const auto poll = connection_.getEventLoopPollData();
    check(sd_event_add_io(event, &io_, poll.fd, static_cast<std::uint32_t>(poll.events), on_io, this),
          "cannot watch the D-Bus connection");
    check(sd_event_add_time(event, &timer_, CLOCK_MONOTONIC, 0, 1, on_timeout, this), "cannot add the D-Bus timer");
    check(sd_event_source_set_enabled(timer_, SD_EVENT_OFF), "cannot add the D-Bus timer");
    // Replies and signals sent from other sources' handlers queue output: re-arm before every poll.
    check(sd_event_source_set_prepare(io_, on_prepare), "cannot watch the D-Bus connection");
}

EventSource::~EventSource()
{
    sd_event_source_disable_unref(timer_);
    sd_event_source_disable_unref(io_);
}

// sd-event calls back through C: an exception must stop here. The error disables the source: a lost bus
// leaves the operator without this node's D-Bus face, but never stops an upgrade (nor does a missing one).
template <class F>
int EventSource::guarded(F&& f)
{
    try {
        return f();
    } catch (const sdbus::Error& e) {
        warn_("the D-Bus connection failed (" + e.getMessage() +
              "): the upgrade goes on without it; restart chef-ha-upgrade between steps to get it back");
        return -ECONNRESET;
    }
}

int EventSource::on_prepare(sd_event_source*, void* self)
{
    auto* me = static_cast<EventSource*>(self);
    return me->guarded([me] { return me->rearm(); });
}

int EventSource::on_io(sd_event_source*, int, std::uint32_t, void* self)
{
    auto* me = static_cast<EventSource*>(self);
    return me->guarded([me] { return me->process(); });
}

int EventSource::on_timeout(sd_event_source*, std::uint64_t, void* self)
{
    auto* me = static_cast<EventSource*>(self);
    return me->guarded([me] { return me->process(); });
}

int EventSource::rearm()
{
    const auto poll = connection_.getEventLoopPollData();
    int r = sd_event_source_set_io_events(io_, static_cast<std::uint32_t>(poll.events));
    if (r < 0)
        return r;
    if (poll.timeout_usec == UINT64_MAX)
        return sd_event_source_set_enabled(timer_, SD_EVENT_OFF);
    r = sd_event_source_set_time(timer_, poll.timeout_usec);
    return r < 0 ? r : sd_event_source_set_enabled(timer_, SD_EVENT_ONESHOT);
}

int EventSource::process()
{
    while (connection_.processPendingRequest()) {}
    return 0;
}

}  // namespace chu::bus
