// chef-ha-upgrade.conf and its conf.d drop-ins: what is read, what is refused and how the refusal reads.
#include "config/config_file.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

// Every field, one per line, so two configs compare (and differ readably) as strings.
std::string dump(const chu::Config& c)
{
    std::ostringstream out;
    out << "topology=" << c.cluster.topology << "\nnode=" << c.cluster.node << "\nport=" << c.cluster.port
        << "\nkey_file=" << c.cluster.key_file << "\ninsecure=" << c.cluster.insecure
        << "\nheartbeat_ms=" << c.cluster.heartbeat_ms << "\npeer_timeout_ms=" << c.cluster.peer_timeout_ms
        << "\nplan=" << c.upgrade.plan << "\npackage=" << c.upgrade.package << "\npackage_sha256=" << c.upgrade.package_sha256
        << "\nauto_start=" << c.upgrade.auto_start
        << "\ncleanup=" << (c.upgrade.cleanup == chu::CleanupMode::manual ? "manual" : "auto")
        << "\nmax_parallel=" << c.upgrade.max_parallel << "\nfailover_wait_s=" << c.upgrade.failover_wait_s << "\naddons=";
    for (const std::string& addon : c.upgrade.addons)
        out << "<" << addon << ">";
    out << "\naddons_path=" << c.upgrade.addons_path << "\naccept_licenses=" << c.upgrade.accept_licenses
        << "\nchef_server_ctl=" << c.commands.chef_server_ctl << "\nprivate_chef_ctl=" << c.commands.private_chef_ctl
        << "\ndpkg=" << c.commands.dpkg << "\nrpm=" << c.commands.rpm << "\ndpkg_deb=" << c.commands.dpkg_deb
        << "\nmake=" << c.commands.make << "\ntimeout_s=" << c.commands.timeout_s << "\nretries=" << c.commands.retries
        << "\nopscode_dir=" << c.paths.opscode_dir << "\nstate_dir=" << c.paths.state_dir << "\nplans_dir=" << c.paths.plans_dir
        << "\nkeepalived_dir=" << c.paths.keepalived_dir << "\nupgrades_dir=" << c.paths.upgrades_dir
        << "\ndata_dir=" << c.paths.data_dir << "\nversion_manifest=" << c.paths.version_manifest
        << "\nopen_source_chef_dir=" << c.paths.open_source_chef_dir << "\nhooks.dir=" << c.hooks.dir
        << "\nhooks.timeout_s=" << c.hooks.timeout_s << "\n";
    return out.str();
}

chu::Config parsed(const std::string& text)
{
    chu::Config config;
    const chu::Status status = chu::apply_config_text(text, "test.conf", config);
    INFO(text);
    REQUIRE(status);
    return config;
}

std::string refusal(const std::string& text)
{
    chu::Config config;
    const chu::Status status = chu::apply_config_text(text, "test.conf", config);
    INFO(text);
    REQUIRE_FALSE(status);
    return status.error().message;
}

std::string read_text(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void write_text(const fs::path& path, const std::string& text)
{
    std::ofstream out(path, std::ios::binary);
    out << text;
    REQUIRE(out.flush());
}

using chu::test::TempDir;

}  // namespace

TEST_CASE("an empty file leaves every default in place", "[config]")
{
    const chu::Config defaults;
    CHECK(defaults.cluster.topology == "/etc/opscode/private-chef.rb");
    CHECK(defaults.cluster.port == 9683);
    CHECK(defaults.upgrade.plan == "chef-server-12");
    CHECK(defaults.upgrade.cleanup == chu::CleanupMode::manual);
    CHECK(defaults.commands.retries == 3);
    CHECK(dump(parsed("")) == dump(defaults));
    CHECK(dump(parsed("# only a comment\n\n; and another\n[cluster]\n[paths]\n")) == dump(defaults));
}

TEST_CASE("every key is read into its field", "[config]")
{
    const chu::Config c = parsed(R"([cluster]
topology = /srv/chef/chef-server.rb
node = fe2.example.com
port = 19683
key_file = /root/cluster.key
insecure = yes
heartbeat_ms = 250
peer_timeout_ms = 2000

[upgrade]
plan = enterprise-chef-11
package = /root/chef-server-core_12.0.8-1_amd64.deb
package_sha256 = 0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef
auto_start = no
cleanup = auto
max_parallel = 2
addons =  opscode-manage ,opscode-reporting,	opscode-push-jobs-server
addons_path = /root/addons

[commands]
chef_server_ctl = /opt/chef/bin/chef-server-ctl
private_chef_ctl = /opt/opscode/bin/private-chef-ctl
dpkg = /sbin/dpkg
rpm = /bin/rpm
make = /usr/local/bin/make
timeout_s = 3600
retries = 100

[paths]
opscode_dir = /srv/opscode
state_dir = /srv/state
plans_dir = /srv/plans
keepalived_dir = /srv/keepalived
upgrades_dir = /srv/upgrades
)");
    CHECK(c.cluster.topology == "/srv/chef/chef-server.rb");
    CHECK(c.cluster.node == "fe2.example.com");
    CHECK(c.cluster.port == 19683);
    CHECK(c.cluster.key_file == "/root/cluster.key");
    CHECK(c.cluster.insecure);
    CHECK(c.cluster.heartbeat_ms == 250);
    CHECK(c.cluster.peer_timeout_ms == 2000);
    CHECK(c.upgrade.plan == "enterprise-chef-11");
    CHECK(c.upgrade.package == "/root/chef-server-core_12.0.8-1_amd64.deb");
    CHECK(c.upgrade.package_sha256 == "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    CHECK_FALSE(c.upgrade.auto_start);
    CHECK(c.upgrade.cleanup == chu::CleanupMode::automatic);
    CHECK(c.upgrade.max_parallel == 2);
    CHECK(c.upgrade.addons == std::vector<std::string>{"opscode-manage", "opscode-reporting", "opscode-push-jobs-server"});
    CHECK(c.upgrade.addons_path == "/root/addons");
    CHECK(c.commands.chef_server_ctl == "/opt/chef/bin/chef-server-ctl");
    CHECK(c.commands.private_chef_ctl == "/opt/opscode/bin/private-chef-ctl");
    CHECK(c.commands.dpkg == "/sbin/dpkg");
    CHECK(c.commands.rpm == "/bin/rpm");
    CHECK(c.commands.make == "/usr/local/bin/make");
    CHECK(c.commands.timeout_s == 3600);
    CHECK(c.commands.retries == 100);
    CHECK(c.paths.opscode_dir == "/srv/opscode");
    CHECK(c.paths.state_dir == "/srv/state");
    CHECK(c.paths.plans_dir == "/srv/plans");
    CHECK(c.paths.keepalived_dir == "/srv/keepalived");
    CHECK(c.paths.upgrades_dir == "/srv/upgrades");
}

TEST_CASE("yes/no settings accept yes, true, on, 1 and their opposites in any case", "[config]")
{
    for (const char* yes : {"yes", "YES", "True", "on", "1"})
        CHECK(parsed(std::string("[cluster]\ninsecure = ") + yes + "\n").cluster.insecure);
    for (const char* no : {"no", "No", "FALSE", "off", "0"})
        CHECK_FALSE(parsed(std::string("[upgrade]\nauto_start = ") + no + "\n").upgrade.auto_start);
}

TEST_CASE("an empty value clears a text setting and the add-on list", "[config]")
{
    chu::Config config;
    REQUIRE(chu::apply_config_text("[upgrade]\naddons = opscode-manage\npackage = /root/p.deb\n", "a.conf", config));
    REQUIRE(chu::apply_config_text("[upgrade]\naddons =\npackage =\n", "b.conf", config));
    CHECK(config.upgrade.addons.empty());
    CHECK(config.upgrade.package.empty());
}

TEST_CASE("comments after a value need a space before the semicolon", "[config]")
{
    const chu::Config c = parsed("[cluster]\nnode = be1 ; this node\nkey_file = /root/a;b\n");
    CHECK(c.cluster.node == "be1");
    CHECK(c.cluster.key_file == "/root/a;b");
}

TEST_CASE("an indented line is a key of its own, not the continuation of the one above", "[config]")
{
    const chu::Config c = parsed("[cluster]\nnode = be1\n    port = 10000\n\t[paths]\n  state_dir = /srv/state\n");
    CHECK(c.cluster.node == "be1");
    CHECK(c.cluster.port == 10000);
    CHECK(c.paths.state_dir == "/srv/state");
}

TEST_CASE("a UTF-8 byte order mark and Windows line ends are accepted", "[config]")
{
    const chu::Config c = parsed("\xEF\xBB\xBF[cluster]\r\nport = 10000\r\n");
    CHECK(c.cluster.port == 10000);
}

TEST_CASE("a refused text leaves the config as it was", "[config]")
{
    chu::Config config;
    const chu::Status status =
        chu::apply_config_text("[cluster]\nport = 10000\nnode = be1\nheartbeat_ms = x\n", "test.conf", config);
    REQUIRE_FALSE(status);
    CHECK(dump(config) == dump(chu::Config{}));
}

TEST_CASE("the shipped config parses and yields the defaults", "[config]")
{
    const std::string text = read_text(fs::path(CHU_SOURCE_DIR) / "conf" / "chef-ha-upgrade.conf");
    CHECK(dump(parsed(text)) == dump(chu::Config{}));
}

TEST_CASE("the shipped config shows every key, in order, with its true default", "[config]")
{
    const std::string text = read_text(fs::path(CHU_SOURCE_DIR) / "conf" / "chef-ha-upgrade.conf");
    // Uncommenting every "#key = value" line must give a valid file that still yields the defaults.
    const std::regex commented_out("#([a-z_0-9]+ =.*)");
    const std::regex entry("(\\[[a-z]+\\]|[a-z_0-9]+)( =.*)?");
    std::string uncommented;
    std::vector<std::string> seen;
    std::istringstream lines(text);
    std::smatch match;
    for (std::string line; std::getline(lines, line);) {
        if (std::regex_match(line, match, commented_out))
            line = match[1];
        if (std::regex_match(line, match, entry))
            seen.push_back(match[1]);
        uncommented += line + "\n";
    }
    CHECK(dump(parsed(uncommented)) == dump(chu::Config{}));
    const std::vector<std::string> expected = {"[cluster]",
                                               "topology",
                                               "node",
                                               "port",
                                               "key_file",
                                               "insecure",
                                               "heartbeat_ms",
                                               "peer_timeout_ms",
                                               "[upgrade]",
                                               "plan",
                                               "package",
                                               "package_sha256",
                                               "auto_start",
                                               "cleanup",
                                               "max_parallel",
                                               "failover_wait_s",
                                               "addons",
                                               "addons_path",
                                               "accept_licenses",
                                               "[commands]",
                                               "chef_server_ctl",
                                               "private_chef_ctl",
                                               "dpkg",
                                               "rpm",
                                               "make",
                                               "dpkg_deb",
                                               "ruby",
                                               "timeout_s",
                                               "retries",
                                               "[paths]",
                                               "opscode_dir",
                                               "state_dir",
                                               "plans_dir",
                                               "keepalived_dir",
                                               "upgrades_dir",
                                               "data_dir",
                                               "version_manifest",
                                               "open_source_chef_dir",
                                               "[hooks]",
                                               "dir",
                                               "timeout_s"};
    CHECK(seen == expected);
}

TEST_CASE("drop-ins apply in name order, each over the files before it", "[config]")
{
    TempDir dir;
    write_text(dir.path() / "chef-ha-upgrade.conf", "[cluster]\nnode = from-main\nport = 10001\n[upgrade]\nplan = from-main\n");
    fs::create_directory(dir.path() / "conf.d");
    write_text(dir.path() / "conf.d" / "20-later.conf", "[cluster]\nport = 10020\n[upgrade]\nmax_parallel = 4\n");
    write_text(dir.path() / "conf.d" / "10-earlier.conf", "[cluster]\nport = 10010\nnode = from-10\n");

    const chu::Result<chu::Config> config = chu::load_config((dir.path() / "chef-ha-upgrade.conf").string());
    REQUIRE(config);
    CHECK(config->cluster.node == "from-10");
    CHECK(config->cluster.port == 10020);
    CHECK(config->upgrade.plan == "from-main");
    CHECK(config->upgrade.max_parallel == 4);
}

TEST_CASE("a drop-in overrides the main file without counting as a duplicate", "[config]")
{
    TempDir dir;
    write_text(dir.path() / "main.conf", "[cluster]\nport = 10001\n");
    fs::create_directory(dir.path() / "conf.d");
    write_text(dir.path() / "conf.d" / "port.conf", "[cluster]\nport = 10002\n");

    const chu::Result<chu::Config> config = chu::load_config((dir.path() / "main.conf").string());
    REQUIRE(config);
    CHECK(config->cluster.port == 10002);
}

TEST_CASE("only visible regular *.conf files in conf.d are read", "[config]")
{
    TempDir dir;
    write_text(dir.path() / "main.conf", "[cluster]\nport = 10001\n");
    const fs::path dropins = dir.path() / "conf.d";
    fs::create_directory(dropins);
    write_text(dropins / "port.conf.dpkg-old", "[cluster]\nport = 1\n");
    write_text(dropins / ".port.conf", "[cluster]\nport = 2\n");
    write_text(dropins / "port.txt", "[cluster]\nport = 3\n");
    fs::create_directory(dropins / "sub.conf");

    const chu::Result<chu::Config> config = chu::load_config((dir.path() / "main.conf").string());
    REQUIRE(config);
    CHECK(config->cluster.port == 10001);
}

TEST_CASE("a missing conf.d directory is not an error", "[config]")
{
    TempDir dir;
    write_text(dir.path() / "main.conf", "[cluster]\nnode = be1\n");
    const chu::Result<chu::Config> config = chu::load_config((dir.path() / "main.conf").string());
    REQUIRE(config);
    CHECK(config->cluster.node == "be1");
}

TEST_CASE("a missing main file is refused with its path and the system's reason", "[config][errors]")
{
    TempDir dir;
    const std::string path = (dir.path() / "absent.conf").string();
    const chu::Result<chu::Config> config = chu::load_config(path);
    REQUIRE_FALSE(config);
    CHECK_THAT(config.error().message, StartsWith(path + ": ") && Contains("No such file or directory") && Contains("create it"));
}

TEST_CASE("a bad drop-in is refused with its own name and line", "[config][errors]")
{
    TempDir dir;
    write_text(dir.path() / "main.conf", "[cluster]\nport = 10001\n");
    fs::create_directory(dir.path() / "conf.d");
    write_text(dir.path() / "conf.d" / "50-local.conf", "# local changes\n[cluster]\nport = 0\n");

    const chu::Result<chu::Config> config = chu::load_config((dir.path() / "main.conf").string());
    REQUIRE_FALSE(config);
    CHECK_THAT(config.error().message,
               StartsWith((dir.path() / "conf.d" / "50-local.conf").string() + ":3: ") && Contains("not a TCP port"));
}

TEST_CASE("peer_timeout_ms not above heartbeat_ms is refused where it was set", "[config][errors]")
{
    TempDir dir;
    const std::string main = (dir.path() / "main.conf").string();

    SECTION("in one file")
    {
        write_text(main, "[cluster]\nheartbeat_ms = 1000\npeer_timeout_ms = 1000\n");
        const chu::Result<chu::Config> config = chu::load_config(main);
        REQUIRE_FALSE(config);
        CHECK_THAT(config.error().message,
                   StartsWith(main + ":3: ") && Contains("peer_timeout_ms must be more than heartbeat_ms"));
    }
    SECTION("by a drop-in raising heartbeat_ms over the default peer_timeout_ms")
    {
        write_text(main, "[cluster]\nport = 10001\n");
        fs::create_directory(dir.path() / "conf.d");
        write_text(dir.path() / "conf.d" / "slow.conf", "[cluster]\n\nheartbeat_ms = 6000\n");
        const chu::Result<chu::Config> config = chu::load_config(main);
        REQUIRE_FALSE(config);
        CHECK_THAT(config.error().message, StartsWith((dir.path() / "conf.d" / "slow.conf").string() + ":3: ") &&
                                               Contains("peer_timeout_ms is 5000 (the default)"));
    }
    SECTION("but not by one text alone, whose drop-ins may still fix it")
    {
        CHECK(parsed("[cluster]\nheartbeat_ms = 9000\n").cluster.heartbeat_ms == 9000);
    }
}

TEST_CASE("an unknown section is refused at its header, listing the valid sections", "[config][errors]")
{
    CHECK_THAT(refusal("[cluster]\nport = 10000\n[upgarde]\nplan = chef-server-12\n"),
               StartsWith("test.conf:3: ") && Contains("unknown section [upgarde]") &&
                   Contains("[cluster], [upgrade], [commands], [paths]"));
    CHECK_THAT(refusal("# nothing set here yet\n[logging]\n"),
               StartsWith("test.conf:2: ") && Contains("unknown section [logging]"));
}

TEST_CASE("an unknown key is refused, listing the keys of its section", "[config][errors]")
{
    CHECK_THAT(refusal("[cluster]\nnode = be1\nprot = 10000\n"),
               StartsWith("test.conf:3: ") && Contains("unknown key `prot` in [cluster]") &&
                   Contains("topology, node, port, key_file, insecure, heartbeat_ms, peer_timeout_ms"));
}

TEST_CASE("a key before any section header is refused", "[config][errors]")
{
    CHECK_THAT(refusal("port = 10000\n"), StartsWith("test.conf:1: ") && Contains("before any section header"));
}

TEST_CASE("a value that is not yes or no is refused", "[config][errors]")
{
    CHECK_THAT(refusal("[cluster]\ninsecure = sometimes\n"),
               StartsWith("test.conf:2: ") && Contains("[cluster] insecure: `sometimes` is not a yes/no value") &&
                   Contains("write yes or no"));
}

TEST_CASE("a port outside 1 to 65535 is refused", "[config][errors]")
{
    CHECK_THAT(refusal("[cluster]\nport = 0\n"), StartsWith("test.conf:2: ") && Contains("`0` is not a TCP port"));
    CHECK_THAT(refusal("[cluster]\n\nport = 65536\n"), StartsWith("test.conf:3: ") && Contains("use a number from 1 to 65535"));
}

TEST_CASE("a negative number is refused", "[config][errors]")
{
    CHECK_THAT(refusal("[upgrade]\nmax_parallel = -1\n"),
               StartsWith("test.conf:2: ") && Contains("`-1` is not a whole number") && Contains("no sign"));
}

TEST_CASE("a number with a unit, a sign or no digits is refused", "[config][errors]")
{
    CHECK_THAT(refusal("[cluster]\nheartbeat_ms = 500ms\n"),
               StartsWith("test.conf:2: ") && Contains("`500ms` is not a whole number"));
    CHECK_THAT(refusal("[cluster]\nheartbeat_ms = +500\n"),
               StartsWith("test.conf:2: ") && Contains("`+500` is not a whole number"));
    CHECK_THAT(refusal("[commands]\ntimeout_s =\n"), StartsWith("test.conf:2: ") && Contains("has no value"));
}

TEST_CASE("a number too large for its setting is refused", "[config][errors]")
{
    CHECK_THAT(refusal("[cluster]\npeer_timeout_ms = 4294967296\n"),
               StartsWith("test.conf:2: ") && Contains("is too large; the largest allowed is 4294967295"));
    CHECK(parsed("[cluster]\npeer_timeout_ms = 4294967295\n").cluster.peer_timeout_ms == 4294967295u);
    CHECK_THAT(refusal("[commands]\ntimeout_s = 99999999999999999999999\n"),
               StartsWith("test.conf:2: ") && Contains("too large"));
}

TEST_CASE("a zero heartbeat and more than 100 retries are refused", "[config][errors]")
{
    CHECK_THAT(refusal("[cluster]\nheartbeat_ms = 0\n"), StartsWith("test.conf:2: ") && Contains("more than 0"));
    CHECK_THAT(refusal("[commands]\nretries = 101\n"), StartsWith("test.conf:2: ") && Contains("at most 100"));
}

TEST_CASE("a cleanup mode other than manual or auto is refused", "[config][errors]")
{
    CHECK_THAT(refusal("[upgrade]\ncleanup = always\n"), StartsWith("test.conf:2: ") &&
                                                             Contains("`always` is not a cleanup mode") && Contains("manual") &&
                                                             Contains("auto"));
}

TEST_CASE("an empty or repeated add-on in the list is refused", "[config][errors]")
{
    CHECK_THAT(refusal("[upgrade]\naddons = opscode-manage,, opscode-reporting\n"),
               StartsWith("test.conf:2: ") && Contains("has an empty item"));
    CHECK_THAT(refusal("[upgrade]\naddons = opscode-manage,\n"), StartsWith("test.conf:2: ") && Contains("has an empty item"));
    CHECK_THAT(refusal("[upgrade]\naddons = opscode-manage, opscode-manage\n"), StartsWith("test.conf:2: ") && Contains("twice"));
}

TEST_CASE("a relative command or directory path is refused", "[config][errors]")
{
    CHECK_THAT(refusal("[commands]\nchef_server_ctl = chef-server-ctl\n"),
               StartsWith("test.conf:2: ") && Contains("`chef-server-ctl` is not an absolute path") &&
                   Contains("e.g. /usr/bin/chef-server-ctl"));
    CHECK_THAT(refusal("[paths]\nstate_dir =\n"), StartsWith("test.conf:2: ") && Contains("not an absolute path"));
}

TEST_CASE("a package digest that is not 64 hex characters is refused", "[config][errors]")
{
    CHECK_THAT(refusal("[upgrade]\npackage_sha256 = 0123abcd\n"),
               StartsWith("test.conf:2: ") && Contains("not a SHA-256 digest") && Contains("sha256sum"));
    CHECK_THAT(refusal("[upgrade]\npackage_sha256 = " + std::string(63, 'a') + "g\n"),
               StartsWith("test.conf:2: ") && Contains("not a SHA-256 digest"));
}

TEST_CASE("a key set twice in one file is refused, naming the first line", "[config][errors]")
{
    CHECK_THAT(refusal("[cluster]\nport = 10000\nnode = be1\n[upgrade]\nplan = x\n[cluster]\nport = 10001\n"),
               StartsWith("test.conf:7: ") && Contains("[cluster] port is set twice, first at line 2") && Contains("keep one"));
}

TEST_CASE("a line that is neither a header nor a setting is refused", "[config][errors]")
{
    CHECK_THAT(refusal("[cluster]\nnode be1\n"),
               StartsWith("test.conf:2: ") && Contains("`node be1` is neither a [section] header nor"));
    CHECK_THAT(refusal("[cluster\nnode = be1\n"), StartsWith("test.conf:1: ") && Contains("has no closing ]"));
}

TEST_CASE("the first bad line is reported, whatever kind of error comes after it", "[config][errors]")
{
    CHECK_THAT(refusal("[cluster]\nnode be1\nport = 0\n"), StartsWith("test.conf:2: ") && Contains("neither"));
    CHECK_THAT(refusal("[cluster]\nport = 0\nnode be1\n"), StartsWith("test.conf:2: ") && Contains("TCP port"));
}

TEST_CASE("a line too long to read whole is refused rather than cut", "[config][errors]")
{
    CHECK_THAT(refusal("[upgrade]\npackage = /" + std::string(300, 'p') + "\n"),
               StartsWith("test.conf:2: ") && Contains("longer than"));
}
