// Package versions and partybus migration levels.
#include "core/version.hpp"

#include <catch2/catch.hpp>

TEST_CASE("a migration level is read only in the form partybus writes it, keys in either order", "[version]")
{
    for (const char* text : {"{\"major\":1,\"minor\":13}\n", "  { \"minor\" : 13 ,\n\t\"major\": 1 }  "}) {
        INFO(text);
        const auto level = chu::parse_migration_level(text);
        REQUIRE(level);
        CHECK(level->text() == "1.13");
    }
    for (const char* text :
         {"", "\n", "1.13", "{}", "{\"major\":1}", "{\"major\":1,\"minor\":13,}", "{\"major\":1,\"major\":1}",
          "{\"major\":\"1\",\"minor\":13}", "{\"major\":1,\"minor\":-3}", "{\"major\":1,\"minor\":1.5}",
          "{\"major\":1,\"minor\":13} trailing", "{\"major\":1,\"minor\":13}{}", "{\"major\":1,\"minor\":9999999}"}) {
        INFO(text);
        CHECK_FALSE(chu::parse_migration_level(text));
    }
}

TEST_CASE("the level an installed release leaves is known for Private Chef 1.4.6+, EC 11.0 and EC 11.1", "[version]")
{
    auto level = [](const char* version) {
        const auto l = chu::release_migration_level(version);
        return l ? l->text() : std::string("unknown");
    };
    CHECK(level("1.4.6") == "1.7");
    CHECK(level("1.4.6-1") == "1.7");
    CHECK(level("1.4.5") == "unknown");
    CHECK(level("11.0.2") == "1.12");
    CHECK(level("11.1.0") == "1.13");
    CHECK(level("11.1.8") == "1.13");
    CHECK(level("11.2.0") == "unknown");
    CHECK(level("12.0.8") == "unknown");
    CHECK(level("") == "unknown");
}
