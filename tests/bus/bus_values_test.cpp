// What the daemon announces on the bus, decided without a bus: which peer changes are worth a signal.
#include "bus/bus_values.hpp"

#include <catch2/catch.hpp>

using chu::bus::PeerEntry;

TEST_CASE("peers that differ only in how long ago they were heard have not moved", "[bus][values]")
{
    const std::vector<PeerEntry> before{{"be1.example.com", "bootstrap", "idle", 0, "", 0},
                                        {"fe1.example.com", "frontend", "idle", 0, "", 3}};
    auto later = before;
    std::get<5>(later[0]) = 1;
    std::get<5>(later[1]) = 4;
    CHECK_FALSE(chu::bus::peers_moved(before, later));

    auto running = later;
    std::get<2>(running[1]) = "running";
    CHECK(chu::bus::peers_moved(before, running));
    auto stepped = later;
    std::get<4>(stepped[0]) = "stop-frontend";
    CHECK(chu::bus::peers_moved(before, stepped));

    auto never = before;
    std::get<5>(never[1]) = -1;  // never heard, then heard: an operator waits for exactly that
    CHECK(chu::bus::peers_moved(never, before));
    CHECK(chu::bus::peers_moved(before, {before[0]}));
}
