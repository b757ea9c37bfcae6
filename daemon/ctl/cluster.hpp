// What chef-ha-upgrade-ctl reads from the daemon: the properties as the daemon publishes them, and the
// method results decoded into named fields.
#pragma once

#include "bus/bus_types.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace chu::ctl {

// The properties of net.chefhaupgrade.Upgrade1, as the daemon publishes them.
using Status = bus::Properties;

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

// One node's answer to one preflight check, from GetPreflight.
struct PreflightLine {
    std::string node;
    std::string check;
    std::string title;
    std::string verdict;  // ok | problem | not-run
    std::string text;
};

}  // namespace chu::ctl
