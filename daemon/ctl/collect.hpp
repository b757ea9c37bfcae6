// `chef-ha-upgrade-ctl collect FILE.tar.gz`: every node's part of a support bundle, in one archive.
#pragma once

#include <string>

namespace chu::ctl {

// Writes FILE (refused if it exists; mode 0600): chef-ha-upgrade-support/collect.txt (when, from where,
// the nodes reached and those not, with why), NODE/... for every node reached, and, from the leader's
// part, timeline.txt (the report) and timeline.svg (its Gantt chart). Returns the exit status.
int collect(const std::string& file);

}  // namespace chu::ctl
