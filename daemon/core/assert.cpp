#include "assert.hpp"

#include <cstdlib>

namespace chu {

namespace {
AssertHandler handler = nullptr;
}

void set_assert_handler(AssertHandler h)
{
    handler = h;
}

void assertion_failed(const char* what, const char* file, int line)
{
    if (handler)
        handler(what, file, line);
    std::abort();
}

}  // namespace chu
