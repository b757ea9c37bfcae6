// Shell metacharacters where a careless daemon would hand them to /bin/sh: the package path (every
// dpkg/rpm call and the package checks) and a node's name. Every command runs by execve, so they stay
// plain bytes of one argument; a shell would leave files named after the marker behind.
#include "cluster.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

using namespace chu::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::string read_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_file(const std::string& path, const std::string& text)
{
    std::ofstream(path, std::ios::trunc) << text;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to)
{
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

// Files a shell would have created, named exactly `mark`: in `dirs`, or anywhere under `trees`.
std::vector<std::string> evidence(const std::string& mark, const std::vector<std::string>& dirs, const std::string& tree)
{
    std::vector<std::string> found;
    for (const auto& dir : dirs)
        if (fs::exists(fs::path(dir) / mark))
            found.push_back(dir + "/" + mark);
    for (const auto& entry : fs::recursive_directory_iterator(tree))
        if (entry.path().filename() == mark)
            found.push_back(entry.path().string());
    return found;
}

}  // namespace

TEST_CASE("shell metacharacters in the package path and in a node's name stay plain text, the upgrade completes, and no "
          "shell ever runs",
          "[badinput][shell]")
{
    Cluster c({});
    // (Short enough for a config line: inih reads at most 197 characters of one.)
    const std::string mark = "chu-sh-" + std::to_string(getpid());
    const std::string tricks = "$(touch " + mark + ")`touch " + mark + "`;touch " + mark + ">" + mark + "|&'\"";
    // The package, in a directory whose name is one long shell command.
    const std::string dir = c.world() + "/pkg " + tricks;
    fs::create_directories(dir);
    const std::string package = dir + "/chef-server-core_12.0.8-1_amd64.deb";
    fs::copy_file(c.world() + "/chef-server-core_12.0.8-1_amd64.deb", package);
    // fe2 named like a shell command in every node's topology, and in its own config.
    const std::string evil = "fe2" + replace_all(tricks, "\"", "") + ".example.com";
    for (const auto& n : c.nodes()) {
        const std::string topology = n.dir + "/etc/opscode/private-chef.rb";
        write_file(topology, replace_all(read_file(topology), "\"fe2.example.com\"", "\"" + evil + "\""));
        c.drop_in(n.name, "[upgrade]\npackage = " + package + "\n" +
                              (n.name == "fe2.example.com" ? "[cluster]\nnode = " + evil + "\n" : ""));
    }
    c.start_all();
    INFO("---- calls.log\n" << c.calls() << "---- be1 daemon log\n" << c.daemon_log(c.leader()));
    REQUIRE(c.wait_for_state(c.leader(), "awaiting-approval", 180s));
    c.approve(c.leader());
    for (const auto& n : c.nodes())
        REQUIRE(c.wait_for_state(n.name, "complete", 60s));

    // dpkg got the whole path as one argument (the call log writes a blank inside an argument as \x20).
    const std::string as_logged = replace_all(package, " ", "\\x20");
    CHECK(c.calls().find(" dpkg -D10 -i " + as_logged + "\n") != std::string::npos);
    CHECK(c.daemon_log("fe2.example.com").find(evil + ": upgrade complete") != std::string::npos);
    std::string report;
    const bool ok = c.verify({"--approval", "--complete"}, &report);
    INFO(report);
    CHECK(ok);
    // Where a shell would have run: the commands' directory (/), the daemons' and the cluster's.
    const std::string root = fs::path(c.world()).parent_path().string();
    CHECK(evidence(mark, {"/", fs::current_path().string()}, root).empty());
}
