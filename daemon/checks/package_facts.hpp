// What this node's package and its installed Chef are: read from the package itself (dpkg-deb --field,
// rpm -qp --queryformat) and from Chef's version manifest, never from the package's file name.
#pragma once

#include "core/config.hpp"
#include "core/plan.hpp"

namespace chu {

// Fills facts.package_name/version/arch (or package_problem) and facts.installed_version.
void read_package_facts(const Config& config, NodeFacts& facts);

}  // namespace chu
