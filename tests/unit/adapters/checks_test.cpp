// The preflight checks: each passes on a healthy node, and each failure names the node, the path and the fix.
#include "checks/checks.hpp"
#include "core/digest.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using Catch::Matchers::StartsWith;

namespace {

constexpr std::uint64_t MiB = 1024 * 1024;
const std::string kNode = "be1.example.com";

using chu::test::TempDir;
using chu::test::write_file;

const std::string kDebHead = "!<arch>\ndebian-binary   ";
const std::string kRpmHead = std::string("\xed\xab\xee\xdb\x03\x00", 6) + "chef-server-core";

// A healthy node in a temporary directory: package, tools, keepalived and upgrade state where the config
// says they are.
struct Node {
    TempDir tmp;
    chu::Config config;
    chu::Plan plan;  // names no package: only "newer than installed" is checked
    chu::NodeFacts facts;

    explicit Node(const std::string& package_name = "chef-server-core_12.19.31-1_amd64.deb",
                  const std::string& package_bytes = kDebHead + "2.0\n")
    {
        const fs::path& root = tmp.path();
        for (const char* dir : {"bin", "opscode", "state", "keepalived", "upgrades"})
            fs::create_directory(root / dir);
        for (const char* tool : {"dpkg", "rpm", "make", "chef-server-ctl"})
            write_file(root / "bin" / tool, "#!/bin/sh\n", 0755);
        write_file(root / package_name, package_bytes);
        write_file(root / "opscode" / "private-chef.rb", "topology \"ha\"\n");
        write_file(root / "keepalived" / "current_cluster_status", "master\n");
        write_file(root / "upgrades" / "migration-level", "{\"major\": 1, \"minor\": 13}\n");

        config.commands.dpkg = (root / "bin" / "dpkg").string();
        config.commands.rpm = (root / "bin" / "rpm").string();
        config.commands.make = (root / "bin" / "make").string();
        config.commands.chef_server_ctl = (root / "bin" / "chef-server-ctl").string();
        config.paths.opscode_dir = (root / "opscode").string();
        config.paths.state_dir = (root / "state").string();
        config.paths.keepalived_dir = (root / "keepalived").string();
        config.paths.upgrades_dir = (root / "upgrades").string();
        config.upgrade.package = (root / package_name).string();
        facts.package = config.upgrade.package;
        facts.format = chu::package_format(facts.package);
        facts.old_ctl = config.commands.chef_server_ctl;
        facts.package_name = "chef-server-core";
        facts.package_version = "12.19.31-1";
        facts.package_arch = "amd64";
        facts.installed_version = "11.1.8";
        config.paths.data_dir = (root / "opscode").string();
        config.paths.open_source_chef_dir = (root / "opt-chef-server").string();
    }

    chu::CheckVerdict run(const std::string& check) const { return chu::run_check(check, config, plan, facts, kNode); }

    fs::path path(const std::string& name) const { return tmp.path() / name; }
};

std::string upper(std::string text)
{
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::toupper(c); });
    return text;
}

// Everything a check could change: every entry's mode, mtime and content.
std::string snapshot(const fs::path& dir)
{
    std::vector<fs::path> names;
    for (const auto& entry : fs::recursive_directory_iterator(dir))
        names.push_back(entry.path());
    std::sort(names.begin(), names.end());
    std::ostringstream out;
    for (const fs::path& path : names) {
        struct stat st {};
        REQUIRE(lstat(path.c_str(), &st) == 0);
        out << path.string() << " " << st.st_mode << " " << st.st_mtim.tv_sec << "." << st.st_mtim.tv_nsec;
        if (S_ISREG(st.st_mode)) {
            std::ifstream in(path, std::ios::binary);
            out << " " << in.rdbuf();
        }
        out << "\n";
    }
    return out.str();
}

void require_failure(const chu::CheckVerdict& verdict)
{
    INFO(verdict.message);
    REQUIRE_FALSE(verdict.ok);
    CHECK_THAT(verdict.message, StartsWith(kNode + ": "));
}

}  // namespace

TEST_CASE("every check passes on a healthy bootstrap and changes nothing", "[checks]")
{
    Node node;
    const std::string before = snapshot(node.tmp.path());
    for (const std::string& name : chu::check_names()) {
        if (name == "keepalived-backup")
            continue;  // the secondary's: below
        const chu::CheckVerdict verdict = node.run(name);
        INFO(name << ": " << verdict.message);
        CHECK(verdict.ok);
    }
    CHECK(snapshot(node.tmp.path()) == before);
}

TEST_CASE("a .deb package with the right magic, dpkg present and a matching checksum passes", "[checks]")
{
    // Over 1 MiB, so the checksum is built from more than one read.
    Node node("chef-server-core.deb", kDebHead + std::string(2 * MiB + 12345, 'x'));
    node.config.upgrade.package_sha256 = upper(chu::sha256_hex(kDebHead + std::string(2 * MiB + 12345, 'x')));

    const chu::CheckVerdict verdict = node.run("package");

    INFO(verdict.message);
    CHECK(verdict.ok);
    CHECK_THAT(verdict.message, Contains(".deb") && Contains("SHA-256 matches"));
}

TEST_CASE("the package check passes an .rpm where rpm is present, even without dpkg", "[checks]")
{
    Node node("chef-server-core-12.19.31-1.el7.x86_64.rpm", kRpmHead);
    fs::remove(node.config.commands.dpkg);

    const chu::CheckVerdict verdict = node.run("package");

    INFO(verdict.message);
    CHECK(verdict.ok);
}

TEST_CASE("a missing package fails the package check, naming its path and the [upgrade] package setting", "[checks]")
{
    Node node;
    fs::remove(node.facts.package);

    const chu::CheckVerdict verdict = node.run("package");

    require_failure(verdict);
    CHECK_THAT(verdict.message, Contains(node.facts.package) && Contains("No such file") && Contains("[upgrade] package"));
}

TEST_CASE("an unset package or a directory in its place fails the package check", "[checks]")
{
    Node node;
    node.facts.package.clear();
    require_failure(node.run("package"));
    CHECK_THAT(node.run("package").message, Contains("no package is set") && Contains("[upgrade] package"));

    node.facts.package = node.path("opscode").string() + ".deb";
    fs::create_directory(node.facts.package);
    require_failure(node.run("package"));
    CHECK_THAT(node.run("package").message, Contains(node.facts.package) && Contains("not a regular file"));
}

TEST_CASE("a package whose bytes do not match its extension fails the package check as damaged", "[checks]")
{
    Node deb("chef-server-core.deb", "<html>404 Not Found</html>");
    const chu::CheckVerdict bad_deb = deb.run("package");
    require_failure(bad_deb);
    CHECK_THAT(bad_deb.message, Contains(deb.facts.package) && Contains("ar archive") && Contains("copy"));

    Node rpm("chef-server-core.rpm", kDebHead);
    const chu::CheckVerdict bad_rpm = rpm.run("package");
    require_failure(bad_rpm);
    CHECK_THAT(bad_rpm.message, Contains(rpm.facts.package) && Contains("does not start like a .rpm"));
}

TEST_CASE("the package check fails a .deb on a node without dpkg, naming dpkg and pointing at the .rpm", "[checks]")
{
    Node node;
    SECTION("dpkg is missing")
    {
        fs::remove(node.config.commands.dpkg);
    }
    SECTION("dpkg is not executable")
    {
        REQUIRE(chmod(node.config.commands.dpkg.c_str(), 0644) == 0);
    }

    const chu::CheckVerdict verdict = node.run("package");

    require_failure(verdict);
    CHECK_THAT(verdict.message, Contains("dpkg (" + node.config.commands.dpkg + ")") &&
                                    Contains("probably needs the .rpm package") && Contains("[commands] dpkg"));
}

TEST_CASE("the package check fails an .rpm on a node without rpm, naming rpm and pointing at the .deb", "[checks]")
{
    Node node("chef-server-core.rpm", kRpmHead);
    fs::remove(node.config.commands.rpm);

    const chu::CheckVerdict verdict = node.run("package");

    require_failure(verdict);
    CHECK_THAT(verdict.message,
               Contains("rpm (" + node.config.commands.rpm + ")") && Contains("probably needs the .deb package"));
}

TEST_CASE("a package whose SHA-256 differs from package_sha256 fails the package check with both digests", "[checks]")
{
    Node node;
    const std::string expected(64, 'a');
    node.config.upgrade.package_sha256 = expected;

    const chu::CheckVerdict verdict = node.run("package");

    require_failure(verdict);
    CHECK_THAT(verdict.message, Contains(chu::sha256_hex(kDebHead + "2.0\n")) && Contains(expected) &&
                                    Contains(node.facts.package) && Contains("package_sha256"));
}

TEST_CASE("a package that is neither .deb nor .rpm fails the package check", "[checks]")
{
    Node node("chef-server-core.tar.gz", "\x1f\x8b");
    const chu::CheckVerdict verdict = node.run("package");
    require_failure(verdict);
    CHECK_THAT(verdict.message, Contains("neither a .deb nor a .rpm"));
}

TEST_CASE("the ctl check fails a missing or non-executable ctl, naming it and both ctl settings", "[checks]")
{
    Node node;
    SECTION("missing")
    {
        fs::remove(node.facts.old_ctl);
    }
    SECTION("not executable")
    {
        REQUIRE(chmod(node.facts.old_ctl.c_str(), 0644) == 0);
    }

    const chu::CheckVerdict verdict = node.run("ctl");

    require_failure(verdict);
    CHECK_THAT(verdict.message, Contains(node.facts.old_ctl) && Contains("chef_server_ctl") && Contains("private_chef_ctl"));
}

TEST_CASE("the make check fails a node without make with the exact fix", "[checks]")
{
    Node node;
    CHECK(node.run("make").ok);
    fs::remove(node.config.commands.make);

    const chu::CheckVerdict verdict = node.run("make");

    require_failure(verdict);
    CHECK_THAT(verdict.message,
               Contains(node.config.commands.make) && Contains("install make (apt-get install make, or yum install make), then: "
                                                               "chef-ha-upgrade-ctl retry"));
}

TEST_CASE("the keepalived-master check waits, bounded, until both state files settle on master, and says what it saw", "[checks]")
{
    Node node;
    node.config.upgrade.failover_wait_s = 1;
    const fs::path status = node.path("keepalived") / "current_cluster_status";
    const fs::path requested = node.path("keepalived") / "requested_cluster_status";
    CHECK(node.run("keepalived-master").value == "master");

    write_file(status, "  backup\n");
    const chu::CheckVerdict backup = node.run("keepalived-master");
    require_failure(backup);
    CHECK(backup.value == "backup");
    CHECK_THAT(backup.message, Contains("waited 1 s for this bootstrap to become keepalived master") && Contains("says backup") &&
                                   Contains("chef-server-ctl stop keepalived") && Contains("failover_wait_s") &&
                                   Contains("retry"));

    // A transition under way: cluster.sh wrote the request, not yet the result.
    write_file(requested, "master\n");
    const chu::CheckVerdict moving = node.run("keepalived-master");
    require_failure(moving);
    CHECK(moving.value == "in transition (requested master, current backup)");
    write_file(status, "master\n");
    CHECK(node.run("keepalived-master").ok);

    fs::remove(status);
    const chu::CheckVerdict missing = node.run("keepalived-master");
    require_failure(missing);
    CHECK_THAT(missing.message, Contains(status.string()) && Contains("No such file"));
}

TEST_CASE("the keepalived-status check reports the settled state, a transition, and fails only when it cannot be read",
          "[checks]")
{
    Node node;
    const fs::path status = node.path("keepalived") / "current_cluster_status";
    write_file(status, "backup \n");
    const chu::CheckVerdict backup = node.run("keepalived-status");
    CHECK(backup.ok);
    CHECK(backup.value == "backup");
    write_file(node.path("keepalived") / "requested_cluster_status", "master\n");
    CHECK(node.run("keepalived-status").value == "in transition (requested master, current backup)");

    fs::remove(status);
    const chu::CheckVerdict missing = node.run("keepalived-status");
    require_failure(missing);
    CHECK_THAT(missing.message, Contains(status.string()));
}

TEST_CASE("a keepalived state counts only once neither file was written within the settle window", "[checks]")
{
    Node node;
    const fs::path status = node.path("keepalived") / "current_cluster_status";
    const fs::path requested = node.path("keepalived") / "requested_cluster_status";
    write_file(requested, "master\n");
    write_file(status, "master\n");

    // Written again while the check waits out the window (backup, then master again): a flap, not a state.
    std::thread flap([&] {
        usleep(chu::keepalived_settle_ms * 1000 / 4);
        write_file(requested, "backup\n");
        write_file(requested, "master\n");
    });
    const chu::CheckVerdict flapping = node.run("keepalived-status");
    flap.join();
    CHECK(flapping.value == "changing (master, then master, within " + std::to_string(chu::keepalived_settle_ms) + " ms)");

    // Written long ago, as in a cluster where keepalived has been quiet: believed as read.
    const timespec long_ago[2] = {{0, UTIME_OMIT}, {time(nullptr) - 60, 0}};
    REQUIRE(utimensat(AT_FDCWD, status.c_str(), long_ago, 0) == 0);
    REQUIRE(utimensat(AT_FDCWD, requested.c_str(), long_ago, 0) == 0);
    CHECK(node.run("keepalived-status").value == "master");
}

TEST_CASE("the migration-level check reports the level with whitespace collapsed, and refuses a missing file", "[checks]")
{
    Node node;
    const fs::path level = node.path("upgrades") / "migration-level";
    write_file(level, "  {\"major\": 1,\n\t\"minor\":  13}  \n");
    const chu::CheckVerdict present = node.run("migration-level");
    CHECK(present.ok);
    CHECK(present.value == "{\"major\": 1, \"minor\": 13}");

    fs::remove(level);
    const chu::CheckVerdict absent = node.run("migration-level");
    require_failure(absent);  // Chef would run every migration again (opscode-omnibus#302)
    CHECK_THAT(absent.message,
               Contains(level.string() + " is missing") && Contains("Copy the file from a node that is not yet upgraded"));

    fs::create_directory(level);
    const chu::CheckVerdict unreadable = node.run("migration-level");
    require_failure(unreadable);
    CHECK_THAT(unreadable.message, Contains(level.string()));
}

TEST_CASE("the migration-level check refuses a file that is not a level, and a level the installed release does not leave",
          "[checks]")
{
    Node node;  // Enterprise Chef 11.1.8 installed: partybus left 1.13
    const fs::path level = node.path("upgrades") / "migration-level";
    for (const char* text : {"", "garbage\n", "{\"major\":1}\n", "{\"major\":1,\"minor\":\"13\"}\n", "1.13\n"}) {
        write_file(level, text);
        const chu::CheckVerdict bad = node.run("migration-level");
        require_failure(bad);
        CHECK_THAT(bad.message, Contains("which is not a migration level") && Contains("level 0") &&
                                    Contains("every migration again from 1.1") && Contains("Copy the file"));
    }
    write_file(level, "{\"minor\":12,\"major\":1}\n");
    const chu::CheckVerdict older = node.run("migration-level");
    require_failure(older);
    CHECK_THAT(older.message, Contains("says 1.12, but the installed 11.1.8 leaves 1.13"));

    node.facts.installed_version = "11.3.0";  // no level known for it: only the form is checked
    CHECK(node.run("migration-level").ok);
}

TEST_CASE("the keepalived-backup check waits, bounded, until this secondary settles as backup", "[checks]")
{
    Node node;
    node.config.upgrade.failover_wait_s = 1;
    const chu::CheckVerdict master = node.run("keepalived-backup");
    require_failure(master);
    CHECK_THAT(master.message, Contains("waited 1 s for this secondary to become keepalived backup") && Contains("says master") &&
                                   Contains("start keepalived"));
    write_file(node.path("keepalived") / "current_cluster_status", "backup\n");
    write_file(node.path("keepalived") / "requested_cluster_status", "backup\n");
    const chu::CheckVerdict backup = node.run("keepalived-backup");
    CHECK(backup.ok);
    CHECK(backup.value == "backup");
}

TEST_CASE("the disk-space check needs twice the package plus 100 MiB under /opt and twice opscode_dir plus 10 MiB for "
          "backups",
          "[checks]")
{
    chu::DiskSpace space;
    space.package = "/root/chef-server-core.deb";
    space.package_size = 500 * MiB;
    space.opt_path = "/opt";
    space.opt_free = 1100 * MiB;  // exactly 2 x 500 + 100
    space.opscode_dir = "/etc/opscode";
    space.opscode_size = 3 * MiB;
    space.state_path = "/var/lib/chef-ha-upgrade";
    space.state_free = 16 * MiB;  // exactly 2 x 3 + 10

    CHECK(chu::judge_disk_space(space, kNode).ok);

    SECTION("one byte short under /opt")
    {
        space.opt_free -= 1;
        const chu::CheckVerdict verdict = chu::judge_disk_space(space, kNode);
        require_failure(verdict);
        CHECK_THAT(verdict.message, Contains("/opt has 1099 MiB free; it needs 1100 MiB for the package "
                                             "/root/chef-server-core.deb (twice its 500 MiB, plus 100 MiB)") &&
                                        Contains("free space there, then: chef-ha-upgrade-ctl retry"));
    }
    SECTION("one byte short in the state dir")
    {
        space.state_free -= 1;
        const chu::CheckVerdict verdict = chu::judge_disk_space(space, kNode);
        require_failure(verdict);
        CHECK_THAT(verdict.message, Contains("/var/lib/chef-ha-upgrade has 15 MiB free; it needs 16 MiB for "
                                             "backups of /etc/opscode (twice its 3 MiB, plus 10 MiB)"));
    }
    SECTION("one filesystem must hold both")
    {
        space.same_filesystem = true;
        space.state_free = space.opt_free = 1115 * MiB;
        const chu::CheckVerdict verdict = chu::judge_disk_space(space, kNode);
        require_failure(verdict);
        CHECK_THAT(verdict.message, Contains("/opt and /var/lib/chef-ha-upgrade share a filesystem with 1115 MiB "
                                             "free; it needs 1116 MiB"));
        space.state_free = space.opt_free = 1116 * MiB;
        CHECK(chu::judge_disk_space(space, kNode).ok);
    }
}

TEST_CASE("the disk-space check measures the real filesystems of /opt and the state dir", "[checks]")
{
    Node node;
    node.config.paths.state_dir = node.path("state/not-yet-created").string();  // measured at its parent

    const chu::CheckVerdict small = node.run("disk-space");
    INFO(small.message);
    CHECK(small.ok);  // a tiny package needs only about 110 MiB
    CHECK_THAT(small.message, Contains(node.path("state").string() + ":"));

    // A sparse package no test machine has twice the room for.
    REQUIRE(truncate(node.facts.package.c_str(), static_cast<off_t>(8) << 40) == 0);
    const chu::CheckVerdict huge = node.run("disk-space");
    require_failure(huge);
    CHECK_THAT(huge.message, Contains(node.facts.package) && Contains("16777316 MiB"));

    fs::remove(node.facts.package);
    const chu::CheckVerdict missing = node.run("disk-space");
    require_failure(missing);
    CHECK_THAT(missing.message, Contains(node.facts.package));
}

TEST_CASE("an unknown check fails, listing the known ones", "[checks]")
{
    Node node;
    const chu::CheckVerdict verdict = node.run("disk-speed");
    require_failure(verdict);
    CHECK_THAT(verdict.message, Contains("\"disk-speed\"") && Contains("disk-space"));
}

TEST_CASE("the disk-space check needs the database's size plus 100 MiB where the upgrade writes", "[checks]")
{
    constexpr std::uint64_t MiB = 1024 * 1024;
    const chu::CheckVerdict short_of = chu::judge_data_space("/var/opt/opscode", 1500 * MiB, 1500 * MiB, kNode);
    require_failure(short_of);
    CHECK_THAT(short_of.message, Contains("/var/opt/opscode has 1500 MiB free; it needs 1600 MiB for the upgrade "
                                          "(pg_upgrade copies the database of 1500 MiB, plus 100 MiB)") &&
                                     Contains("retry"));
    const chu::CheckVerdict enough = chu::judge_data_space("/var/opt/opscode", 1600 * MiB, 1500 * MiB, kNode);
    CHECK(enough.ok);
    CHECK_THAT(enough.message, Contains("1600 MiB free, 1600 MiB needed"));
}

TEST_CASE("the package check refuses a package of another product or not newer than what is installed", "[checks]")
{
    Node node;
    node.plan.name = "chef-server-12";
    node.plan.package_name = "chef-server-core";
    node.plan.package_major = 12;
    const chu::CheckVerdict ok = node.run("package");
    CHECK(ok.ok);
    CHECK(ok.value == "installed 11.1.8 → package 12.19.31-1 (chef-server-core)");

    node.facts.package_name = "private-chef";
    node.facts.package_version = "11.1.8-1";
    const chu::CheckVerdict other = node.run("package");
    require_failure(other);
    CHECK_THAT(other.message, Contains("is private-chef 11.1.8-1, but plan chef-server-12 installs chef-server-core 12.x"));

    node.facts.package_name = "chef-server-core";
    node.facts.package_version = "12.0.8-1";
    node.facts.installed_version = "12.0.8";
    const chu::CheckVerdict same = node.run("package");
    require_failure(same);
    CHECK_THAT(same.message, Contains("not newer than the installed 12.0.8"));

    node.facts.package_problem = "`/usr/bin/dpkg-deb --field …` failed (exit status 2)";
    const chu::CheckVerdict unreadable = node.run("package");
    require_failure(unreadable);
    CHECK_THAT(unreadable.message, Contains("cannot tell which package") && Contains("dpkg-deb"));
}

TEST_CASE("the open-source-chef check refuses a node with /opt/chef-server, with the way out", "[checks]")
{
    Node node;
    CHECK(node.run("open-source-chef").ok);
    fs::create_directory(node.config.paths.open_source_chef_dir);
    const chu::CheckVerdict refused = node.run("open-source-chef");
    require_failure(refused);
    CHECK_THAT(refused.message, Contains("chef/chef-server#143") && Contains("mv " + node.config.paths.open_source_chef_dir));
    CHECK_THAT(refused.message, EndsWith("then: chef-ha-upgrade-ctl retry"));

    // In a rehearsal nothing is retried: the way out ends with rehearsing again.
    node.plan.rehearsal = true;
    const chu::CheckVerdict rehearsed = node.run("open-source-chef");
    require_failure(rehearsed);
    CHECK_THAT(rehearsed.message, Contains("chef/chef-server#143") &&
                                      EndsWith("then rehearse again: systemctl restart chef-ha-upgrade-preflight on every node"));
}
