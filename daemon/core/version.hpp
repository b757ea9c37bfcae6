// Package versions as Chef's packages spell them ("11.1.8", "12.0.8-1", "12.0.8-1.el6").
#pragma once

#include <optional>
#include <string>

namespace chu {

// Digits compare as numbers, anything else as text: 1.4.6 < 11.1.8 < 12.0.8 < 12.0.8-1 < 12.19.31.
int compare_versions(const std::string& a, const std::string& b);
int major_version(const std::string& version);             // 12 for "12.0.8-1"
std::string upstream_version(const std::string& version);  // "12.0.8" for "12.0.8-1.el6"

// A partybus migration level, /var/opt/opscode/upgrades/migration-level: `{"major":1,"minor":13}` as partybus
// writes it (`{:major => M, :minor => N}.to_json`), blanks between tokens allowed, keys in either order.
struct MigrationLevel {
    int major = 0;
    int minor = 0;
    std::string text() const { return std::to_string(major) + "." + std::to_string(minor); }  // "1.13"
};
// nullopt for anything else: partybus would read it as level 0 and run every migration again.
std::optional<MigrationLevel> parse_migration_level(const std::string& text);
// The level an installed release leaves (its newest migration): 1.7 for Private Chef 1.4.6 and later 1.4,
// 1.12 for EC 11.0, 1.13 for EC 11.1; nullopt where it is not known.
std::optional<MigrationLevel> release_migration_level(const std::string& version);

}  // namespace chu
