// This node's part of a support bundle (chef-ha-upgrade-ctl collect), made by the daemon's child
// (--support-part): what support asks for first, and never a secret.
#pragma once

#include "archive/archive.hpp"
#include "core/result.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace chu {

// A part larger than this is cut (the steps' output files first, then the daemon log, each from its start)
// and says so in CUT.txt.
constexpr std::size_t max_support_part = 8u << 20;

// A step's output file as a part names it: output/NN-STEP.log, a running rehearsal's under rehearsal/output/.
inline bool is_step_output(const std::string& name)
{
    return (name.rfind("output/", 0) == 0 || name.rfind("rehearsal/output/", 0) == 0) && name.size() > 4 &&
           name.compare(name.size() - 4, 4, ".log") == 0;
}

// Over `cap` (with a header's room per file), the output/ files lose their oldest lines first, the largest
// file first (their lines are in log.txt too unless journald dropped them), then log.txt (what led to the end
// is what support reads), then journal.txt, in whole lines; CUT.txt says what went.
void cut_to_fit(std::vector<BundleFile>& files, std::size_t cap);

// A tar of: journal.txt (every record decoded), on the leader timeline.tsv (GetTimeline's rows, rebuilt
// from the journal), log.txt (journalctl -u chef-ha-upgrade for the window, short-iso-precise, or
// short-iso from a journalctl older than systemd 234),
// check-config.txt (the effective config, plan and schedule, from `self --check-config`), config/ (the
// config and its drop-ins as written), plan.plan, topology.rb (as agreed at join), versions.txt,
// state-dir.txt, and output/ (and rehearsal/output/: every step's output file, the same lines as the log).
// Left out by construction: the cluster key, its key file and private-chef-secrets.json (nothing is read
// from /etc/opscode but the topology, nor from the state dir but the journal, the kept topology and the
// output files; the state dir is listed by name, size and mode).
Result<std::string> make_support_part(const std::string& config_path, const std::string& self);

}  // namespace chu
