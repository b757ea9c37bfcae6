// Writes the binary part of the seed corpus (tests/fuzz/corpus/wire, journal and node): one frame of every
// message type, one journal of every record type, as the daemon encodes them, and a few runs of the
// core for fuzz_node (a leader joining its followers and ordering the first steps, a follower obeying). The text corpora are
// copies of real files (conf/, tests/data/) and hand-written variants.
//   chu-fuzz-make-corpus CORPUS_DIR
#include "core/records.hpp"
#include "core/wire.hpp"
#include "fuzz_node_setup.hpp"

#include <fstream>
#include <string>

using namespace chu;

namespace {

void write(const std::string& path, const std::string& bytes)
{
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::string u(std::uint64_t v, int n)
{
    std::string out;
    for (int i = 0; i < n; ++i)
        out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return out;
}

// fuzz_node's input: which node, its journal, then events (see fuzz_node.cpp).
std::string run_of(int node, const std::string& journal, const std::vector<std::string>& events)
{
    std::string out = u(static_cast<std::uint64_t>(node), 1) + u(journal.size(), 4) + journal;
    for (const auto& e : events)
        out += e;
    return out;
}

std::string event(int kind, int arg, const std::string& payload = {})
{
    return u(static_cast<std::uint64_t>(kind), 1) + u(static_cast<std::uint64_t>(arg), 1) + u(payload.size(), 2) + payload;
}

std::string message(int from, const Message& m)
{
    return event(0, from, encode_frame(Envelope{fuzz::names[from], m}));
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc != 2)
        return 2;
    const std::string dir = argv[1];
    const std::string d = "0f3c2a55e1b7d64c98a0b2e4f6a8c0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a2b4";
    PeerInfo fe1{"fe1.example.com", 2, 3, 7, "upgrade-frontend", 1732240000000};
    const std::pair<const char*, Message> frames[] = {
        {"hello", Presence{3, "chef-server-12", d, d, d, "a1b2c3d4e5f60718", "0.1.0", 5, 0, true}},
        {"beat", Beat{3, 3, 7, 1, 42, "", 1732240000000, 0, "", {fe1, PeerInfo{"be2.example.com", 1, 3, 7, "", 0}}}},
        {"beat-refusal", Beat{3, 1, 0, 0, 0, "node fe2.example.com refused: topology differs", 0, 0, "topology differs", {}}},
        {"order", Order{3, 7, 0, 1, "", 0, false}},
        {"order-copy", Order{3, 8, 0, 0, d, 20480, false}},
        {"order-skip", Order{3, 10, 0, 2, "", 0, true}},
        {"report", Report{3, 7, 0, 1, Outcome::ok, 0, "", "Chef Server upgraded\n", 1732240000000, 1732240060000}},
        {"report-failed", Report{3, 10, 0, 0, Outcome::failed, 1, "", "[ERROR] opscode-chef-mover is not running", 1, 2}},
        {"report-check", Report{3, 1, 5, 0, Outcome::ok, 0, "29", "", 1, 2}},
        {"fetch", Fetch{3, 8, 0, 0}},
        {"chunk", Chunk{3, 8, 0, 0, std::string("ustar\0\0etc/opscode/private-chef.rb", 34)}},
        {"part-fetch", PartFetch{9, 0}},
        {"part-chunk", PartChunk{9, 0, 12, std::string("journal.txt\0", 12), ""}},
        {"command", Command{17, Op::approve, {}, false}},
        {"command-drop", Command{18, Op::drop, "fe2.example.com", true}},
        {"reply", Reply{17, true, "cleanup approved"}},
    };
    for (const auto& [name, message] : frames)
        write(dir + "/wire/" + name, encode_frame(Envelope{"be1.example.com", message}));

    const std::string joined = encode_record(JoinedRecord{d, d, d, "a1b2c3d4e5f60718", 1732240000000});
    const std::string leader = encode_record(EpochRecord{2}) + joined +
                               encode_record(ReportRecord{"fe1.example.com", 1, 0, 0, {Outcome::ok, 0, "", ""}, 1, 2}) +
                               encode_record(PhaseRecord{1, 1732240000500}) +
                               encode_record(DecisionRecord{Op::retry, "fe2.example.com", 10, 0, 1, 1732240001000}) +
                               encode_record(DecisionRecord{Op::drop, "fe2.example.com", 10, 0, 0, 1732240002000});
    const std::string worker = encode_record(EpochRecord{2}) + encode_record(StartedRecord{5, 0, 0, 1, 1732240000000}) +
                               encode_record(FinishedRecord{5, 0, 0, Outcome::timeout, 124, "", "dpkg: timed out", 1, 2}) +
                               encode_record(StartedRecord{5, 0, 0, 2, 1732240003000}) +
                               encode_record(FinishedRecord{5, 0, 0, Outcome::ok, 0, "29", "", 3, 4});
    write(dir + "/journal/leader", leader);
    write(dir + "/journal/worker", worker);
    write(dir + "/journal/dropped", worker + encode_record(DroppedRecord{2, 1732240005000}));
    write(dir + "/journal/torn-tail", worker.substr(0, worker.size() - 7));
    write(dir + "/journal/empty", "");

    const NodeSetup& leader_setup = fuzz::setup_of(0);
    const Presence agreeing{
        0, leader_setup.plan.name, leader_setup.topology_digest, leader_setup.plan_digest, "pkg", "key", "fuzz", 0, -1, false};
    std::vector<std::string> join = {message(1, agreeing), message(2, agreeing), message(3, agreeing), event(4, 10)};
    std::vector<std::string> first_steps = join;
    for (std::int32_t step = 0; step < 3; ++step) {
        first_steps.push_back(event(1, 0));  // the leader's own part of the step ends
        for (int from = 1; from < 4; ++from)
            first_steps.push_back(message(from, Report{1, 1, step, 0, Outcome::ok, 0, "29", "", 1, 2}));
        first_steps.push_back(event(4, 10));
    }
    write(dir + "/node/leader-joins", run_of(0, "", join));
    write(dir + "/node/leader-first-steps", run_of(0, "", first_steps));
    write(dir + "/node/leader-restarts", run_of(0, leader, first_steps));
    std::vector<std::string> follow = {message(0, Beat{1, 3, 1, 0, 0, "", 0, 0, "", {}}),
                                       message(0, Order{1, 1, 0, 0, "", 0, false}),
                                       event(1, 0),
                                       message(0, Order{1, 1, 0, 0, "", 0, false}),
                                       message(0, Order{1, 1, 1, 0, "", 0, false}),
                                       event(1, 1),
                                       event(4, 50),
                                       event(3, 1),
                                       message(0, Reply{1, true, "paused"}),
                                       message(0, Order{1, 8, 0, 0, d, 4, false}),
                                       message(0, Chunk{1, 8, 0, 0, "tar!"})};
    write(dir + "/node/frontend-follows", run_of(2, "", follow));
    write(dir + "/node/secondary-restarts", run_of(1, worker, follow));
    return 0;
}
