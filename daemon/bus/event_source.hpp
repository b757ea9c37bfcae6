// Serves an sdbus-c++ connection from the daemon's sd-event loop, without a thread of its own: the
// connection's fd is an IO source and its timeout a timer, both re-armed before every poll.
#pragma once

#include <sdbus-c++/IConnection.h>

#include <cstdint>
#include <functional>
#include <string>

struct sd_event;
struct sd_event_source;

namespace chu::bus {

class EventSource {
public:
    using Warn = std::function<void(const std::string&)>;
    // Throws std::system_error when sd-event refuses the sources. `warn` says a lost connection.
    EventSource(sd_event* event, sdbus::IConnection& connection, Warn warn);
    ~EventSource();
    EventSource(const EventSource&) = delete;
    EventSource& operator=(const EventSource&) = delete;

private:
    static int on_prepare(sd_event_source* source, void* self);
    static int on_io(sd_event_source* source, int fd, std::uint32_t revents, void* self);
    static int on_timeout(sd_event_source* source, std::uint64_t usec, void* self);
    int rearm();
    int process();
    template <class F>
    int guarded(F&& f);

    sdbus::IConnection& connection_;
    Warn warn_;
    sd_event_source* io_ = nullptr;
    sd_event_source* timer_ = nullptr;
};

}  // namespace chu::bus
