// The topology file read as Chef reads it: Chef's embedded Ruby instance_evals it in a recorder of the
// `topology`, `server` and `backend_vip` calls (nothing else loaded), as a child with a timeout, no shell.
#pragma once

#include "core/result.hpp"
#include "core/topology.hpp"

#include <string>

namespace chu {

// Ok when Ruby sees the cluster the reader saw. An error naming the file when they differ (both readings
// shown) or when Ruby cannot load it (its own message, with the line it names). `note` says when there
// is no Ruby at `ruby` (a machine without Chef): then the reader's reading stands alone.
Status compare_with_ruby(const std::string& ruby, const std::string& file, const Topology& topology, std::string& note);

}  // namespace chu
