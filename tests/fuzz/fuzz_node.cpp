// The coordination core under hostile input: a node (the leader, the secondary or a frontend) boots
// from an arbitrary journal, then takes arbitrary frames from any peer (or a stranger), step results,
// operator calls and clock ticks, in any order. Whatever comes, it must not crash, its status must be
// readable after every event, and every message it sends must encode to a frame that decodes again.
//
// Input: [u8 node][u32 journal length][journal bytes] then events [u8 kind][u8 arg][u16 length][payload].
#include "fuzz_node_setup.hpp"

using namespace chu;
using chu::fuzz::names;
using chu::fuzz::setup_of;

namespace {

struct Input {
    const std::uint8_t* data;
    std::size_t size;
    std::size_t pos = 0;
    bool has(std::size_t n) const { return size - pos >= n; }
    std::uint32_t take(std::size_t n)
    {
        std::uint32_t v = 0;
        for (std::size_t i = 0; i < n; ++i)
            v |= static_cast<std::uint32_t>(data[pos + i]) << (8 * i);
        pos += n;
        return v;
    }
    std::string_view bytes(std::size_t n)
    {
        n = std::min(n, size - pos);
        std::string_view out(reinterpret_cast<const char*>(data + pos), n);
        pos += n;
        return out;
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    Input in{data, size};
    if (!in.has(5))
        return 0;
    const int which = static_cast<int>(in.take(1) % 4);
    Node node(setup_of(which));
    std::int64_t now = 1'700'000'000'000;
    const auto journal = scan_journal(in.bytes(in.take(4)));
    if (!node.boot(journal.records, now))
        return 0;  // refused as not fitting the plan: the daemon exits 78 on it, with the reason

    std::optional<RunStep> running;
    std::optional<PackArchive> packing;
    auto settle = [&] {
        for (auto& effect : node.take_effects()) {
            if (auto* send = std::get_if<Send>(&effect)) {
                auto again = decode_frame(encode_frame(Envelope{node.name(), send->message}));
                CHU_FUZZ_CHECK(again);
            } else if (auto* run = std::get_if<RunStep>(&effect)) {
                running = *run;
            } else if (auto* pack = std::get_if<PackArchive>(&effect)) {
                packing = *pack;
            }
        }
        const NodeStatus status = node.status(now);
        CHU_FUZZ_CHECK(status.phase < status.phase_count);
        CHU_FUZZ_CHECK(node.next_deadline() > 0);
    };
    settle();
    while (in.has(4)) {
        const std::uint32_t kind = in.take(1);
        const std::uint32_t arg = in.take(1);
        const std::string_view payload = in.bytes(in.take(2));
        switch (kind % 5) {
        case 0: {  // a frame; the transport has checked the sender's address, so it comes from a real name
            auto envelope = decode_frame(payload);
            if (!envelope)
                break;
            if (arg < 4)
                envelope->from = names[arg];
            node.on_message(envelope.value(), now);
            break;
        }
        case 1:  // the step that runs ends
            if (running) {
                const Outcome outcome = static_cast<Outcome>(arg % 3);
                node.on_step_finished(StepResult{running->phase, running->step, running->round, running->attempt, outcome,
                                                 outcome == Outcome::ok ? 0 : 1, std::string(payload), std::string(payload)},
                                      now);
                running.reset();
            }
            break;
        case 2:  // the archive of a copy step is ready (or could not be made)
            if (packing) {
                if (arg & 1)
                    node.on_archive(packing->phase, packing->step, std::string(payload), now);
                else
                    node.on_archive(packing->phase, packing->step, Error{"cannot pack"}, now);
                packing.reset();
            }
            break;
        case 3: {  // any decision; a drop names any node of the topology, forced or not
            const auto& servers = setup_of(which).topology.servers;
            const Op op = static_cast<Op>(arg % (static_cast<unsigned>(last_op) + 1));
            node.on_operator(Command{arg, op, servers[arg % servers.size()].name, (arg & 8) != 0}, now);
            break;
        }
        default:
            now += static_cast<std::int64_t>(arg) * 100;
            node.on_tick(now);
            break;
        }
        settle();
    }
    return 0;
}
