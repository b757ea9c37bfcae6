#include "gantt.hpp"

#include "text.hpp"
#include "views.hpp"

#include <algorithm>
#include <cstdio>
#include <string>

namespace chu::ctl {

namespace {

constexpr double label_width = 230, plot_width = 900, top = 70, row_height = 34, bar_height = 22;

std::string num(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

const char* colour(const std::string& outcome)
{
    if (outcome == "ok")
        return "#3c8d40";
    if (outcome == "skipped")
        return "#9e9e9e";
    if (outcome == "timeout")
        return "#e08a1e";
    return "#c0392b";  // failed
}

// Microseconds to the plot's x, from the first event (t0) over the whole span.
struct Scale {
    std::uint64_t t0;
    double span;
    double x(std::uint64_t us) const { return label_width + static_cast<double>(std::max(us, t0) - t0) / span * plot_width; }
};

// Five intervals, labelled with the local time of day: the title above gives the date and the offset.
std::string axis_svg(const Scale& scale, double rows_bottom)
{
    std::string svg = "<g class=\"axis\" fill=\"#555555\">";
    for (int i = 0; i <= 5; ++i) {
        const std::uint64_t at = scale.t0 + static_cast<std::uint64_t>(scale.span * i / 5);
        const double ax = scale.x(at);
        svg += "<line x1=\"" + num(ax) + "\" y1=\"" + num(top - 28) + "\" x2=\"" + num(ax) + "\" y2=\"" + num(rows_bottom) +
               "\" stroke=\"#dddddd\"/><text x=\"" + num(ax) + "\" y=\"" + num(top - 32) + "\" text-anchor=\"middle\">" +
               xml_text(time_of_day(at)) + "</text>";
    }
    return svg + "</g>\n";
}

// One node's row: its name and role, and a bar per step it ran.
std::string row_svg(const NodeRole& node, double y, const std::vector<TimelineLine>& timeline, const Scale& scale)
{
    std::string svg = "<g class=\"node\"><text x=\"10\" y=\"" + num(y + 15) + "\" font-weight=\"bold\">" + xml_text(node.node) +
                      "</text><text x=\"10\" y=\"" + num(y + 28) + "\" fill=\"#555555\" font-size=\"10\">" + xml_text(node.role) +
                      "</text>\n";
    for (const auto& t : timeline) {
        if (t.node != node.node)
            continue;
        const double a = scale.x(t.started_us), w = std::max(scale.x(t.finished_us) - a, 2.0);
        const std::string name = t.round == 0 ? t.step : t.step + " (retry " + std::to_string(t.round) + ")";
        svg += "<g class=\"step\"><title>" +
               xml_text(t.node + ": phase " + std::to_string(t.phase) + ", " + name + ", " + t.outcome + ", " +
                        clock_time(t.started_us) + " for " + duration(t.finished_us - std::min(t.finished_us, t.started_us))) +
               "</title><rect x=\"" + num(a) + "\" y=\"" + num(y + 4) + "\" width=\"" + num(w) + "\" height=\"" +
               num(bar_height) + "\" rx=\"2\" fill=\"" + colour(t.outcome) + "\" stroke=\"#ffffff\" stroke-width=\"0.5\"/>";
        if (w > 7.0 * static_cast<double>(name.size()) + 6)  // the label only where it fits inside the bar
            svg += "<text x=\"" + num(a + 3) + "\" y=\"" + num(y + 19) + "\" fill=\"#ffffff\">" + xml_text(name) + "</text>";
        svg += "</g>\n";
    }
    return svg + "</g>\n";
}

}  // namespace

std::string gantt_svg(const Status& status, const std::vector<PlanLine>& plan, const std::vector<TimelineLine>& timeline)
{
    const auto nodes = nodes_of(plan);
    std::uint64_t t0 = UINT64_MAX, t1 = 0;
    for (const auto& t : timeline) {
        t0 = std::min(t0, t.started_us);
        t1 = std::max(t1, t.finished_us);
    }
    if (status.downtime_start_usec != 0) {
        t0 = std::min(t0, status.downtime_start_usec);
        t1 = std::max(t1, status.downtime_end_usec != 0 ? status.downtime_end_usec : status.downtime_start_usec);
    }
    if (t0 == UINT64_MAX)
        t0 = t1 = now_us();
    const double span = static_cast<double>(std::max<std::uint64_t>(t1 - t0, 1));
    const Scale scale{t0, span};
    const double width = label_width + plot_width + 30;
    const double rows_bottom = top + row_height * static_cast<double>(nodes.size());
    const double height = rows_bottom + 60;

    std::string svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                      num(width) + "\" height=\"" + num(height) + "\" viewBox=\"0 0 " + num(width) + " " + num(height) +
                      "\" font-family=\"sans-serif\" font-size=\"12\">\n";
    svg += "<title>" + xml_text("chef-ha-upgrade report: " + status.state) + "</title>\n";
    svg += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
    svg += "<text x=\"10\" y=\"24\" font-size=\"15\" font-weight=\"bold\">" +
           xml_text("chef-ha-upgrade: " + status.state + ", " + clock_time(t0) + " to " + clock_time(t1) + " (" +
                    duration(t1 - t0) + ")") +
           "</text>\n";

    if (status.downtime_start_usec != 0) {
        const double a = scale.x(status.downtime_start_usec),
                     b = scale.x(status.downtime_end_usec != 0 ? status.downtime_end_usec : t1);
        svg += "<g class=\"downtime\"><rect x=\"" + num(a) + "\" y=\"" + num(top - 12) + "\" width=\"" +
               num(std::max(b - a, 1.0)) + "\" height=\"" + num(rows_bottom - top + 12) +
               "\" fill=\"#f5c542\" fill-opacity=\"0.25\"/>";
        svg +=
            "<text x=\"" + num(a + 3) + "\" y=\"" + num(top - 2) + "\" fill=\"#8a6d00\">" +
            xml_text("downtime " + duration(status.downtime_end_usec != 0 ? status.downtime_end_usec - status.downtime_start_usec
                                                                          : t1 - status.downtime_start_usec)) +
            "</text></g>\n";
    }

    svg += axis_svg(scale, rows_bottom);
    for (std::size_t r = 0; r < nodes.size(); ++r)
        svg += row_svg(nodes[r], top + row_height * static_cast<double>(r), timeline, scale);

    double lx = label_width;
    svg += "<g class=\"legend\">";
    for (const char* outcome : {"ok", "failed", "timeout", "skipped"}) {
        svg += "<rect x=\"" + num(lx) + "\" y=\"" + num(rows_bottom + 24) + "\" width=\"12\" height=\"12\" fill=\"" +
               colour(outcome) + "\"/><text x=\"" + num(lx + 16) + "\" y=\"" + num(rows_bottom + 34) + "\">" + outcome +
               "</text>";
        lx += 90;
    }
    svg += "</g>\n</svg>\n";
    return svg;
}

}  // namespace chu::ctl
