// REQUIRE for the cluster tests: when it fails, the call log and every daemon's log as they are then.
#pragma once

#include "cluster.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace chu::test {

inline std::string diagnostics(const Cluster& c)
{
    std::string out = "---- calls.log\n" + c.calls();
    for (const auto& n : c.nodes())
        out += "---- " + n.name + " daemon log\n" + c.daemon_log(n.name);
    return out;
}

}  // namespace chu::test

#define REQUIRE_CLUSTER(c, condition)                                                                                            \
    do {                                                                                                                         \
        if (!(condition))                                                                                                        \
            FAIL("not met: " #condition "\n" << chu::test::diagnostics(c));                                                      \
    } while (false)
