#include "views.hpp"

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
    std::ostringstream out;
    if (s.rehearsal)
        out << "mode:       preflight rehearsal: only the preflight checks run, nothing is changed\n";
    out << "cluster:    " << s.state << ", phase " << s.phase << " of " << std::max(0, s.phase_count - 1) << ": " << s.phase_name
        << ", " << s.progress << "% done\n";
    out << "leader:     " << s.leader << (s.leader_reachable ? "" : " (not reachable from this node)") << "\n";
    out << "this node:  " << s.node_name << ", the " << s.role << "\n";
    if (!s.versions.empty())
        out << "versions:   " << s.versions << "\n";
    if (!s.current_step.empty())
        out << "step:       " << s.current_step << (s.attempt > 1 ? " (attempt " + std::to_string(s.attempt) + ")" : "") << "\n";
    out << "downtime:   " << downtime_text(s, now) << "\n";
    if (!s.last_error.empty())
        out << "last error: " << s.last_error << "\n";
    std::vector<std::vector<std::string>> rows{{"NODE", "ROLE", "STATE", "PHASE", "STEP", "LAST HEARD"}};
    for (const auto& peer : s.peers) {
        const auto& [name, role, state, phase, step, heard_s] = bus::fields(peer);
        rows.push_back({name, role, state, std::to_string(phase), step.empty() ? "-" : step,
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

std::string plan_text(const std::vector<PlanLine>& plan)
{
    std::string out = "Every node's steps, phase by phase (* = inside the downtime window: Chef is not serving)\n";
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
