// Small text helpers for chef-ha-upgrade-ctl's views: times as an operator reads them, and escaping
// (JSON strings: core/json.hpp).
#pragma once

#include "core/json.hpp"

#include <cstdint>
#include <string>

namespace chu::ctl {

std::uint64_t now_us();  // wall clock, µs since the epoch
// ISO 8601, local time with its offset from UTC: "2024-05-01T14:03:27+02:00". Every time the ctl prints.
std::string clock_time(std::uint64_t us);
std::string time_of_day(std::uint64_t us);   // "14:03:27", local: only the Gantt chart's axis, under a full time
std::string duration(std::uint64_t us);      // "0.4 s", "42 s", "3 min 05 s", "1 h 02 min"
std::string xml_text(const std::string& s);  // escaped for element text and attribute values
std::string first_line(const std::string& s);

}  // namespace chu::ctl
