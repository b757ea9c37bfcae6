// The topology file read by Ruby (Debian's ruby standing in for Chef's embedded one, which .ci/run installs)
// through the recorder, and compared with this project's reader.
#include "config/embedded_ruby.hpp"
#include "core/ruby_reading.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <fstream>

using Catch::Matchers::Contains;

namespace {

const std::string kRuby = "/usr/bin/ruby";

const std::string kCluster = R"rb(# As the Chef Server 12 HA docs write it
topology "ha"
server "be1.example.com", :ipaddress => "192.168.4.1", :role => "backend", :bootstrap => true,
  :cluster_ipaddress => "10.1.2.1"
server "be2.example.com",
  :ipaddress => "192.168.4.6",
  :role => "backend",
  :cluster_ipaddress => "10.1.2.6"
backend_vip "be.example.com", :ipaddress => "192.168.4.7/24", :device => "eth0", :heartbeat_device => "eth1"
server "fe1.example.com", :ipaddress => "192.168.4.2", :role => "frontend"
api_fqdn "chef.example.com"
nginx['ssl_protocols'] = "TLSv1.2"
if File.exist?("/etc/opscode/ldap.pem")
  ldap['base_dn'] = "dc=example,dc=com"
end
)rb";

// Writes `text` to a file in `dir`; returns its path.
std::string file_with(const chu::test::TempDir& dir, const std::string& text)
{
    const std::string path = dir.str() + "/private-chef.rb";
    std::ofstream(path) << text;
    return path;
}

chu::Topology read(const std::string& text)
{
    auto t = chu::parse_topology(text, "private-chef.rb");
    if (!t)
        FAIL(t.error().message);
    return t.value();
}

// What Ruby's comparison says of `text`, which it must refuse.
std::string refusal_of(const std::string& text)
{
    REQUIRE(access(kRuby.c_str(), X_OK) == 0);
    chu::test::TempDir dir;
    std::string note;
    const auto refused = chu::compare_with_ruby(kRuby, file_with(dir, text), read(text), note);
    REQUIRE_FALSE(refused);
    return refused.error().message;
}

}  // namespace

TEST_CASE("the recorder's lines are read back with their escapes", "[ruby]")
{
    auto calls = chu::parse_ruby_calls("topology\t2\tha\nserver\t3\tfe\\t1\tipaddress=192.168.4.2\trole=frontend\n");
    REQUIRE(calls);
    REQUIRE(calls->size() == 2);
    CHECK(calls->at(1).name == "fe\t1");
    CHECK(calls->at(1).line == 3);
    CHECK(calls->at(1).options.at("role") == "frontend");
    CHECK_FALSE(chu::parse_ruby_calls("puts\t1\tx\n"));
    CHECK_FALSE(chu::parse_ruby_calls("server\t1\tx\tnoequals\n"));
}

TEST_CASE("Chef's Ruby and the reader see the same cluster in a file of the usual shape", "[ruby]")
{
    REQUIRE(access(kRuby.c_str(), X_OK) == 0);
    chu::test::TempDir dir;
    std::string note;
    const auto same = chu::compare_with_ruby(kRuby, file_with(dir, kCluster), read(kCluster), note);
    INFO((same ? std::string() : same.error().message));
    CHECK(same);
    CHECK(note.empty());
}

TEST_CASE("a server only Ruby sees is refused, both readings shown with the line", "[ruby]")
{
    // `self.server` is a call Chef makes; the reader takes the line for another setting and ignores it.
    CHECK_THAT(refusal_of(kCluster + "self.server \"fe2.example.com\", :ipaddress => \"192.168.4.3\", :role => \"frontend\"\n"),
               Contains("read it differently") &&
                   Contains("server 4: Ruby sees line 16: server fe2.example.com (192.168.4.3, frontend); the reader sees "
                            "nothing more"));
}

TEST_CASE("a file Chef's Ruby cannot load is refused with Ruby's own message and line", "[ruby]")
{
    CHECK_THAT(refusal_of(kCluster + "Chef::Config[:ssl_verify_mode] = :verify_peer\n"),
               Contains("cannot load it, so neither can Chef") && Contains("private-chef.rb:16"));
}

TEST_CASE("without Chef's Ruby the reader stands alone, and says so", "[ruby]")
{
    chu::test::TempDir dir;
    std::string note;
    CHECK(chu::compare_with_ruby(dir.str() + "/no-ruby", file_with(dir, kCluster), read(kCluster), note));
    CHECK_THAT(note, Contains("no Chef embedded Ruby at") && Contains("read by chef-ha-upgrade's reader alone"));
}
