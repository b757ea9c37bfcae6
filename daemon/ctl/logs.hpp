// `chef-ha-upgrade-ctl logs NODE [--step STEP] [-f]`: a step's whole output on any node, one command away
// from any other. Fetched over the mesh as `collect` fetches a node's part, which holds every step's output
// file (bundle/part.cpp: the last 8 MiB of each).
#pragma once

#include <string>

namespace chu::ctl {

// Prints NODE's output file of STEP (empty: the step that ran last there), from its first run on;
// `follow`: then fetches it again every 2 s and prints what was added, until interrupted. Returns the exit
// status.
int logs(const std::string& node, const std::string& step, bool follow);

}  // namespace chu::ctl
