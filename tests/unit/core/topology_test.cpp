#include "core/topology.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

const std::string kFile = "/etc/opscode/private-chef.rb";

std::string read_data(const std::string& name)
{
    std::ifstream in(std::string(CHU_TEST_DATA) + "/topology/" + name, std::ios::binary);
    REQUIRE(in.good());
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

chu::Topology parsed(const std::string& text, const std::string& file = kFile)
{
    chu::Result<chu::Topology> r = chu::parse_topology(text, file);
    if (!r)
        FAIL(r.error().message);
    return r.value();
}

chu::Topology parsed_file(const std::string& name)
{
    return parsed(read_data(name), name);
}

// The parser refuses `text` at `line` of kFile, with a message containing `phrase`.
void require_refusal(const std::string& text, int line, const std::string& phrase)
{
    chu::Result<chu::Topology> r = chu::parse_topology(text, kFile);
    REQUIRE_FALSE(r);
    const std::string& message = r.error().message;
    CAPTURE(message);
    REQUIRE_THAT(message, StartsWith(kFile + ":" + std::to_string(line) + ": "));
    REQUIRE_THAT(message, Contains(phrase));
}

// A minimal valid cluster; tests append to it or write their own.
const std::string kSmallCluster = R"rb(topology "ha"
server "be1.example.com", :ipaddress => "192.168.4.1", :role => "backend", :bootstrap => true
server "be2.example.com", :ipaddress => "192.168.4.6", :role => "backend"
server "fe1.example.com", :ipaddress => "192.168.4.2", :role => "frontend"
api_fqdn "chef.example.com"
)rb";

}  // namespace

// ---- realistic files ------------------------------------------------------------------------------------

TEST_CASE("the install guide's HA example gives a bootstrap, a secondary and three frontends", "[topology]")
{
    const chu::Topology t = parsed_file("ha_docs_example.rb");
    REQUIRE(t.file == "ha_docs_example.rb");
    REQUIRE(t.servers.size() == 5);

    const chu::Server& boot = t.bootstrap();
    CHECK(boot.name == "be1.example.com");
    CHECK(boot.ipaddress == "192.168.4.1");
    CHECK(boot.cluster_ipaddress == "10.1.2.10");
    CHECK(boot.line == 9);

    const chu::Server& second = t.secondary();
    CHECK(second.name == "be2.example.com");
    CHECK(second.ipaddress == "192.168.4.6");
    CHECK(second.cluster_ipaddress == "10.1.2.12");
    CHECK(second.role == chu::Role::secondary);
    CHECK(second.line == 15);

    const std::vector<const chu::Server*> fronts = t.frontends();
    REQUIRE(fronts.size() == 3);
    CHECK(fronts[0]->name == "fe1.example.com");
    CHECK(fronts[1]->name == "fe2.example.com");
    CHECK(fronts[2]->name == "fe3.example.com");
    CHECK(fronts[2]->ipaddress == "192.168.4.4");
    CHECK(fronts[2]->cluster_ipaddress.empty());
    CHECK(fronts[2]->line == 33);

    CHECK(t.backend_vip == "be.example.com");
    CHECK(t.backend_vip_device == "eth0");
    CHECK(t.backend_vip_heartbeat_device == "eth1");
    CHECK(t.api_fqdn == "chef.example.com");
}

TEST_CASE("a hand-edited file with mixed quotes, parentheses, 1.9 keys and continuations parses", "[topology]")
{
    const chu::Topology t = parsed_file("ha_mixed_style.rb");
    REQUIRE(t.servers.size() == 5);

    // db-b carries :bootstrap => true although it comes second; db-a says :bootstrap => false.
    CHECK(t.bootstrap().name == "db-b.berlin.example.net");
    CHECK(t.bootstrap().ipaddress == "10.20.0.12");
    CHECK(t.bootstrap().cluster_ipaddress == "172.16.0.12");
    CHECK(t.bootstrap().line == 14);
    CHECK(t.secondary().name == "db-a.berlin.example.net");
    CHECK(t.secondary().ipaddress == "10.20.0.11");
    CHECK(t.secondary().cluster_ipaddress == "172.16.0.11");
    CHECK(t.secondary().line == 8);

    const std::vector<const chu::Server*> fronts = t.frontends();
    REQUIRE(fronts.size() == 3);
    CHECK(fronts[0]->ipaddress == "10.20.1.21");
    CHECK(fronts[1]->ipaddress == "10.20.1.22");
    CHECK(fronts[2]->name == "api-3.berlin.example.net");
    CHECK(fronts[2]->ipaddress == "10.20.1.23");
    CHECK(fronts[2]->line == 25);

    CHECK(t.backend_vip == "db.berlin.example.net");
    CHECK(t.backend_vip_device == "bond0");
    CHECK(t.backend_vip_heartbeat_device == "bond1");
    CHECK(t.api_fqdn == "chef.berlin.example.net");
}

TEST_CASE("a Chef Server 12 chef-server.rb with a =begin block and one-line entries parses", "[topology]")
{
    const chu::Topology t = parsed_file("ha_chef_server_12.rb");
    REQUIRE(t.servers.size() == 6);
    CHECK(t.bootstrap().name == "chef-be01.prod.example.org");
    CHECK(t.bootstrap().cluster_ipaddress == "192.168.100.10");
    CHECK(t.secondary().name == "chef-be02.prod.example.org");
    REQUIRE(t.frontends().size() == 4);
    CHECK(t.frontends()[3]->name == "chef-fe04.prod.example.org");
    CHECK(t.frontends()[3]->line == 16);
    CHECK(t.backend_vip_device == "ens192");
    CHECK(t.backend_vip_heartbeat_device == "ens224");
    CHECK(t.api_fqdn == "chef.prod.example.org");
}

// ---- notes for statements we do not use -----------------------------------------------------------------

TEST_CASE("settings other than the topology are ignored with a note naming their line", "[topology]")
{
    const chu::Topology t = parsed_file("ha_docs_example.rb");
    REQUIRE(t.notes == std::vector<std::string>{
                           "ha_docs_example.rb:39: ignored `notification_email \"chef-admins@example.com\"`",
                           "ha_docs_example.rb:40: ignored `nginx['enable_non_ssl'] = false`",
                       });
}

TEST_CASE("a multi-line setting becomes one note at its first line, written on one line", "[topology]")
{
    const chu::Topology t = parsed_file("ha_mixed_style.rb");
    REQUIRE(t.notes.size() == 7);
    CHECK(t.notes[0] == "ha_mixed_style.rb:29: ignored `notification_email \"chef-ops#berlin@example.net\"`");
    CHECK(t.notes[3] == "ha_mixed_style.rb:32: ignored `opscode_erchef['max_request_size'] = 2000000`");
    CHECK(t.notes[5] == "ha_mixed_style.rb:34: ignored `nginx[\"ssl_protocols\"] = \"TLSv1 TLSv1.1 TLSv1.2\"`");
    CHECK_THAT(t.notes[6], StartsWith("ha_mixed_style.rb:35: ignored `oc_id['applications'] = { 'supermarket' => { "));
    CHECK_THAT(t.notes[6], Contains("..."));  // long statements are shortened
}

TEST_CASE("two settings on one line joined by a semicolon give two notes", "[topology]")
{
    const chu::Topology t = parsed_file("ha_chef_server_12.rb");
    REQUIRE(t.notes.size() == 6);
    CHECK(t.notes[0] == "ha_chef_server_12.rb:20: ignored `dark_launch[\"actions\"] = true`");
    CHECK(t.notes[4] == "ha_chef_server_12.rb:24: ignored `bookshelf['vip'] = \"chef-be.prod.example.org\"`");
    CHECK(t.notes[5] == "ha_chef_server_12.rb:24: ignored `bookshelf['url'] = \"https://chef-be.prod.example.org\"`");
}

TEST_CASE("unknown keys on a server entry are ignored without a note", "[topology]")
{
    const chu::Topology t = parsed(R"rb(topology "ha"
server "be1.example.com", :ipaddress => "192.168.4.1", :role => "backend", :bootstrap => true, :port => 443
server "be2.example.com", :ipaddress => "192.168.4.6", :role => "backend", :rack => ["r1", "r2"]
server "fe1.example.com", :ipaddress => "192.168.4.2", :role => "frontend", :weight => { "lb" => 10 }
)rb");
    CHECK(t.notes.empty());
    CHECK(t.servers.size() == 3);
    CHECK(t.frontends()[0]->ipaddress == "192.168.4.2");
}

TEST_CASE("blank lines and whole-line comments leave no note", "[topology]")
{
    const chu::Topology t = parsed("\n# a comment\n   # an indented comment\n\n" + kSmallCluster + "\n\n# end\n");
    CHECK(t.notes.empty());
    CHECK(t.bootstrap().line == 6);
}

TEST_CASE("a name that only looks like a setting, such as server = 1, is an ignored statement", "[topology]")
{
    const chu::Topology t = parsed(kSmallCluster + "server = \"x\"\napi_fqdn.strip\n");
    REQUIRE(t.notes.size() == 2);
    CHECK(t.notes[0] == kFile + ":6: ignored `server = \"x\"`");
    CHECK(t.notes[1] == kFile + ":7: ignored `api_fqdn.strip`");
}

// ---- syntax variants -------------------------------------------------------------------------------------

TEST_CASE("a bootstrap backend marked in any key order leads", "[topology]")
{
    const chu::Topology t = parsed(R"rb(topology "ha"
server "fe1.example.com", :role => "frontend", :ipaddress => "192.168.4.2"
server "be2.example.com", :role => "backend", :ipaddress => "192.168.4.6"
server "be1.example.com", :bootstrap => true, :role => "backend", :ipaddress => "192.168.4.1"
)rb");
    CHECK(t.bootstrap().name == "be1.example.com");
    CHECK(t.bootstrap().role == chu::Role::bootstrap);
    CHECK(t.secondary().name == "be2.example.com");
}

TEST_CASE("Windows line endings, a byte order mark and spacing around => do not matter", "[topology]")
{
    const chu::Topology t = parsed("\xEF\xBB\xBFtopology \"ha\"\r\n"
                                   "server \"be1\",:ipaddress=>\"10.0.0.1\" ,  :role   =>  \"backend\",\t:bootstrap=>true\r\n"
                                   "server \"be2\", :ipaddress => \"10.0.0.2\", :role => \"backend\"\r\n"
                                   "server \"fe1\", :ipaddress => \"10.0.0.3\", :role => \"frontend\"\r\n");
    CHECK(t.bootstrap().name == "be1");
    CHECK(t.bootstrap().ipaddress == "10.0.0.1");
    CHECK(t.frontends()[0]->line == 4);
}

TEST_CASE("a server written inside an explicit hash or with quoted symbols is read", "[topology]")
{
    const chu::Topology t = parsed(R"rb(topology("ha")
server "be1", { :ipaddress => "10.0.0.1", :role => "backend", :bootstrap => true }
server "be2", :"ipaddress" => "10.0.0.2", "role": "backend"
server "fe1", ipaddress: "10.0.0.3",
              role: "frontend"
)rb");
    CHECK(t.bootstrap().ipaddress == "10.0.0.1");
    CHECK(t.secondary().ipaddress == "10.0.0.2");
    CHECK(t.frontends()[0]->ipaddress == "10.0.0.3");
}

TEST_CASE("a # inside a string is part of the value, not a comment", "[topology]")
{
    const chu::Topology t = parsed(kSmallCluster + "backend_vip \"vip#1\", :ipaddress => \"192.168.4.7\" # real comment\n");
    CHECK(t.backend_vip == "vip#1");
    CHECK(t.backend_vip_device.empty());
}

TEST_CASE("escaped quotes inside strings are decoded", "[topology]")
{
    const chu::Topology t = parsed(kSmallCluster + "notification_email 'it\\'s \"ops\"'\n");
    REQUIRE(t.notes.size() == 1);
    CHECK(t.notes[0] == kFile + ":6: ignored `notification_email 'it\\'s \"ops\"'`");
}

TEST_CASE("role_name gives the operator's words", "[topology]")
{
    CHECK(std::string(chu::role_name(chu::Role::bootstrap)) == "bootstrap");
    CHECK(std::string(chu::role_name(chu::Role::secondary)) == "secondary");
    CHECK(std::string(chu::role_name(chu::Role::frontend)) == "frontend");
}

// ---- finding this node -----------------------------------------------------------------------------------

TEST_CASE("a node finds itself by its server name, in any letter case", "[topology]")
{
    const chu::Topology t = parsed_file("ha_docs_example.rb");
    const chu::Result<const chu::Server*> fe2 = chu::locate_node(t, "fe2.example.com");
    REQUIRE(fe2);
    CHECK(fe2.value()->ipaddress == "192.168.4.3");
    CHECK(fe2.value()->role == chu::Role::frontend);

    const chu::Result<const chu::Server*> be1 = chu::locate_node(t, "BE1.Example.COM");
    REQUIRE(be1);
    CHECK(be1.value() == &t.bootstrap());
    CHECK(t.find("be2.example.com") == &t.secondary());
    CHECK(t.find("be3.example.com") == nullptr);
}

TEST_CASE("a node missing from the file is told which names the file has", "[topology]")
{
    const chu::Topology t = parsed(kSmallCluster);
    const chu::Result<const chu::Server*> r = chu::locate_node(t, "chef-old.example.com");
    REQUIRE_FALSE(r);
    CHECK(r.error().message ==
          "node \"chef-old.example.com\" is not in /etc/opscode/private-chef.rb (servers there: be1.example.com, "
          "be2.example.com, fe1.example.com)");
}

// ---- digest ----------------------------------------------------------------------------------------------

TEST_CASE("the topology digest survives reordering, requoting and recommenting the file", "[topology]")
{
    const chu::Topology original = parsed_file("ha_docs_example.rb");
    const chu::Topology retyped = parsed_file("ha_docs_example_reformatted.rb");
    CHECK(original.notes != retyped.notes);
    CHECK(chu::topology_digest(original) == chu::topology_digest(retyped));
    CHECK(chu::topology_digest(original).size() == 64);
}

TEST_CASE("the topology digest changes when a role, an address, a server or the API name changes", "[topology]")
{
    const std::string text = read_data("ha_docs_example.rb");
    const std::string digest = chu::topology_digest(parsed(text));

    auto replaced = [](std::string copy, const std::string& from, const std::string& to) {
        const std::size_t at = copy.find(from);
        REQUIRE(at != std::string::npos);
        return copy.replace(at, from.size(), to);
    };
    auto changed = [&](const std::string& from, const std::string& to) {
        return chu::topology_digest(parsed(replaced(text, from, to)));
    };

    // be2 becomes the bootstrap and be1 the secondary.
    const std::string swapped = replaced(replaced(text, "  :bootstrap => true,\n", ""), ":cluster_ipaddress => \"10.1.2.12\"",
                                         ":cluster_ipaddress => \"10.1.2.12\", :bootstrap => true");
    CHECK(parsed(swapped).bootstrap().name == "be2.example.com");
    CHECK(chu::topology_digest(parsed(swapped)) != digest);

    CHECK(changed("\"192.168.4.3\"", "\"192.168.4.13\"") != digest);
    CHECK(changed("\"10.1.2.12\"", "\"10.1.2.13\"") != digest);
    CHECK(changed("server \"fe3.example.com\"", "server \"fe4.example.com\"") != digest);
    CHECK(changed("api_fqdn \"chef.example.com\"", "api_fqdn \"chef2.example.com\"") != digest);
    CHECK(changed(":heartbeat_device => \"eth1\"", ":heartbeat_device => \"eth2\"") != digest);
    CHECK(changed("nginx['enable_non_ssl'] = false", "nginx['enable_non_ssl'] = true") == digest);
}

// ---- refusals: syntax --------------------------------------------------------------------------------------

TEST_CASE("an unterminated string is refused at the line its statement starts", "[topology][refusal]")
{
    require_refusal(R"rb(topology "ha"
server "be1.example.com",
  :ipaddress => "192.168.4.1,
  :role => "backend"
)rb",
                    2, "unterminated string `\"192.168.4.1,`: the closing \" is missing on line 3");
}

TEST_CASE("a server without a name is refused", "[topology][refusal]")
{
    require_refusal(R"rb(topology "ha"

server :ipaddress => "192.168.4.1", :role => "backend"
)rb",
                    3, "server has no name; start with the name, like server \"be1.example.com\"");
}

TEST_CASE("a server without :ipaddress is refused", "[topology][refusal]")
{
    require_refusal(R"rb(topology "ha"
server "be1.example.com", :role => "backend", :bootstrap => true, :ipaddress => "192.168.4.1"
server "be2.example.com",
  :role => "backend"
)rb",
                    3, "server \"be2.example.com\" has no :ipaddress; add its address");
}

TEST_CASE("a server without :role is refused", "[topology][refusal]")
{
    require_refusal(R"rb(topology "ha"
server "be1.example.com", :ipaddress => "192.168.4.1"
)rb",
                    2, "server \"be1.example.com\" has no :role; add :role => \"backend\" or :role => \"frontend\"");
}

TEST_CASE("a role other than backend or frontend is refused", "[topology][refusal]")
{
    require_refusal(R"rb(topology "ha"
server "be1.example.com", :ipaddress => "192.168.4.1", :role => "database"
)rb",
                    2, "has :role \"database\", which is not a role");
}

TEST_CASE("a :bootstrap that is not true or false is refused", "[topology][refusal]")
{
    require_refusal(R"rb(topology "ha"
# be1 leads
server "be1.example.com", :ipaddress => "192.168.4.1",
  :role => "backend", :bootstrap => "yes"
)rb",
                    3, "has :bootstrap => \"yes\"; write :bootstrap => true");
}

TEST_CASE("an address that is not IPv4 is refused", "[topology][refusal]")
{
    require_refusal(kSmallCluster + "server \"fe2.example.com\", :ipaddress => \"192.168.4.256\", :role => \"frontend\"\n", 6,
                    ":ipaddress of server \"fe2.example.com\" \"192.168.4.256\" is not an IPv4 address");
    require_refusal(kSmallCluster + "server \"fe2.example.com\", :ipaddress => \"192.168.4\", :role => \"frontend\"\n", 6,
                    "is not an IPv4 address");
    require_refusal(kSmallCluster + "server \"fe2.example.com\", :ipaddress => \"192.168.04.5\", :role => \"frontend\"\n", 6,
                    "without leading zeros");
    require_refusal(kSmallCluster + "server \"fe2.example.com\", :ipaddress => \"fe2.example.com\", :role => \"frontend\"\n", 6,
                    "is not an IPv4 address");
}

TEST_CASE("a :cluster_ipaddress that is not IPv4 is refused", "[topology][refusal]")
{
    require_refusal(R"rb(topology "ha"
server "be1.example.com",
  :ipaddress => "192.168.4.1",
  :cluster_ipaddress => "10.1.2.",
  :role => "backend"
)rb",
                    2, ":cluster_ipaddress of server \"be1.example.com\" \"10.1.2.\" is not an IPv4 address");
}

TEST_CASE("a bracket left open until the end of the file is refused at its statement", "[topology][refusal]")
{
    require_refusal(R"rb(topology "ha"
server("be1.example.com",
  :ipaddress => "192.168.4.1",
  :role => "backend"

api_fqdn "chef.example.com"
)rb",
                    2, "`(` opened on line 2 is never closed; add the closing `)`");
}

TEST_CASE("a closing bracket without an opening one is refused", "[topology][refusal]")
{
    require_refusal(R"rb(topology "ha"
server "be1.example.com", :ipaddress => "192.168.4.1", :role => "backend")
)rb",
                    2, "`)` has no matching opening bracket");
}

TEST_CASE("a comma with nothing after it at the end of the file is refused", "[topology][refusal]")
{
    require_refusal(kSmallCluster + "server \"fe2.example.com\", :ipaddress => \"192.168.4.3\", :role => \"frontend\",\n", 6,
                    "`server` has `,` with nothing after it");
}

TEST_CASE("a missing comma between items is refused", "[topology][refusal]")
{
    require_refusal(R"rb(topology "ha"
server "be1.example.com" :ipaddress => "192.168.4.1", :role => "backend"
)rb",
                    2, "is followed by `:ipaddress => \"192.168.4.1\"` without a comma");
}

TEST_CASE("a key given twice on one server is refused", "[topology][refusal]")
{
    require_refusal(R"rb(topology "ha"
server "be1.example.com", :ipaddress => "192.168.4.1", :role => "frontend",
  :role => "backend"
)rb",
                    2, "server \"be1.example.com\" gives :role twice; keep one");
}

TEST_CASE("a value built with Ruby interpolation is refused because the file is never run", "[topology][refusal]")
{
    require_refusal(R"rb(topology "ha"
server "be1.#{domain}", :ipaddress => "192.168.4.1", :role => "backend"
)rb",
                    2, "uses Ruby interpolation");
}

TEST_CASE("a =begin comment without =end is refused at the =begin", "[topology][refusal]")
{
    require_refusal(kSmallCluster + "\n=begin\nold frontends:\nserver \"fe0\"\n", 7, "=begin comment is never closed");
}

// ---- refusals: topology and roles ----------------------------------------------------------------------------

TEST_CASE("a file without a topology statement is refused at its last line", "[topology][refusal]")
{
    require_refusal(R"rb(server "be1.example.com", :ipaddress => "192.168.4.1", :role => "backend", :bootstrap => true
server "be2.example.com", :ipaddress => "192.168.4.6", :role => "backend"
server "fe1.example.com", :ipaddress => "192.168.4.2", :role => "frontend"
)rb",
                    3, "no topology statement");
}

TEST_CASE("a topology other than ha is refused with the way out", "[topology][refusal]")
{
    require_refusal(R"rb(# tiered: one backend, frontends in front
server "be1.example.com", :ipaddress => "192.168.4.1", :role => "backend", :bootstrap => true
topology "tier"
)rb",
                    3,
                    "topology is \"tier\": this is not an HA topology, and chef-ha-upgrade upgrades only \"ha\" "
                    "clusters; set topology \"ha\" or upgrade by hand");
}

TEST_CASE("a topology set twice is refused at the second", "[topology][refusal]")
{
    require_refusal(kSmallCluster + "topology \"ha\"\n", 6, "topology is set twice (first on line 1)");
}

TEST_CASE("two backends without a bootstrap are refused at the first backend", "[topology][refusal]")
{
    require_refusal(R"rb(topology "ha"
server "fe1.example.com", :ipaddress => "192.168.4.2", :role => "frontend"
server "be1.example.com", :ipaddress => "192.168.4.1", :role => "backend", :bootstrap => false
server "be2.example.com", :ipaddress => "192.168.4.6", :role => "backend"
)rb",
                    3, "no backend has :bootstrap => true (\"be1.example.com\" on line 3, \"be2.example.com\" on line 4)");
}

TEST_CASE("a second bootstrap is refused at its line, naming the first", "[topology][refusal]")
{
    require_refusal(R"rb(topology "ha"
server "be1.example.com", :ipaddress => "192.168.4.1", :role => "backend", :bootstrap => true

server "be2.example.com",
  :bootstrap => true,
  :ipaddress => "192.168.4.6",
  :role => "backend"
server "fe1.example.com", :ipaddress => "192.168.4.2", :role => "frontend"
)rb",
                    4,
                    "server \"be2.example.com\" is a second bootstrap backend (the first is \"be1.example.com\" on "
                    "line 2); keep :bootstrap => true on exactly one backend");
}

TEST_CASE("a frontend marked as bootstrap is refused", "[topology][refusal]")
{
    require_refusal(R"rb(topology "ha"
server "be1.example.com", :ipaddress => "192.168.4.1", :role => "backend"
server "be2.example.com", :ipaddress => "192.168.4.6", :role => "backend"
server "fe1.example.com", :ipaddress => "192.168.4.2", :role => "frontend", :bootstrap => true
)rb",
                    4, "server \"fe1.example.com\" is a frontend marked :bootstrap => true; only a backend can be the bootstrap");
}

TEST_CASE("a third backend is refused at its line", "[topology][refusal]")
{
    require_refusal(
        kSmallCluster +
            "# the new chef-backend node\nserver \"be3.example.com\", :ipaddress => \"192.168.4.8\", :role => \"backend\"\n",
        7,
        "server \"be3.example.com\" is a third backend (the others are \"be1.example.com\" on line 2 "
        "and \"be2.example.com\" on line 3); an HA cluster has exactly two backends");
}

TEST_CASE("a single backend is refused at the end of the file", "[topology][refusal]")
{
    require_refusal(R"rb(topology "ha"
server "be1.example.com", :ipaddress => "192.168.4.1", :role => "backend", :bootstrap => true
server "fe1.example.com", :ipaddress => "192.168.4.2", :role => "frontend"
api_fqdn "chef.example.com"
# end of file)rb",
                    5, "only one backend server (\"be1.example.com\" on line 2); an HA cluster has exactly two backends");
}

TEST_CASE("a file with no backend at all is refused", "[topology][refusal]")
{
    require_refusal("topology \"ha\"\nserver \"fe1\", :ipaddress => \"10.0.0.3\", :role => \"frontend\"\n", 2,
                    "no backend servers");
}

TEST_CASE("a cluster without frontends is refused", "[topology][refusal]")
{
    require_refusal(R"rb(topology "ha"
server "be1.example.com", :ipaddress => "192.168.4.1", :role => "backend", :bootstrap => true
server "be2.example.com", :ipaddress => "192.168.4.6", :role => "backend"

)rb",
                    4, "no frontend servers");
}

TEST_CASE("a server listed twice is refused at the second entry, naming the first", "[topology][refusal]")
{
    require_refusal(kSmallCluster + "server \"FE1.example.com\", :ipaddress => \"192.168.4.3\", :role => \"frontend\"\n", 6,
                    "server \"FE1.example.com\" is listed twice (first on line 4)");
}

TEST_CASE("two servers with one address are refused at the second, naming the first", "[topology][refusal]")
{
    require_refusal(kSmallCluster + "server \"fe2.example.com\",\n  :ipaddress => \"192.168.4.2\",\n  :role => \"frontend\"\n", 6,
                    "server \"fe2.example.com\" has :ipaddress \"192.168.4.2\", already the :ipaddress of server "
                    "\"fe1.example.com\" (line 4); give each server its own address");
}

TEST_CASE("a heartbeat address that is another server's address is refused", "[topology][refusal]")
{
    require_refusal(R"rb(topology "ha"
server "be1.example.com", :ipaddress => "192.168.4.1", :role => "backend", :bootstrap => true
server "be2.example.com", :ipaddress => "192.168.4.6", :role => "backend", :cluster_ipaddress => "192.168.4.1"
)rb",
                    3, "has :cluster_ipaddress \"192.168.4.1\", already the :ipaddress of server \"be1.example.com\" (line 2)");
}

TEST_CASE("a backend VIP on a server's address is refused", "[topology][refusal]")
{
    require_refusal(kSmallCluster + "backend_vip \"be.example.com\", :ipaddress => \"192.168.4.6\", :device => \"eth0\"\n", 6,
                    "backend_vip :ipaddress \"192.168.4.6\" is also the :ipaddress of server \"be2.example.com\" (line 3)");
}

TEST_CASE("a backend VIP without an address is refused", "[topology][refusal]")
{
    require_refusal(kSmallCluster + "backend_vip \"be.example.com\",\n  :device => \"eth0\"\n", 6,
                    "backend_vip \"be.example.com\" has no :ipaddress");
}

TEST_CASE("the first error in the file wins over later ones", "[topology][refusal]")
{
    // Line 3 repeats be1's address; line 5 would be a third backend.
    require_refusal(R"rb(topology "ha"
server "be1.example.com", :ipaddress => "192.168.4.1", :role => "backend", :bootstrap => true
server "be2.example.com", :ipaddress => "192.168.4.1", :role => "backend"
server "fe1.example.com", :ipaddress => "192.168.4.2", :role => "frontend"
server "be3.example.com", :ipaddress => "192.168.4.8", :role => "backend"
)rb",
                    3, "already the :ipaddress of server \"be1.example.com\"");
}

// ---- what the reader does not run (issue 27) --------------------------------------------------------------

TEST_CASE("a server, backend_vip or topology inside a construct the reader does not run is refused, naming it",
          "[topology][refusal][ruby]")
{
    struct Case {
        std::string text;  // after kSmallCluster's lines
        int line;
        std::string phrase;
    };
    const std::vector<Case> cases = {
        {"[[\"fe2.example.com\", \"192.168.4.3\"]].each { |n, ip| server n, :ipaddress => ip, :role => \"frontend\" }\n", 6,
         "`server` in a block (`{ |…| }`) on this line"},
        {"{\"fe2.example.com\" => \"192.168.4.3\"}.each do |n, ip|\n  server n, :ipaddress => ip, :role => \"frontend\"\nend\n",
         7, "`server` inside a block (`do`) opened on line 6"},
        {"if false\n  server \"fe9.example.com\", :ipaddress => \"192.168.4.9\", :role => \"frontend\"\nend\n", 7,
         "`server` inside `if` opened on line 6"},
        {"unless ENV['X']\nelse\n  backend_vip \"be.example.com\", :ipaddress => \"192.168.4.7\"\nend\n", 8,
         "`backend_vip` inside `unless` opened on line 6"},
        {"server \"fe9.example.com\", :ipaddress => \"192.168.4.9\", :role => \"frontend\" if File.exist?(\"/x\")\n", 6,
         "`server` with a condition on the same line"},
        {"def add(name, ip)\n  server name, :ipaddress => ip, :role => \"frontend\"\nend\nadd \"fe2.example.com\", "
         "\"192.168.4.3\"\n",
         7, "`server` inside `def` opened on line 6"},
        {"if true then server \"fe9.example.com\", :ipaddress => \"192.168.4.9\", :role => \"frontend\" end\n", 6,
         "`server` in `if` on this line"},
        {"instance_eval(File.read(\"/etc/opscode/more.rb\"))\n", 6, "`instance_eval` runs Ruby from elsewhere"},
        {"require \"/etc/opscode/servers\"\n", 6, "`require` runs Ruby from elsewhere"},
    };
    for (const Case& c : cases) {
        INFO(c.text);
        require_refusal(kSmallCluster + c.text, c.line, c.phrase);
        require_refusal(kSmallCluster + c.text, c.line, "write each server (and backend_vip, topology) on its own line");
    }
}

TEST_CASE("a construct that decides no server is ignored like any other setting", "[topology][ruby]")
{
    const chu::Topology t = parsed(kSmallCluster + "if File.exist?(\"/etc/opscode/ldap\")\n  ldap['base_dn'] = \"dc=x\"\nend\n"
                                                   "%w{a b}.each { |x| nginx[x] = 1 }\n");
    CHECK(t.servers.size() == 3);
    CHECK_FALSE(t.notes.empty());
}

TEST_CASE("nothing after __END__ is read, as Ruby reads nothing after it", "[topology][ruby]")
{
    const chu::Topology t = parsed(kSmallCluster + "__END__\nserver \"fe9.example.com\", :ipaddress => \"192.168.4.9\", :role => "
                                                   "\"frontend\"\nthis is not ruby (\n");
    CHECK(t.servers.size() == 3);
    CHECK_FALSE(t.find("fe9.example.com"));
    // Only a line that is exactly __END__ ends it.
    require_refusal(kSmallCluster +
                        "x = __END__\nserver \"fe1.example.com\", :ipaddress => \"192.168.4.9\", :role => \"frontend\"\n",
                    7, "listed twice");
}

TEST_CASE("a missing comma after a server's name is Ruby's syntax error at the next line, not a missing address",
          "[topology][refusal][ruby]")
{
    // The Private Chef install docs' own example (chef-boneyard/private-chef-administration, 2012).
    require_refusal(R"rb(topology "ha"
server "be1.example.com"
  :ipaddress => "192.168.4.1",
  :role => "backend",
  :bootstrap => true
)rb",
                    3,
                    "Ruby stops here with a syntax error: `:ipaddress => \"192.168.4.1\", :role => \"backend\", "
                    ":bootstrap => true` continues nothing; line 2 before it needs a `,` at its end");
}

TEST_CASE("what kind of cluster comes first: a Chef Backend frontend, a file that is not HA", "[topology][refusal]")
{
    require_refusal("use_chef_backend true\nchef_backend_members [\"10.0.0.4\"]\napi_fqdn fqdn\n", 1,
                    "a frontend of a Chef Backend cluster (use_chef_backend), which chef-ha-upgrade does not upgrade");
    // Standalone: refused as not HA, not over the api_fqdn from a local variable on line 2.
    require_refusal("fqdn = \"chef.example.com\"\napi_fqdn fqdn\n", 2, "no topology statement: this is not an HA topology");
    require_refusal("server \"x\"\ntopology \"tier\"\n", 2, "this is not an HA topology");
}

TEST_CASE("a VIP may carry a prefix length, as Chef Server 12 reads it; IPv6 is named as unsupported", "[topology][ruby]")
{
    const chu::Topology t =
        parsed(kSmallCluster + "backend_vip \"be.example.com\", :ipaddress => \"192.168.4.7/24\", :device => \"eth0\"\n");
    CHECK(t.backend_vip_ipaddress == "192.168.4.7/24");
    require_refusal(kSmallCluster + "backend_vip \"be.example.com\", :ipaddress => \"192.168.4.7/33\"\n", 6,
                    "is not an IPv4 address with a prefix length");
    require_refusal(kSmallCluster + "backend_vip \"be.example.com\", :ipaddress => \"192.168.4.1/24\"\n", 6,
                    "the VIP needs an address of its own");
    require_refusal(kSmallCluster + "server \"fe2.example.com\", :ipaddress => \"2001:db8::12\", :role => \"frontend\"\n", 6,
                    "is an IPv6 address; chef-ha-upgrade supports IPv4 clusters only");
    require_refusal(kSmallCluster + "server \"fe2.example.com\", :ipaddress => \"192.168.4.3/24\", :role => \"frontend\"\n", 6,
                    "is not an IPv4 address");
}

TEST_CASE("the topology digest covers the VIP", "[topology]")
{
    const std::string vip = "backend_vip \"be.example.com\", :ipaddress => \"192.168.4.7\"\n";
    const std::string other = "backend_vip \"be.example.com\", :ipaddress => \"192.168.4.8\"\n";
    CHECK(chu::topology_digest(parsed(kSmallCluster + vip)) != chu::topology_digest(parsed(kSmallCluster + other)));
    CHECK(chu::topology_digest(parsed(kSmallCluster + vip)) ==
          chu::topology_digest(parsed("# reformatted\n" + kSmallCluster + vip)));
}
