#include "carry.hpp"

#include <algorithm>

namespace chu {

namespace {

// Carries one effect that is not a record through its port; false: stop.
bool carry_one(Effect& effect, Ports& ports)
{
    return std::visit(
        [&](auto& e) {
            using E = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<E, Underway>)
                return ports.underway();
            else if constexpr (std::is_same_v<E, Send>)
                ports.send(e);
            else if constexpr (std::is_same_v<E, RunStep>)
                ports.run(e);
            else if constexpr (std::is_same_v<E, Interrupt>)
                ports.interrupt(e);
            else if constexpr (std::is_same_v<E, PackArchive>)
                ports.pack(e);
            else if constexpr (std::is_same_v<E, Log>)
                ports.log(e);
            else if constexpr (std::is_same_v<E, Answer>)
                ports.answer(e);
            else if constexpr (std::is_same_v<E, Completed>)
                ports.completed(e);
            else if constexpr (std::is_same_v<E, Notify>)
                ports.notify(e);
            else if constexpr (std::is_same_v<E, Stop>)
                ports.stop(e);
            else if constexpr (std::is_same_v<E, Halt>) {
                ports.halt(e);
                return false;
            } else
                static_assert(std::is_same_v<E, WriteRecord>, "every effect has a port");
            return true;
        },
        effect);
}

std::size_t records_in(const std::vector<Effect>& effects, std::size_t from)
{
    return static_cast<std::size_t>(std::count_if(effects.begin() + static_cast<std::ptrdiff_t>(from), effects.end(),
                                                  [](const Effect& e) { return std::holds_alternative<WriteRecord>(e); }));
}

// What the node decided after the stop is dropped with it: its records were applied, never written.
std::size_t drop_rest(Node& node)
{
    const auto rest = node.take_effects();
    return records_in(rest, 0);
}

}  // namespace

const char* effect_name(std::size_t kind)
{
    static constexpr const char* names[] = {"Send",   "RunStep",   "Interrupt", "PackArchive", "WriteRecord", "Log",
                                            "Answer", "Completed", "Underway",  "Notify",      "Stop",        "Halt"};
    static_assert(std::size(names) == effect_kinds, "a name for every effect");
    return kind < effect_kinds ? names[kind] : "?";
}

Carried carry(Node& node, Ports& ports)
{
    Carried c;
    std::vector<Record> batch;
    auto flush = [&] {
        const bool written = batch.empty() || ports.write(batch);
        if (written)
            batch.clear();
        return written;
    };
    for (auto effects = node.take_effects(); !effects.empty(); effects = node.take_effects()) {
        for (std::size_t i = 0; i < effects.size(); ++i) {
            Effect& effect = effects[i];
            if (auto* w = std::get_if<WriteRecord>(&effect)) {
                batch.push_back(std::move(w->record));
                ++c.counts[effect.index()];
            } else if (flush() && ports.proceed(effect) && carry_one(effect, ports)) {
                ++c.counts[effect.index()];
            } else {
                c.stopped = true;
                c.unwritten = batch.size() + records_in(effects, i + 1) + drop_rest(node);  // a failed write keeps its batch
                return c;
            }
        }
        if (!flush()) {
            c.stopped = true;
            c.unwritten = batch.size() + drop_rest(node);
            return c;
        }
    }
    return c;
}

}  // namespace chu
