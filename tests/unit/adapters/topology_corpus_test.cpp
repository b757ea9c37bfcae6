// Topology files in the shapes Chef's docs of each era, Chef's own fixtures and templates, HA harnesses and
// operators used (tests/data/topology/corpus, each with the shape's origin and what it must give), read by
// the reader and, where it accepts them, by Ruby through the recorder (Debian's ruby standing in for Chef's
// embedded one): both must see the same cluster.
#include "config/embedded_ruby.hpp"
#include "core/topology.hpp"
#include "support/files.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>

using Catch::Matchers::Contains;

namespace {

std::string expectation(const std::string& text)
{
    const std::string tag = "\n# expect: ";
    const auto at = text.find(tag);
    REQUIRE(at != std::string::npos);
    return text.substr(at + tag.size(), text.find('\n', at + tag.size()) - at - tag.size());
}

// "be1.example.com:bootstrap fe1.example.com:frontend", as the reader sees the file.
std::string cluster_of(const chu::Topology& t)
{
    std::string out;
    for (const auto& s : t.servers)
        out += (out.empty() ? "" : " ") + s.name + ":" + chu::role_name(s.role);
    return out;
}

}  // namespace

TEST_CASE("every file of the corpus gives its expected cluster, the same as Ruby reads it, or its expected refusal",
          "[topology][corpus]")
{
    REQUIRE(access("/usr/bin/ruby", X_OK) == 0);
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(std::string(CHU_TEST_DATA) + "/topology/corpus"))
        files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    REQUIRE(files.size() >= 20);
    for (const auto& path : files) {
        const std::string text = chu::test::read_file(path);
        const std::string expect = expectation(text);
        INFO(path.filename().string() << ": expect " << expect);
        auto topology = chu::parse_topology(text, path.string());
        std::string note;
        if (expect.rfind("ha ", 0) == 0) {
            REQUIRE(topology);
            CHECK(cluster_of(topology.value()) == expect.substr(3));
            const auto ruby = chu::compare_with_ruby("/usr/bin/ruby", path.string(), topology.value(), note);
            INFO((ruby ? std::string() : ruby.error().message));
            CHECK(ruby);
        } else {
            REQUIRE(expect.rfind("refused: ", 0) == 0);
            REQUIRE_FALSE(topology);
            CHECK_THAT(topology.error().message, Contains(path.string() + ":") && Contains(expect.substr(9)));
        }
    }
}
