// chu-simulation: the deterministic simulation of a whole cluster of cores in one process (simulation.hpp),
// run for many seeds; prints the failing ones with their replay command, then a summary.
//
//   chu-simulation --seeds FIRST:COUNT      run many seeds, print failing ones
//   chu-simulation --seed S --trace         replay one seed with a trace of every step
#include "simulation.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <string>

using namespace chu;
using namespace chu::sim;

namespace {

constexpr std::uint64_t min_seeds_covering = 100;  // seeds that carry every kind of effect at least once

struct Args {
    std::uint64_t first = 1, count = 200;
    bool trace = false;
};

bool parse(int argc, char** argv, Args& args)
{
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--seeds" && i + 1 < argc) {
            const std::string v = argv[++i];
            args.first = std::stoull(v.substr(0, v.find(':')));
            args.count = std::stoull(v.substr(v.find(':') + 1));
        } else if (a == "--seed" && i + 1 < argc) {
            args.first = std::stoull(argv[++i]);
            args.count = 1;
        } else if (a == "--trace") {
            args.trace = true;
        } else {
            return false;
        }
    }
    return true;
}

void print_moves(const std::set<std::string>& moves)
{
    auto all = Worker::all_moves();
    all.merge(Leader::all_moves());
    std::string untaken;
    for (const auto& m : all)
        if (!moves.count(m))
            untaken += "; " + m;
    std::printf("state machine moves taken: %zu of %zu%s\n", all.size() - std::count(untaken.begin(), untaken.end(), ';'),
                all.size(), untaken.empty() ? "" : (" (not taken:" + untaken.substr(1) + ")").c_str());
}

// Every effect kind carried, and every event notified, over all seeds. False when a run long enough to
// cover them all (the CI's shards are) never carried some kind of effect: that part of the core went untested.
bool print_counts(const Tally& tally, std::uint64_t seeds)
{
    std::string carried, never, events;
    for (std::size_t k = 0; k < effect_kinds; ++k) {
        carried += std::string(k ? ", " : "") + effect_name(k) + " " + std::to_string(tally.effects[k]);
        if (tally.effects[k] == 0 && k != Effect(Halt{}).index())  // a Halt comes of a bug, which aborts the run
            never += std::string(never.empty() ? "" : ", ") + effect_name(k);
    }
    for (std::size_t k = 0; k < tally.events.size(); ++k)
        events += std::string(k ? ", " : "") + event_name(static_cast<EventKind>(k)) + " " + std::to_string(tally.events[k]);
    std::printf("effects carried: %s\nevents notified: %s\n", carried.c_str(), events.c_str());
    if (never.empty() || seeds < min_seeds_covering)
        return true;
    std::printf("FAILED: %llu seeds never carried %s\n", static_cast<unsigned long long>(seeds), never.c_str());
    return false;
}

}  // namespace

int main(int argc, char** argv)
{
    Args args;
    if (!parse(argc, argv, args)) {
        std::fprintf(stderr, "usage: %s [--seeds FIRST:COUNT | --seed S [--trace]]\n", argv[0]);
        return 2;
    }
    std::uint64_t failed = 0;
    Tally tally;
    for (std::uint64_t seed = args.first; seed < args.first + args.count; ++seed) {
        Simulation sim(seed, args.trace);
        const std::string problem = sim.run();
        tally.add(sim.tally());
        if (!problem.empty()) {
            ++failed;
            std::printf("seed %llu FAILED: %s\n  replay: %s --seed %llu --trace\n", static_cast<unsigned long long>(seed),
                        problem.c_str(), argv[0], static_cast<unsigned long long>(seed));
        }
    }
    std::printf("simulation: seeds %llu..%llu: %llu passed, %llu failed; %llu replay checks\n",
                static_cast<unsigned long long>(args.first), static_cast<unsigned long long>(args.first + args.count - 1),
                static_cast<unsigned long long>(args.count - failed), static_cast<unsigned long long>(failed),
                static_cast<unsigned long long>(tally.replay_checks));
    std::printf("crashes: %llu mid-effects, %llu between inputs\n", static_cast<unsigned long long>(tally.crashes_mid_effects),
                static_cast<unsigned long long>(tally.crashes_between));
    print_moves(tally.moves);
    const bool covered = print_counts(tally, args.count);
    return failed == 0 && covered ? 0 : 1;
}
