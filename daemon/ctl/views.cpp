#include "views.hpp"

#include "bus/bus_status.hpp"
#include "core/outlook.hpp"
#include "core/words.hpp"
#include "text.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>

namespace chu::ctl {

namespace {

// Left-aligned columns, two spaces apart, each as wide as its widest cell. A row's last cell is not
// padded, so it may run on (a failure's detail under its step).
std::string table(const std::vector<std::vector<std::string>>& rows, const std::string& indent)
{
    std::vector<std::size_t> width;
    for (const auto& row : rows) {
        width.resize(std::max(width.size(), row.size()));
        for (std::size_t i = 0; i + 1 < row.size(); ++i)
            width[i] = std::max(width[i], row[i].size());
    }
    std::string out;
    for (const auto& row : rows) {
        std::string line = indent;
        for (std::size_t i = 0; i < row.size(); ++i)
            line += i + 1 == row.size() ? row[i] : row[i] + std::string(width[i] - row[i].size() + 2, ' ');
        out += line + "\n";
    }
    return out;
}

std::string downtime_text(const Status& s, std::uint64_t now)
{
    if (s.downtime_start_usec == 0)
        return "not yet";
    if (s.downtime_end_usec == 0)
        return "since " + clock_time(s.downtime_start_usec) + " (" + duration(now - std::min(now, s.downtime_start_usec)) + ")";
    return clock_time(s.downtime_start_usec) + " to " + clock_time(s.downtime_end_usec) + " (" +
           duration(s.downtime_end_usec - std::min(s.downtime_end_usec, s.downtime_start_usec)) + ")";
}

std::string step_label(const TimelineLine& t)
{
    return t.round == 0 ? t.step : t.step + " (retry " + std::to_string(t.round) + ")";
}

}  // namespace

std::vector<NodeRole> nodes_of(const std::vector<PlanLine>& plan)
{
    std::vector<NodeRole> nodes;
    for (const auto& line : plan)
        if (std::none_of(nodes.begin(), nodes.end(), [&](const NodeRole& n) { return n.node == line.node; }))
            nodes.push_back({line.node, line.role});
    return nodes;
}

std::string status_text(const Status& s, std::uint64_t now)
{
    // What is decided from the status (next, the downtime's outlook, a lost row) is the core's, as on the daemon.
    const auto now_ms = static_cast<std::int64_t>(now / 1000);
    const NodeStatus view = bus::status_of(s, now_ms);
    std::vector<std::string> lost;
    for (const auto& peer : s.peers)
        if (std::get<2>(peer) == state_name(State::lost))
            lost.push_back(std::get<0>(peer));
    std::ostringstream out;
    if (s.rehearsal)
        out << "mode:       preflight rehearsal: only the preflight checks run, nothing is changed\n";
    out << "cluster:    " << s.state << ", phase " << s.phase << " of " << std::max(0, s.phase_count - 1) << ": " << s.phase_name
        << ", " << s.progress << "% done" << (lost.empty() ? "" : "; waiting for " + join_names(lost) + " (lost)") << "\n";
    out << "leader:     " << s.leader << (s.leader_reachable ? "" : " (not reachable from this node)") << "\n";
    out << "this node:  " << s.node_name << ", the " << s.role << "\n";
    if (!s.versions.empty())
        out << "versions:   " << s.versions << "\n";
    if (!s.current_step.empty())
        out << "step:       " << s.current_step << (s.attempt > 1 ? " (attempt " + std::to_string(s.attempt) + ")" : "") << "\n";
    const std::string outlook = downtime_outlook(view, now_ms);
    const std::string by = s.downtime_expected_end_usec != 0 ? " (by " + clock_time(s.downtime_expected_end_usec) + ")" : "";
    out << "downtime:   " << downtime_text(s, now) << (outlook.empty() ? "" : ", " + outlook + by) << "\n";
    if (!s.last_error.empty())
        out << "last error: " << s.last_error << "\n";
    out << "next:       " << next_action(view) << "\n";
    std::vector<std::vector<std::string>> rows{{"NODE", "ROLE", "STATE", "PHASE", "STEP", "LAST HEARD"}};
    for (const auto& peer : s.peers) {
        const auto& [name, role, state, phase, step, heard_s] = bus::fields(peer);
        rows.push_back({name, role, state == state_name(State::lost) ? peer_state_text(State::lost, heard_s * 1000) : state,
                        std::to_string(phase), step.empty() ? "-" : step,
                        heard_s < 0 ? "never" : std::to_string(heard_s) + " s ago"});
    }
    out << "\n" << table(rows, "");
    return out.str();
}

std::string status_json(const Status& s, const std::vector<PreflightLine>& preflight)
{
    std::ostringstream out;
    out << "{\"node\":" << json_string(s.node_name) << ",\"rehearsal\":" << (s.rehearsal ? "true" : "false")
        << ",\"role\":" << json_string(s.role) << ",\"leader\":" << json_string(s.leader)
        << ",\"leader_reachable\":" << (s.leader_reachable ? "true" : "false") << ",\"epoch\":" << s.epoch
        << ",\"state\":" << json_string(s.state) << ",\"phase\":" << s.phase << ",\"phase_name\":" << json_string(s.phase_name)
        << ",\"phase_count\":" << s.phase_count << ",\"current_step\":" << json_string(s.current_step)
        << ",\"attempt\":" << s.attempt << ",\"progress\":" << s.progress << ",\"last_error\":" << json_string(s.last_error)
        << ",\"next\":" << json_string(next_action(bus::status_of(s, static_cast<std::int64_t>(now_us() / 1000))))
        << ",\"versions\":" << json_string(s.versions) << ",\"downtime_start_usec\":" << s.downtime_start_usec
        << ",\"downtime_end_usec\":" << s.downtime_end_usec << ",\"peers\":[";
    for (std::size_t i = 0; i < s.peers.size(); ++i) {
        const auto& [name, role, state, phase, step, heard_s] = bus::fields(s.peers[i]);
        out << (i ? "," : "") << "{\"name\":" << json_string(name) << ",\"role\":" << json_string(role)
            << ",\"state\":" << json_string(state) << ",\"phase\":" << phase << ",\"step\":" << json_string(step)
            << ",\"last_heard_seconds\":" << heard_s << "}";
    }
    out << "]";
    if (!preflight.empty())
        out << ",\"preflight\":" << preflight_json(preflight);
    out << "}\n";
    return out.str();
}

std::string preflight_json(const std::vector<PreflightLine>& results)
{
    std::string out = "[";
    for (const auto& r : results)
        out += (out.size() > 1 ? "," : "") +
               ("{\"node\":" + json_string(r.node) + ",\"check\":" + json_string(r.check) + ",\"title\":" + json_string(r.title) +
                ",\"verdict\":" + json_string(r.verdict) + ",\"text\":" + json_string(r.text) + "}");
    return out + "]";
}

std::string preflight_text(const std::vector<PreflightLine>& results, bool done)
{
    std::vector<std::string> nodes, troubled;
    std::size_t problems = 0;
    for (const auto& r : results) {
        if (std::find(nodes.begin(), nodes.end(), r.node) == nodes.end())
            nodes.push_back(r.node);
        if (r.verdict == "problem") {
            ++problems;
            if (std::find(troubled.begin(), troubled.end(), r.node) == troubled.end())
                troubled.push_back(r.node);
        }
    }
    std::string out = done ? "preflight rehearsal done, nothing was changed: " : "preflight rehearsal under way: ";
    out += problems == 0 ? (done ? "every check passed on every node\n" : "no problem so far\n")
                         : std::to_string(problems) + (problems == 1 ? " problem" : " problems") + " on " + join_names(troubled) +
                               (done ? "; fix each, then rehearse again\n" : "\n");
    for (const auto& node : nodes) {
        std::vector<std::vector<std::string>> rows{{"CHECK", "RESULT", "WHAT WAS FOUND"}};
        for (const auto& r : results)
            if (r.node == node)
                rows.push_back({r.check, r.verdict == "problem" ? "PROBLEM" : r.verdict, r.text});
        out += "\n" + node + "\n" + table(rows, "  ");
    }
    return out;
}

std::string downtime_window(const std::vector<PlanLine>& plan)
{
    const PlanLine* first = nullptr;
    const PlanLine* last = nullptr;
    for (const auto& l : plan)
        if (l.downtime) {
            first = first ? first : &l;
            last = &l;
        }
    if (!first)
        return "";
    return "phase " + std::to_string(first->phase) + " (" + first->phase_title + ") to phase " + std::to_string(last->phase) +
           " (" + last->phase_title + ")";
}

std::string plan_text(const std::vector<PlanLine>& plan)
{
    const std::string window = downtime_window(plan);
    std::string out = window.empty() ? "downtime:  none: Chef serves throughout\n"
                                     : "downtime:  " + window +
                                           ": Chef's API does not serve from the first of them to the end "
                                           "of the last\n";
    out += "\nEvery node's steps, phase by phase (* = inside the downtime window: Chef is not serving)\n";
    for (std::size_t i = 0; i < plan.size();) {
        const PlanLine& head = plan[i];
        out += std::string("\n") + (head.downtime ? "* " : "  ") + "phase " + std::to_string(head.phase) + ": " +
               head.phase_title + "\n";
        std::vector<std::vector<std::string>> rows;
        for (; i < plan.size() && plan[i].phase == head.phase; ++i) {
            const PlanLine& l = plan[i];
            rows.push_back({l.node, l.role, l.step, l.action + (l.condition.empty() ? "" : "   (only if " + l.condition + ")")});
        }
        out += table(rows, "      ");
    }
    return out;
}

std::string report_text(const Status& s, const std::vector<PlanLine>& plan, const std::vector<TimelineLine>& timeline)
{
    std::ostringstream out;
    out << (s.rehearsal ? "preflight rehearsal report: " : "upgrade report: ") << s.state;
    if (s.state != "complete" && s.state != "aborted" && s.state != "rehearsed")
        out << " (not finished: the timeline so far)";
    out << "\n";
    if (!timeline.empty()) {
        std::uint64_t from = timeline.front().started_us, to = timeline.front().finished_us;
        for (const auto& t : timeline) {
            from = std::min(from, t.started_us);
            to = std::max(to, t.finished_us);
        }
        out << "  from      " << clock_time(from) << "\n";
        out << "  to        " << clock_time(to) << "  (" << duration(to - from) << ")\n";
    }
    out << "  downtime  " << downtime_text(s, now_us()) << "\n";
    std::map<int, std::string> titles;
    for (const auto& l : plan)
        titles[l.phase] = l.phase_title;
    auto dropped = [&](const std::string& node) {
        return std::any_of(s.peers.begin(), s.peers.end(),
                           [&](const auto& p) { return std::get<0>(p) == node && std::get<2>(p) == "dropped"; });
    };
    for (const auto& node : nodes_of(plan)) {
        out << "\n" << node.node << " (" << node.role << (dropped(node.node) ? ", dropped by the operator" : "") << ")\n";
        std::vector<std::vector<std::string>> rows{{"PHASE", "STEP", "OUTCOME", "STARTED", "DURATION"}};
        for (const auto& t : timeline) {
            if (t.node != node.node)
                continue;
            rows.push_back({(t.phase < 10 ? " " : "") + std::to_string(t.phase) + " " + titles[t.phase], step_label(t), t.outcome,
                            clock_time(t.started_us), duration(t.finished_us - std::min(t.finished_us, t.started_us))});
            if (t.outcome != "ok" && !t.detail.empty())
                rows.push_back({"", "  " + first_line(t.detail)});
        }
        if (rows.size() == 1)
            out << "  no step reported yet\n";
        else
            out << table(rows, "  ");
    }
    return out.str();
}

namespace {

std::string bool_json(bool b)
{
    return b ? "true" : "false";
}

std::string plan_line_json(const PlanLine& l, bool with_node)
{
    return "{\"phase\":" + std::to_string(l.phase) + ",\"phase_title\":" + json_string(l.phase_title) +
           ",\"downtime\":" + bool_json(l.downtime) +
           (with_node ? ",\"node\":" + json_string(l.node) + ",\"role\":" + json_string(l.role) : std::string()) +
           ",\"step\":" + json_string(l.step) + ",\"action\":" + json_string(l.action) +
           ",\"condition\":" + json_string(l.condition) + "}";
}

// The last line of a step's output that says something, for a one-line summary.
std::string last_line(const std::string& text)
{
    const std::size_t end = text.find_last_not_of(" \t\r\n");
    if (end == std::string::npos)
        return "";
    const std::size_t newline = text.rfind('\n', end);
    const std::size_t begin = newline == std::string::npos ? 0 : newline + 1;
    const std::string line = text.substr(begin, end + 1 - begin);
    return line.size() > 120 ? line.substr(0, 117) + "..." : line;
}

std::string now_line(const Status& s)
{
    return "Now: " + s.state + ", phase " + std::to_string(s.phase) + " of " + std::to_string(std::max(0, s.phase_count - 1)) +
           ": " + s.phase_name + ".\n";
}

}  // namespace

std::string plan_json(const std::vector<PlanLine>& plan, const std::string& source, const std::string& config,
                      const std::string& versions)
{
    std::string out = "{\"source\":" + json_string(source) + ",\"config\":" + json_string(config) +
                      ",\"versions\":" + json_string(versions) + ",\"steps\":[";
    for (std::size_t i = 0; i < plan.size(); ++i)
        out += (i ? "," : "") + plan_line_json(plan[i], true);
    return out + "]}\n";
}

std::string check_config_json(const LoadedSetup& loaded, const std::string& config)
{
    const NodeSetup& s = loaded.setup;
    const Topology& t = s.topology;
    const Server& me = *t.find(s.node);  // load_node_setup located it
    std::string notes;
    for (const auto& note : t.notes)
        notes += (notes.empty() ? "" : ",") + json_string(note);
    const std::vector<bool> downtime = downtime_phases(s.plan);
    std::string schedule;
    for (const auto& item : loaded.schedule) {
        const Phase& ph = s.plan.phases[static_cast<std::size_t>(item.phase)];
        const Step& st = ph.steps[static_cast<std::size_t>(item.step)];
        schedule += (schedule.empty() ? "" : ",") +
                    plan_line_json({item.phase, ph.title, bool(downtime[static_cast<std::size_t>(item.phase)]), s.node,
                                    role_name(me.role), st.id, describe(item.action), condition_text(st.when)},
                                   false);
    }
    return "{\"valid\":true,\"config\":" + json_string(config) + ",\"topology\":{\"file\":" + json_string(t.file) +
           ",\"kept_at_join\":" + bool_json(t.file == kept_topology_path(s.config)) +
           ",\"backends\":2,\"frontends\":" + std::to_string(t.frontends().size()) + ",\"notes\":[" + notes +
           "],\"ruby\":" + json_string(s.config.commands.ruby) + ",\"ruby_checked\":" + bool_json(loaded.ruby_note.empty()) +
           ",\"ruby_note\":" + json_string(loaded.ruby_note) + "},\"node\":{\"name\":" + json_string(s.node) +
           ",\"role\":" + json_string(role_name(me.role)) + ",\"address\":" + json_string(me.ipaddress) +
           ",\"port\":" + std::to_string(s.config.cluster.port) + "},\"leader\":" + json_string(t.bootstrap().name) +
           ",\"plan\":{\"name\":" + json_string(s.plan.name) + ",\"title\":" + json_string(s.plan.title) +
           ",\"last_phase\":" + std::to_string(s.plan.phases.size() - 1) + "},\"package\":" + json_string(s.facts.package) +
           ",\"versions\":" + json_string(version_change(s.facts)) +
           ",\"package_problem\":" + json_string(s.facts.package_problem) +
           ",\"insecure\":" + bool_json(s.config.cluster.insecure) + ",\"schedule\":[" + schedule + "]}\n";
}

std::string config_error_json(const std::string& config, const std::string& error)
{
    return "{\"valid\":false,\"config\":" + json_string(config) + ",\"error\":" + json_string(error) + "}\n";
}

std::string report_json(const Status& s, const std::vector<PlanLine>& plan, const std::vector<TimelineLine>& timeline,
                        const std::vector<PreflightLine>& preflight)
{
    std::uint64_t from = 0, to = 0;
    for (const auto& t : timeline) {
        from = from == 0 ? t.started_us : std::min(from, t.started_us);
        to = std::max(to, t.finished_us);
    }
    std::map<int, std::string> titles;
    for (const auto& l : plan)
        titles[l.phase] = l.phase_title;
    std::string out = "{\"state\":" + json_string(s.state) + ",\"rehearsal\":" + bool_json(s.rehearsal) +
                      ",\"finished\":" + bool_json(s.state == "complete" || s.state == "aborted" || s.state == "rehearsed") +
                      ",\"from_usec\":" + std::to_string(from) + ",\"to_usec\":" + std::to_string(to) +
                      ",\"downtime_start_usec\":" + std::to_string(s.downtime_start_usec) +
                      ",\"downtime_end_usec\":" + std::to_string(s.downtime_end_usec) + ",\"nodes\":[";
    bool first = true;
    for (const auto& node : nodes_of(plan)) {
        const bool dropped = std::any_of(s.peers.begin(), s.peers.end(), [&](const auto& p) {
            return std::get<0>(p) == node.node && std::get<2>(p) == "dropped";
        });
        out += (first ? "" : ",") + ("{\"name\":" + json_string(node.node) + ",\"role\":" + json_string(node.role) +
                                     ",\"dropped\":" + bool_json(dropped) + "}");
        first = false;
    }
    out += "],\"timeline\":[";
    for (std::size_t i = 0; i < timeline.size(); ++i) {
        const TimelineLine& t = timeline[i];
        out += (i ? "," : "") +
               ("{\"node\":" + json_string(t.node) + ",\"phase\":" + std::to_string(t.phase) + ",\"phase_title\":" +
                json_string(titles[t.phase]) + ",\"step\":" + json_string(t.step) + ",\"round\":" + std::to_string(t.round) +
                ",\"outcome\":" + json_string(t.outcome) + ",\"started_usec\":" + std::to_string(t.started_us) +
                ",\"finished_usec\":" + std::to_string(t.finished_us) + ",\"detail\":" + json_string(t.detail) + "}");
    }
    out += "]";
    if (!preflight.empty())
        out += ",\"preflight\":" + preflight_json(preflight);
    return out + "}\n";
}

std::string abort_text(const Status& s, std::uint64_t now)
{
    std::string out = "Abort the upgrade on every node: no further step starts anywhere (a step running now finishes). "
                      "Nothing is undone, and an abort cannot be taken back.\n" +
                      now_line(s);
    if (s.downtime_start_usec == 0)
        out += "Chef's API still serves: downtime has not begun, and every node stays on the release it runs now.\n";
    else if (s.downtime_end_usec == 0)
        out += "Chef has been down since " + clock_time(s.downtime_start_usec) + " (" +
               duration(now - std::min(now, s.downtime_start_usec)) +
               "), and after an abort it stays down until you bring it back by hand (README: Recovery, phase by phase).\n";
    else
        out += "Chef serves again since " + clock_time(s.downtime_end_usec) +
               "; the steps not run yet (the cleanup, add-ons) are then yours to run by hand.\n";
    return out;
}

std::string skip_text(const Status& s)
{
    std::string out = "Skip: the failed step counts as done where it failed, and the cluster goes on as if it had succeeded. "
                      "Do its work by hand first.\n" +
                      now_line(s);
    std::vector<std::string> failed;
    for (const auto& peer : s.peers)
        if (std::get<2>(peer) == "failed")  // (name, role, state, ...)
            failed.push_back(std::get<0>(peer));
    if (!failed.empty())
        out += "Failed on: " + join_names(failed) + "\n";
    if (!s.last_error.empty())
        out += "Last error: " + first_line(s.last_error) + "\n";
    return out;
}

std::string approve_text(const Status& s, const std::vector<TimelineLine>& timeline, bool timeline_here)
{
    std::string out = "Approve the cleanup: chef-server-ctl cleanup then runs on every node and removes the old release's "
                      "data; after it there is no going back to the old version.\n" +
                      now_line(s);
    std::vector<std::string> away;
    for (const auto& peer : s.peers) {
        const auto& [name, role, state, phase, step, heard_s] = bus::fields(peer);
        if (state != "awaiting-approval" && state != "dropped")
            away.push_back(name + " (" + state + ")");
    }
    if (!away.empty())
        out += "Not waiting at the gate: " + join_names(away) + "\n";
    if (!timeline_here)
        return out + "What verify found is in the leader's timeline: sudo chef-ha-upgrade-ctl report on " + s.leader + "\n";
    std::vector<std::vector<std::string>> rows{{"NODE", "STEP", "OUTCOME", "ITS OUTPUT ENDED WITH"}};
    for (const auto& t : timeline)
        if (t.phase == s.phase)
            rows.push_back({t.node, step_label(t), t.outcome, last_line(t.detail)});
    if (rows.size() == 1)
        return out + "Verify has reported nothing in phase " + std::to_string(s.phase) + " yet.\n";
    return out + "What verify found (phase " + std::to_string(s.phase) + ": " + s.phase_name + "):\n" + table(rows, "  ");
}

std::string event_text(const Event& e)
{
    char kind[24];
    std::snprintf(kind, sizeof kind, "%-18s", event_name(e.kind));
    std::string line = clock_time(static_cast<std::uint64_t>(e.at_ms) * 1000) + "  " + kind + "phase " + std::to_string(e.phase) +
                       " " + e.phase_name;
    if (!e.step.empty())
        line += ", " + e.step;
    if (!e.node.empty())
        line += " [" + e.node + "]";
    return line + ": " + first_line(e.message);
}

}  // namespace chu::ctl
