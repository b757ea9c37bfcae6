// `chef-ha-upgrade-ctl report --svg`: the timeline as a Gantt chart, one row per node, one bar per step,
// the downtime window shaded. A standalone SVG document.
#pragma once

#include "cluster.hpp"

#include <string>
#include <vector>

namespace chu::ctl {

std::string gantt_svg(const Status& status, const std::vector<PlanLine>& plan, const std::vector<TimelineLine>& timeline);

}  // namespace chu::ctl
