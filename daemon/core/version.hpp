// Package versions as Chef's packages spell them ("11.1.8", "12.0.8-1", "12.0.8-1.el6").
#pragma once

#include <string>

namespace chu {

// Digits compare as numbers, anything else as text: 1.4.6 < 11.1.8 < 12.0.8 < 12.0.8-1 < 12.19.31.
int compare_versions(const std::string& a, const std::string& b);
int major_version(const std::string& version);             // 12 for "12.0.8-1"
std::string upstream_version(const std::string& version);  // "12.0.8" for "12.0.8-1.el6"

}  // namespace chu
