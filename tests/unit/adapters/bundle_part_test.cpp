// A node's support part: what is cut when it is too large, and what the cut says.
#include "bundle/part.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using Catch::Matchers::Contains;

TEST_CASE("a support part over its cap loses its oldest log lines, whole, and says so in CUT.txt", "[collect]")
{
    std::string log;
    for (int i = 0; i < 1000; ++i)
        log += "2026-12-04T03:16:0" + std::to_string(i % 10) + " be1 chef-ha-upgraded[42]: line " + std::to_string(i) + "\n";
    std::vector<chu::BundleFile> files{
        {"journal.txt", "epoch 1\n"}, {"log.txt", log}, {"versions.txt", "chef-ha-upgraded 0.1.0\n"}};
    const std::size_t cap = log.size() / 2;
    chu::cut_to_fit(files, cap);

    REQUIRE(files.size() == 4);
    const std::string& kept = files[1].data;
    CHECK(kept.size() < log.size() / 2);
    CHECK(log.compare(log.size() - kept.size(), kept.size(), kept) == 0);  // the newest lines, as they were
    CHECK(kept.rfind("2026-12-04T", 0) == 0);                              // from the start of a line
    CHECK_THAT(kept, Contains("line 999\n"));
    CHECK(files[0].data == "epoch 1\n");  // the journal kept whole: the log's cut was enough
    CHECK(files[3].name == "CUT.txt");
    CHECK_THAT(files[3].data, Contains("log.txt: its first " + std::to_string(log.size() - kept.size()) + " bytes were cut"));

    std::vector<chu::BundleFile> small{{"log.txt", "one line\n"}};
    chu::cut_to_fit(small, 1u << 20);
    CHECK(small.size() == 1);  // under the cap: nothing cut, no CUT.txt
}

TEST_CASE("a support part over its cap loses the steps' output files first, the largest first, then the log", "[collect]")
{
    auto lines = [](const std::string& what, int n) {
        std::string text;
        for (int i = 0; i < n; ++i)
            text += "03:16:05.123 | " + what + " line " + std::to_string(i) + "\n";
        return text;
    };
    const std::string big = lines("dpkg", 4000), small = lines("reconfigure", 1000), log = lines("log", 1000);
    std::vector<chu::BundleFile> files{{"journal.txt", "epoch 1\n"},
                                       {"log.txt", log},
                                       {"output/05-install-package.log", big},
                                       {"output/07-reconfigure.log", small}};
    // Room for everything but half the largest output file.
    std::size_t total = 0;
    for (const auto& f : files)
        total += f.name.size() + f.data.size() + 1024;
    chu::cut_to_fit(files, total - big.size() / 2);

    REQUIRE(files.size() == 5);
    CHECK(files[2].data.size() < big.size() / 2 + 100);
    CHECK(big.compare(big.size() - files[2].data.size(), files[2].data.size(), files[2].data) == 0);  // its newest lines
    CHECK(files[3].data == small);
    CHECK(files[1].data == log);  // the log kept whole: the largest output file's cut was enough
    CHECK(files[4].name == "CUT.txt");
    CHECK_THAT(files[4].data, Contains("output/05-install-package.log: its first "));
}
