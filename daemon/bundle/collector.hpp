// `chef-ha-upgrade-ctl collect` on the daemon's loop: any node's part of a support bundle, carried over
// the mesh in chunks of part_chunk_size, one in flight per transfer, beside the upgrade and never in its
// way. A part is made by this executable's child (--support-part), so the loop only waits and copies.
// This is no part of the upgrade's coordination: the core never sees these messages.
#pragma once

#include "core/result.hpp"
#include "core/wire.hpp"
#include "exec/runner.hpp"
#include "exec/step_command.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

struct sd_event;
struct sd_event_source;

namespace chu {

class Collector {
public:
    using Send = std::function<void(const std::string& to, Message message)>;
    using Done = std::function<void(Result<std::string> part)>;

    Collector(sd_event* event, const Logger& log, ChildContext children, std::string me, Send send);
    ~Collector();
    Collector(const Collector&) = delete;
    Collector& operator=(const Collector&) = delete;

    // `node`'s part (this node's is made here): whole, or why not (not heard from for part_timeout_ms; a node
    // making its part says so at every fetch).
    void collect(const std::string& node, Done done);
    void on_fetch(const std::string& from, const PartFetch& fetch);
    void on_chunk(const std::string& from, const PartChunk& chunk);

    static constexpr std::int64_t part_timeout_ms = 10000;

private:
    // making -> ready -> sent (the last chunk went; the part is kept keep_sent_ms for a re-ask, then let go);
    // a new id starts again.
    enum class Serving { making, ready, sent };
    struct Served {  // a part this node makes or sends, for one requester
        std::uint64_t id = 0;
        Serving state = Serving::making;
        std::shared_ptr<const std::string> part;  // what is sent, whatever is made later
        std::string error;                        // ready: why there is no part
        std::int64_t sent_ms = 0;
    };
    static constexpr std::int64_t keep_sent_ms = 30000;
    struct Transfer {  // a part this node fetches
        std::string node;
        Done done;
        std::string data;
        std::int64_t heard_ms = 0, asked_ms = 0;
    };

    void make();
    void made(Result<std::string> part);
    void answer(const std::string& to, std::uint64_t id, std::uint64_t offset);
    void tick();
    void arm();
    std::int64_t now_ms() const;
    static int on_timer(sd_event_source*, std::uint64_t, void* userdata);

    sd_event* event_;
    const Logger& log_;
    ChildContext children_;
    std::string me_;
    Send send_;
    Runner runner_;
    bool making_ = false;
    bool remake_ = false;                         // asked for while one was being made: make a fresh one after
    std::vector<Done> waiting_;                   // this node's own collect() calls, until the part is made
    std::map<std::string, Served> served_;        // by requester
    std::map<std::uint64_t, Transfer> fetching_;  // by id
    std::uint64_t next_id_;
    sd_event_source* timer_ = nullptr;
};

}  // namespace chu
