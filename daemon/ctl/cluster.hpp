// What chef-ha-upgrade-ctl reads from the daemon, as plain values (the D-Bus contract's members, decoded).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace chu::ctl {

struct Peer {
    std::string name;
    std::string role;
    std::string state;
    std::int32_t phase = 0;
    std::string step;
    std::int64_t last_heard_s = -1;  // -1: never
};

// The properties of net.chefhaupgrade.Upgrade1.
struct Status {
    std::string node;
    std::string role;
    std::string leader;
    bool leader_reachable = false;
    std::uint64_t epoch = 0;
    std::string state;
    std::int32_t phase = 0;
    std::string phase_name;
    std::int32_t phase_count = 0;
    std::string current_step;
    std::uint32_t attempt = 0;
    std::uint32_t progress = 0;
    std::string last_error;
    std::uint64_t downtime_start_us = 0;  // µs since the epoch; 0 = not yet
    std::uint64_t downtime_end_us = 0;
    std::vector<Peer> peers;
};

// One step on one node, from GetPlan.
struct PlanLine {
    std::int32_t phase = 0;
    std::string phase_title;
    bool downtime = false;
    std::string node;
    std::string role;
    std::string step;
    std::string action;
    std::string condition;  // "" = always
};

// One reported result, from GetTimeline.
struct TimelineLine {
    std::string node;
    std::int32_t phase = 0;
    std::string step;
    std::uint32_t round = 0;
    std::string outcome;
    std::uint64_t started_us = 0;
    std::uint64_t finished_us = 0;
    std::string detail;
};

}  // namespace chu::ctl
