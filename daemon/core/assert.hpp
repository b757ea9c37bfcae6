// The core's invariants, checked where it relies on them. One that does not hold is a bug: the process
// stops at once, saying where and what (the daemon's handler puts it in its log first). Nothing is lost:
// what the core decided is carried out only after its records are journaled, and a restart resumes there.
#pragma once

namespace chu {

using AssertHandler = void (*)(const char* what, const char* file, int line);
void set_assert_handler(AssertHandler handler);
[[noreturn]] void assertion_failed(const char* what, const char* file, int line);

}  // namespace chu

#define CHU_ASSERT(condition) ((condition) ? void(0) : ::chu::assertion_failed(#condition, __FILE__, __LINE__))
