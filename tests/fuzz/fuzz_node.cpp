// The coordination core under hostile input: a node (the leader, the secondary or a frontend) boots
// from an arbitrary journal, then takes arbitrary frames from any peer (or a stranger), step results,
// operator calls and clock ticks, in any order. Whatever comes, it must not crash, its status must be
// readable after every event, every record it writes must read back and every message it sends must
// encode to a frame that decodes again.
//
// Input: [u8 node][u32 journal length][journal bytes] then events [u8 kind][u8 arg][u16 length][payload].
#include "core/carry.hpp"
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

// The world of one node under fuzzing: every record it writes must read back and every message it sends
// must survive the wire; the step and the archive it asks for are what the input may end next.
struct FuzzPorts final : Ports {
    const std::string& self;
    std::optional<RunStep> running;
    std::optional<PackArchive> packing;
    explicit FuzzPorts(const std::string& name) : self(name) {}

    bool write(const std::vector<Record>& records) override
    {
        for (const auto& r : records)
            CHU_FUZZ_CHECK(scan_journal(encode_record(r)).records.size() == 1);
        return true;
    }
    bool underway() override { return true; }
    void send(Send& send) override { CHU_FUZZ_CHECK(decode_frame(encode_frame(Envelope{self, send.message}))); }
    void run(RunStep& run) override { running = run; }
    void interrupt(const Interrupt&) override {}
    void pack(const PackArchive& pack) override { packing = pack; }
    void log(const Log&) override {}
    void answer(const Answer&) override {}
    void completed(const Completed&) override {}
    void notify(const Notify&) override {}
    void stop(const Stop&) override {}
    void halt(const Halt&) override {}  // a hostile journal may hold moves no table has: the daemon halts on it
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

    FuzzPorts ports(node.name());
    auto& running = ports.running;
    auto& packing = ports.packing;
    auto settle = [&] {
        carry(node, ports);
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
