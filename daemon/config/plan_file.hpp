// Reads a plan file (conf/plans/*.plan, INI) into a Plan: its syntax and values checked here, the plan's
// rules by validate_plan (core/plan.hpp), every refusal as file:line.
#pragma once

#include "core/plan.hpp"

#include <string>

namespace chu {

Result<Plan> parse_plan_text(const std::string& text, const std::string& file);

// `name_or_path`: a plan name looked up as <plans_dir>/<name>.plan, or a path (anything with a '/').
Result<Plan> load_plan(const std::string& name_or_path, const std::string& plans_dir);
// The file [upgrade] plan names: a path as given, or NAME.plan in plans_dir.
std::string plan_path(const std::string& name_or_path, const std::string& plans_dir);

}  // namespace chu
