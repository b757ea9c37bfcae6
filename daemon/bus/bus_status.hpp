// The properties read back into the core's view of this node, so that a reader of the bus (the ctl) takes
// what it shows from the same core functions the daemon published with (next_action, downtime_outlook).
#pragma once

#include "bus/bus_types.hpp"
#include "core/node.hpp"

#include <algorithm>
#include <cstdint>

namespace chu::bus {

inline NodeStatus status_of(const Properties& p, std::int64_t now_ms)
{
    const auto ms = [](std::uint64_t usec) { return static_cast<std::int64_t>(usec / 1000); };
    NodeStatus s;
    s.node = p.node_name;
    s.role = role_named(p.role).value_or(Role::frontend);
    s.leader = p.leader;
    s.leader_reachable = p.leader_reachable;
    s.epoch = p.epoch;
    s.state = state_named(p.state).value_or(State::joining);
    s.phase = p.phase;
    s.phase_name = p.phase_name;
    s.phase_count = p.phase_count;
    s.step = p.current_step;
    s.attempt = p.attempt;
    s.progress = p.progress;
    s.last_error = p.last_error;
    s.downtime_begin_ms = ms(p.downtime_start_usec);
    s.downtime_end_ms = ms(p.downtime_end_usec);
    s.downtime_expected_end_ms = ms(p.downtime_expected_end_usec);
    s.versions = p.versions;
    s.rehearsal = p.rehearsal;
    s.next = p.next;
    for (const auto& peer : p.peers) {
        const auto& [name, role, state, phase, step, heard_s] = fields(peer);
        s.peers.push_back({name, static_cast<std::uint8_t>(role_named(role).value_or(Role::frontend)),
                           static_cast<std::uint8_t>(state_named(state).value_or(State::joining)), phase, step,
                           heard_s < 0 ? 0 : now_ms - heard_s * 1000, false, 0});
    }
    for (const auto& r : p.running_steps) {
        const auto& [node, step, action, started_usec, expected_usec] = fields(r);
        const std::string& name = node;  // a structured binding is not captured before C++20 (clang)
        const bool stalled = std::any_of(p.peers.begin(), p.peers.end(), [&](const PeerEntry& peer) {
            return std::get<0>(peer) == name && std::get<2>(peer) == "stalled";
        });
        s.running.push_back({node, step, action, ms(started_usec), ms(expected_usec), stalled});
    }
    return s;
}

}  // namespace chu::bus
