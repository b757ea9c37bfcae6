// The one loop that carries a node's effects out into the world, in the order the core decided them. The
// daemon, the simulation, the bus tests and the fuzz target each give only their Ports.
#pragma once

#include "node.hpp"

#include <array>
#include <cstddef>
#include <variant>

namespace chu {

// Where effects go. A port that returns false stops the carrying there: nothing after it happens (the
// journal cannot be written, what must survive the upgrade cannot be kept, or a simulated crash).
class Ports {
public:
    virtual ~Ports() = default;
    // Before each effect that is not a record: false stops here, before it.
    virtual bool proceed(const Effect&) { return true; }
    // Durable when it returns true; consecutive records come in one call, so that they share one sync.
    virtual bool write(const std::vector<Record>& records) = 0;
    virtual bool underway() = 0;
    virtual void send(Send& send) = 0;
    virtual void run(RunStep& run) = 0;
    virtual void interrupt(const Interrupt& interrupt) = 0;
    virtual void pack(const PackArchive& pack) = 0;
    virtual void log(const Log& log) = 0;
    virtual void answer(const Answer& answer) = 0;
    virtual void completed(const Completed& completed) = 0;
    virtual void notify(const Notify& notify) = 0;
    virtual void stop(const Stop& stop) = 0;
    virtual void halt(const Halt& halt) = 0;  // nothing after it is carried out
};

constexpr std::size_t effect_kinds = std::variant_size_v<Effect>;
const char* effect_name(std::size_t kind);  // the alternative's name: "WriteRecord"

struct Carried {
    bool stopped = false;
    // Stopped: records the node decided (and applied) that were not handed to write() whole; what it decided
    // after the stop is taken and dropped.
    std::size_t unwritten = 0;
    std::array<std::size_t, effect_kinds> counts{};  // effects carried, by kind (Effect::index())
};

// Takes the node's effects until it has none and carries them out: every record is written before any
// effect that follows it. An effect's port may give the node more to do (an archive packed at once): it is
// taken in the next round.
Carried carry(Node& node, Ports& ports);

}  // namespace chu
