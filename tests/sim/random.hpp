// The one source of chance in a simulated run: every part draws from it, so a seed replays exactly.
#pragma once

#include <cstdint>
#include <random>

namespace chu::sim {

constexpr std::int64_t never = INT64_MAX;

class Random {
public:
    explicit Random(std::uint64_t seed) : rng_(seed) {}
    std::uint64_t pick(std::uint64_t lo, std::uint64_t hi) { return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng_); }
    std::int64_t ms(std::uint64_t lo, std::uint64_t hi) { return static_cast<std::int64_t>(pick(lo, hi)); }
    bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

private:
    std::mt19937_64 rng_;
};

}  // namespace chu::sim
