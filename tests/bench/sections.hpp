// The benchmark sections of chu-bench (issue 7), each adding its rows to the table.
#pragma once

#include "bench.hpp"

namespace chu::bench {

void coordination(Table& table, const Options& options, Shared& shared);  // 1
void procedure(Table& table, const Options& options, Shared& shared);     // 2 and 3
void footprint(Table& table, const Options& options, Shared& shared);     // 4
void distribution(Table& table, const Options& options, Shared& shared);  // 5

}  // namespace chu::bench
