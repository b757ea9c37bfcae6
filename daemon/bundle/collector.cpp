#include "bundle/collector.hpp"

#include "posix/posix.hpp"
#include "bundle/part.hpp"

#include <fcntl.h>
#include <syslog.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>

namespace chu {

namespace {

constexpr std::int64_t ask_again_ms = 1000;  // a fetch to a peer not connected yet is dropped by the mesh
// A part is cut to max_support_part; one that says it is four times that is none of ours.
constexpr std::uint64_t max_part_told = 4 * max_support_part;

}  // namespace

// The loop's monotonic clock, in milliseconds: what its timer is set on.
std::int64_t Collector::now_ms() const
{
    std::uint64_t usec = 0;
    sd_event_now(event_, CLOCK_MONOTONIC, &usec);
    return static_cast<std::int64_t>(usec / 1000);
}

Collector::Collector(sd_event* event, const Logger& log, ChildContext children, std::string me, Send send)
    : event_(event), log_(log), children_(std::move(children)), me_(std::move(me)), send_(std::move(send)), runner_(event, log),
      // Ids differ across this daemon's restarts, so a late chunk of an earlier transfer is never taken.
      next_id_(static_cast<std::uint64_t>(std::time(nullptr)) << 20)
{}

Collector::~Collector()
{
    runner_.terminate_all();
    sd_event_source_unref(timer_);
}

void Collector::collect(const std::string& node, Done done)
{
    if (node == me_) {
        waiting_.push_back(std::move(done));
        make();
        return;
    }
    const std::uint64_t id = ++next_id_;
    const std::int64_t now = now_ms();
    fetching_[id] = Transfer{node, std::move(done), {}, now, now};
    send_(node, PartFetch{id, 0});
    arm();
}

void Collector::on_fetch(const std::string& from, const PartFetch& fetch)
{
    Served& s = served_[from];
    if (s.id != fetch.id) {  // a new collect: a fresh part
        s = Served{fetch.id, Serving::making, nullptr, {}};
        make();
        return;
    }
    switch (s.state) {
    case Serving::making: send_(from, PartChunk{fetch.id, 0, 0, {}, {}}); break;  // heard, nothing yet
    case Serving::ready:
    case Serving::sent:
        if (s.part || !s.error.empty())
            answer(from, fetch.id, fetch.offset);
        else
            send_(from, PartChunk{fetch.id, 0, 0, {}, "its part was sent whole a while ago: collect again"});
        break;
    }
}

void Collector::on_chunk(const std::string& from, const PartChunk& chunk)
{
    auto it = fetching_.find(chunk.id);
    if (it == fetching_.end() || it->second.node != from || chunk.offset != it->second.data.size())
        return;  // late, repeated or not ours: the next fetch asks for what is missing
    Transfer& t = it->second;
    t.heard_ms = now_ms();
    if (chunk.total == 0 && chunk.error.empty())
        return;  // it is making its part
    if (!chunk.error.empty() || chunk.total > max_part_told) {
        Done done = std::move(t.done);
        fetching_.erase(it);
        done(Error{from + " could not make its part: " +
                   (chunk.error.empty() ? "it says " + std::to_string(chunk.total) + " bytes, too large" : chunk.error)});
        return;
    }
    t.data += chunk.data;
    t.asked_ms = t.heard_ms;
    if (t.data.size() < chunk.total && !chunk.data.empty()) {
        send_(from, PartFetch{chunk.id, t.data.size()});
        return;
    }
    Done done = std::move(t.done);
    std::string data = std::move(t.data);
    fetching_.erase(it);
    done(std::move(data));
}

// One child at a time; a request that comes while one runs is served by a fresh one after it.
void Collector::make()
{
    if (making_) {
        remake_ = true;
        return;
    }
    making_ = true;
    const std::string out = children_.state_dir + "/support-part.tar";
    Exec exec;
    exec.argv = {children_.self, "--config", children_.config_path, "--support-part", "--out", out};
    exec.timeout_s = 120;  // read-only: a part that hangs is killed, and said
    exec.step = "collect";
    exec.log_out = false;
    runner_.start(std::move(exec), [this, out](ExecResult r) {
        Result<std::string> part = Error{"making its part failed (exit " + std::to_string(r.exit_code) + "): " + r.tail};
        if (r.outcome == Outcome::ok) {
            Fd fd(open(out.c_str(), O_RDONLY | O_CLOEXEC));
            part = fd.get() < 0 ? Result<std::string>(os_error("cannot read its part", out)) : read_all(fd.get(), out);
        }
        unlink(out.c_str());
        made(std::move(part));
    });
}

void Collector::made(Result<std::string> part)
{
    making_ = false;
    auto shared = part ? std::make_shared<const std::string>(std::move(part.value())) : nullptr;
    for (auto& [requester, s] : served_) {
        if (s.state != Serving::making || remake_)
            continue;
        s.state = Serving::ready;
        s.part = shared;
        s.error = part ? std::string() : part.error().message;
        answer(requester, s.id, 0);
    }
    auto waiting = std::move(waiting_);
    waiting_.clear();
    for (auto& done : waiting)
        done(shared ? Result<std::string>(*shared) : Result<std::string>(part.error()));
    if (remake_) {
        remake_ = false;
        make();
    }
}

void Collector::answer(const std::string& to, std::uint64_t id, std::uint64_t offset)
{
    Served& s = served_[to];
    if (!s.part) {
        send_(to, PartChunk{id, 0, 0, {}, s.error});
        return;
    }
    const std::string& part = *s.part;
    const std::size_t from = std::min<std::size_t>(offset, part.size());
    send_(to, PartChunk{id, from, part.size(), part.substr(from, part_chunk_size), {}});
    if (from + part_chunk_size < part.size())
        return;
    if (s.state == Serving::sent)
        return;  // the last chunk again: it was lost on the way
    log_.log(LOG_INFO, "sent this node's support part to " + to + " (" + std::to_string(part.size()) + " bytes)");
    s.state = Serving::sent;  // kept a while for a re-ask (a fresh link drops what comes before it is up)
    s.sent_ms = now_ms();
    arm();
}

void Collector::tick()
{
    const std::int64_t now = now_ms();
    for (auto& [requester, s] : served_)
        if (s.state == Serving::sent && s.part && now - s.sent_ms > keep_sent_ms)
            s.part.reset();  // up to 8 MiB a requester: not kept for good
    for (auto it = fetching_.begin(); it != fetching_.end();) {
        Transfer& t = it->second;
        if (now - t.heard_ms > part_timeout_ms) {
            Done done = std::move(t.done);
            const std::string node = t.node;
            it = fetching_.erase(it);
            done(Error{"not reachable: no answer from " + node + " over the mesh in " + std::to_string(part_timeout_ms / 1000) +
                       " s"});
            continue;
        }
        if (now - t.asked_ms >= ask_again_ms) {
            t.asked_ms = now;
            send_(t.node, PartFetch{it->first, t.data.size()});
        }
        ++it;
    }
}

void Collector::arm()
{
    const std::uint64_t when = static_cast<std::uint64_t>(now_ms() + ask_again_ms) * 1000;
    const int r = timer_ ? sd_event_source_set_time(timer_, when)
                         : sd_event_add_time(event_, &timer_, CLOCK_MONOTONIC, when, 0, on_timer, this);
    if (r < 0 || sd_event_source_set_enabled(timer_, SD_EVENT_ONESHOT) < 0)
        log_.log(LOG_WARNING, "collect: cannot arm its timer; a lost node is not given up on");
}

int Collector::on_timer(sd_event_source*, std::uint64_t, void* userdata)
{
    auto* self = static_cast<Collector*>(userdata);
    self->tick();
    const bool holding = std::any_of(self->served_.begin(), self->served_.end(),
                                     [](const auto& entry) { return entry.second.state == Serving::sent && entry.second.part; });
    if (!self->fetching_.empty() || holding)
        self->arm();
    return 0;
}

}  // namespace chu
