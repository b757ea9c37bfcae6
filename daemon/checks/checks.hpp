// The built-in preflight checks a plan's `check =` steps name. Each reads this node's state and changes
// nothing; its verdict says what is wrong, where, and the exact fix.
#pragma once

#include "core/config.hpp"
#include "core/plan.hpp"

#include <cstdint>
#include <string>

namespace chu {

struct CheckVerdict {
    bool ok = false;
    std::string value;    // what was read, for checks whose value the leader compares (migration level)
    std::string message;  // on failure: what, where, how to fix it; on success: a short summary
};

// How long keepalived's state files must have said the same before the keepalived checks believe them.
constexpr long long keepalived_settle_ms = 1000;

// `name` is one of check_names(). `node` names this node in messages. The package check needs the package's
// facts read (read_package_facts) and compares them with what `plan` installs.
CheckVerdict run_check(const std::string& name, const Config& config, const Plan& plan, const NodeFacts& facts,
                       const std::string& node);

// What the disk-space check weighs (sizes in bytes), measured apart from the verdict so the arithmetic
// can be tested without filling a disk.
struct DiskSpace {
    std::string package;  // its size: the install unpacks it under /opt
    std::uint64_t package_size = 0;
    std::string opt_path;  // /opt, or its nearest existing ancestor
    std::uint64_t opt_free = 0;
    std::string opscode_dir;  // its size: the copy backs it up into the state dir
    std::uint64_t opscode_size = 0;
    std::string state_path;  // the state dir, or its nearest existing ancestor
    std::uint64_t state_free = 0;
    bool same_filesystem = false;  // both needs then come out of one free space
};

// ok when /opt has 2 x package + 100 MiB free and the state dir 2 x opscode_dir + 10 MiB; says how much
// is free and needed, in MiB.
CheckVerdict judge_disk_space(const DiskSpace& space, const std::string& node);

// ok when `data_path` (where the upgrade writes: pg_upgrade copies the database there) has the database's
// size plus 100 MiB free.
CheckVerdict judge_data_space(const std::string& data_path, std::uint64_t data_free, std::uint64_t database_size,
                              const std::string& node);

}  // namespace chu
