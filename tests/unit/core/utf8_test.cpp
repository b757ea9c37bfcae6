// Text for operators is valid UTF-8 whatever a command printed, and tails are cut where a reader expects.
#include "core/utf8.hpp"

#include <catch2/catch.hpp>

using namespace chu;

TEST_CASE("valid UTF-8 passes unchanged, and every invalid byte becomes U+FFFD", "[utf8]")
{
    CHECK(valid_utf8("upgrade ok \xC3\xA9\xE2\x82\xAC\xF0\x9F\x8D\xB3") == "upgrade ok \xC3\xA9\xE2\x82\xAC\xF0\x9F\x8D\xB3");
    const std::string bad = "a\xFF"
                            "b\xC3"
                            "c\xE2\x82"
                            "d\xED\xA0\x80"
                            "e\xC0\xAF"
                            "f\xF4\x90\x80\x80";
    const std::string fixed = valid_utf8(bad);
    CHECK(fixed.find("\xFF") == std::string::npos);
    CHECK(fixed.substr(0, 5) == "a\xEF\xBF\xBD"
                                "b");
    // Overlong forms, surrogates and code points past U+10FFFF are refused too.
    CHECK(valid_utf8("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");
    CHECK(valid_utf8("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    CHECK(valid_utf8("\xF4\x90\x80\x80").find("\xF4") == std::string::npos);
}

TEST_CASE("a tail starts at a line boundary, or at least at a character boundary", "[utf8]")
{
    CHECK(tail_lines("short", 100) == "short");
    CHECK(tail_lines("first line\nsecond line\nthird\n", 20) == "second line\nthird\n");
    CHECK(tail_lines("first line\nsecond line\nthird\n", 10) == "third\n");
    const std::string one_line = "\xC3\xA9\xC3\xA9\xC3\xA9";  // 6 bytes, 3 characters
    CHECK(tail_lines(one_line, 5) == "\xC3\xA9\xC3\xA9");
}
