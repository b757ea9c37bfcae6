// What every fuzz target shares: the libFuzzer entry point, and a check that stops the run (a crash the
// fuzzer records as a finding) when a property of the code under test does not hold.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

#define CHU_FUZZ_CHECK(condition)                                                                                                \
    do {                                                                                                                         \
        if (!(condition)) {                                                                                                      \
            std::fprintf(stderr, "%s:%d: property does not hold: %s\n", __FILE__, __LINE__, #condition);                         \
            std::abort();                                                                                                        \
        }                                                                                                                        \
    } while (0)
