// Who may talk to a daemon and what it leaves readable: peers without the cluster key, plaintext peers,
// the modes of everything in the state dir, and the cluster key kept out of every log and journal.
// The bus side (anyone reads properties, only root calls methods) is tests/bus/bus_test.cpp,
// "only root may take decisions on the bus, anyone may read the state".
#include "cluster.hpp"
#include "fake_peer.hpp"
#include "support/temp_dir.hpp"

#include "archive/archive.hpp"
#include "config/node_setup.hpp"
#include "core/digest.hpp"
#include "core/topology.hpp"
#include "core/wire.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

using namespace chu;
using namespace chu::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr std::uint16_t port = 9683;

std::string read_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string diagnostics(const Cluster& c)
{
    std::string out;
    for (const auto& n : c.nodes())
        out += "---- " + n.name + " daemon log\n" + c.daemon_log(n.name);
    return out;
}

// A Presence from fe2 that the leader can only refuse, for a reason it names: which reason shows which
// Presence it was given.
Presence hello_with(const std::string& topology_digest, const std::string& plan_name)
{
    Presence h;
    h.version = daemon_version();  // the same daemon: what is refused is the plan
    h.topology_digest = topology_digest;
    h.plan_name = plan_name;
    return h;
}

std::string topology_digest_of(const NodeInfo& node)
{
    const std::string file = node.dir + "/etc/opscode/private-chef.rb";
    auto topology = parse_topology(read_file(file), file);
    REQUIRE(topology);
    return topology_digest(topology.value());
}

std::string octal(mode_t mode)
{
    char text[8];
    std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
    return text;
}

}  // namespace

TEST_CASE("a peer without the cluster key cannot join or send, it is refused and named in the log, and nothing it sent "
          "is delivered",
          "[access][curve]")
{
    Cluster c({});
    const NodeInfo& be1 = c.node("be1.example.com");
    const NodeInfo& fe2 = c.node("fe2.example.com");
    const CurveKey key = cluster_key_of(be1.dir + "/etc/opscode/private-chef-secrets.json");
    c.start(be1.name);
    INFO(diagnostics(c));
    REQUIRE(c.wait_for([&] { return c.view(be1.name).reachable; }, 30s));
    const std::string who = "refused a connection from fe2.example.com (" + fe2.address + ")";

    // Another cluster's key: the handshake itself fails.
    {
        FakePeer stranger(fe2.address, port, {stranger_key(), std::nullopt});
        stranger.send(be1.address, encode_frame(Envelope{fe2.name, hello_with("from-another-cluster", "chef-server-12")}));
        CHECK(c.wait_for([&] { return c.daemon_log(be1.name).find(who + ": its handshake failed") != std::string::npos; }, 20s));
    }
    // Its own key pair, but the cluster's public key (which is no secret): the handshake passes, the
    // authentication does not.
    {
        FakePeer impostor(fe2.address, port, {stranger_key(), key.public_key});
        impostor.send(be1.address, encode_frame(Envelope{fe2.name, hello_with("from-an-impostor", "chef-server-12")}));
        CHECK(c.wait_for(
            [&] { return c.daemon_log(be1.name).find(who + ": it does not have the cluster key") != std::string::npos; }, 20s));
    }
    // The same kind of Presence with the key is delivered: the leader refuses fe2 for the plan it names.
    {
        FakePeer keyed(fe2.address, port, {key, std::nullopt});
        keyed.send(be1.address, encode_frame(Envelope{fe2.name, hello_with(topology_digest_of(be1), "with-the-key")}));
        REQUIRE(c.wait_for([&] { return c.view(be1.name).last_error.find("its plan (with-the-key") != std::string::npos; }, 20s));
    }
    // Nothing from the keyless peers ever reached the leader's core: it never refused fe2 for its topology.
    const std::string log = c.daemon_log(be1.name);
    CHECK(log.find("node fe2.example.com refused at join: its topology") == std::string::npos);
    CHECK(c.view(be1.name).state == "joining");
    CHECK(c.calls().empty());
}

TEST_CASE("a plaintext peer is refused by a CURVE node and logged, and nothing it sent is delivered", "[access][curve]")
{
    Cluster c({});
    const NodeInfo& be1 = c.node("be1.example.com");
    const NodeInfo& fe1 = c.node("fe1.example.com");
    c.start(be1.name);
    INFO(diagnostics(c));
    REQUIRE(c.wait_for([&] { return c.view(be1.name).reachable; }, 30s));
    FakePeer plaintext(fe1.address, port, {});
    plaintext.send(be1.address, encode_frame(Envelope{fe1.name, hello_with(topology_digest_of(be1), "in-plaintext")}));
    CHECK(c.wait_for(
        [&] {
            return c.daemon_log(be1.name).find("refused a connection from fe1.example.com (" + fe1.address +
                                               "): its handshake failed") != std::string::npos;
        },
        20s));
    // A keyed peer's Presence, sent after, arrives: the plaintext one never did.
    FakePeer keyed(c.node("fe2.example.com").address, port,
                   {cluster_key_of(be1.dir + "/etc/opscode/private-chef-secrets.json"), std::nullopt});
    keyed.send(be1.address, encode_frame(Envelope{"fe2.example.com", hello_with("after-the-plaintext-peer", "chef-server-12")}));
    REQUIRE(c.wait_for([&] { return c.daemon_log(be1.name).find("node fe2.example.com refused at join") != std::string::npos; },
                       20s));
    CHECK(c.daemon_log(be1.name).find("in-plaintext") == std::string::npos);
    CHECK(c.daemon_log(be1.name).find("node fe1.example.com") == std::string::npos);
}

// Every entry a reached node's part must hold, what each says, and no secret anywhere in the bundle: not
// the key in any form, not the secrets file nor any of its passwords.
template <std::size_t N>
void check_bundle(const std::string& bundle, const std::string (&secrets)[N], const std::string& secrets_json)
{
    auto files = unpack_files(bundle);
    REQUIRE(files);
    std::map<std::string, std::string> entries;
    for (const auto& f : files.value())
        entries[f.name] = f.data;
    auto entry = [&](const std::string& name) {
        INFO(name);
        CHECK(entries.count(name) == 1);
        return entries.count(name) ? entries[name] : std::string();
    };
    const std::string top = "chef-ha-upgrade-support/";
    for (const char* node : {"be1.example.com", "be2.example.com", "fe1.example.com"}) {
        const std::string part = top + node + "/";
        CHECK_THAT(entry(part + "journal.txt"), Catch::Contains(" finished phase ") && Catch::Contains(" round 0 attempt 1\n"));
        CHECK_THAT(entry(part + "log.txt"), Catch::StartsWith("# /bin/journalctl --unit=chef-ha-upgrade.service"));
        CHECK_THAT(entry(part + "check-config.txt"), Catch::Contains(std::string("node:      ") + node));
        CHECK_THAT(entry(part + "config/chu.conf"), Catch::Contains("[cluster]"));
        CHECK_THAT(entry(part + "plan.plan"), Catch::Contains("[phase"));
        CHECK_THAT(entry(part + "topology.rb"), Catch::Contains("topology \"ha\""));
        CHECK_THAT(entry(part + "versions.txt"), Catch::StartsWith("chef-ha-upgraded ") && Catch::Contains("12.0.8"));
        CHECK_THAT(entry(part + "state-dir.txt"), Catch::Contains("/state/journal\n"));
    }
    CHECK_THAT(entry(top + "be1.example.com/journal.txt"),
               Catch::Contains(" joined: topology ") && Catch::Contains(" report from fe1.example.com: "));
    CHECK_THAT(entry(top + "be1.example.com/timeline.tsv"), Catch::Contains("\nfe1.example.com\t13\tcleanup\t0\tok\t"));
    CHECK(entries.count(top + "fe2.example.com/journal.txt") == 0);
    CHECK_THAT(entry(top + "collect.txt"),
               Catch::Contains("reached:\n  be1.example.com\n  be2.example.com\n  fe1.example.com\n") &&
                   Catch::Contains("not reachable:\n  fe2.example.com: ") && Catch::Contains("not reachable: no answer"));
    CHECK_THAT(entry(top + "timeline.txt"), Catch::Contains("fe1.example.com"));
    CHECK_THAT(entry(top + "timeline.svg"), Catch::Contains("<svg"));

    std::vector<std::string> forbidden(std::begin(secrets), std::end(secrets));
    forbidden.push_back(secrets_json);
    // Every string value of the secrets file of 8 bytes or more: its passwords.
    for (std::size_t at = 0; (at = secrets_json.find(": \"", at)) != std::string::npos;) {
        const std::size_t end = secrets_json.find('"', at + 3);
        if (end - (at + 3) >= 8)
            forbidden.push_back(secrets_json.substr(at + 3, end - (at + 3)));
        at = end;
    }
    CHECK(forbidden.size() > std::size(secrets) + 3);
    for (const auto& [name, data] : entries)
        for (const auto& secret : forbidden) {
            INFO(name);
            CHECK(data.find(secret) == std::string::npos);
        }
}

TEST_CASE("after a whole upgrade every file in every state dir is 0600 and every directory 0700, no log or journal "
          "holds the cluster key, and a support bundle collected on a follower holds every reachable node's part, "
          "names the node it could not reach, and no secret",
          "[access][cluster][collect]")
{
    Cluster c({});
    c.start_all();
    INFO(diagnostics(c));
    // While the upgrade is under way: the marker, the journal and the kept key.
    const NodeInfo& be2 = c.node("be2.example.com");
    REQUIRE(c.wait_for([&] { return access((be2.dir + "/state/upgrade-underway").c_str(), F_OK) == 0; }, 60s));
    REQUIRE(c.wait_for_state(c.leader(), "awaiting-approval", 180s));
    c.approve(c.leader());
    for (const auto& n : c.nodes())
        REQUIRE(c.wait_for_state(n.name, "complete", 60s));

    const CurveKey key = cluster_key_of(c.node(c.leader()).dir + "/etc/opscode/private-chef-secrets.json");
    const std::string secrets[] = {hex(key.seed),
                                   hex(key.public_key),
                                   hex(key.secret_key),
                                   std::string(key.seed.begin(), key.seed.end()),
                                   std::string(key.public_key.begin(), key.public_key.end()),
                                   std::string(key.secret_key.begin(), key.secret_key.end())};
    std::size_t files = 0;
    for (const auto& n : c.nodes()) {
        const std::string state = n.dir + "/state";
        struct stat st {};
        REQUIRE(stat(state.c_str(), &st) == 0);
        CHECK(octal(st.st_mode) == "0700");
        for (const auto& entry : fs::recursive_directory_iterator(state)) {
            // The simulated Chef node keeps its own state (node, busy) beside the daemon's: the harness gives
            // both one directory.
            if (entry.path() == state + "/node" || entry.path() == state + "/busy")
                continue;
            REQUIRE(lstat(entry.path().c_str(), &st) == 0);
            const std::string path = entry.path().string();
            CHECK(path + " " + octal(st.st_mode) == path + (S_ISDIR(st.st_mode) ? " 0700" : " 0600"));
            ++files;
        }
        CHECK(fs::exists(state + "/journal"));
        CHECK(fs::exists(state + "/cluster.key"));
        const std::string journal = read_file(state + "/journal");
        const std::string log = c.daemon_log(n.name);
        for (const auto& secret : secrets) {
            CHECK(journal.find(secret) == std::string::npos);
            CHECK(log.find(secret) == std::string::npos);
        }
    }
    // Backups of /etc/opscode exist where the copy step ran: they are among the files checked above.
    CHECK(fs::exists(be2.dir + "/state/backup"));
    CHECK(files >= 2 * c.nodes().size());

    // The same cluster, for the support bundle: fe2 gone, collected on fe1 (a follower). Root only.
    if (geteuid() != 0) {
        WARN("not root: chef-ha-upgrade-ctl collect is root's, not checked here");
        return;
    }
    std::string secrets_json = read_file(c.node(c.leader()).dir + "/etc/opscode/private-chef-secrets.json");
    CHECK(c.stop("fe2.example.com") == 0);
    const chu::test::TempDir tmp("chu-collect");
    const std::string bundle = tmp.str() + "/support.tar.gz";
    std::string out;
    CHECK(c.ctl("fe1.example.com", {"collect", bundle}, &out) == 1);  // written, with a node not reached
    CHECK_THAT(out, Catch::Contains("not reachable:\n  fe2.example.com: "));
    check_bundle(read_file(bundle), secrets, secrets_json);
    CHECK(c.ctl("fe1.example.com", {"collect", bundle}, &out) == 1);
    CHECK_THAT(out, Catch::Contains("not overwritten"));
}

TEST_CASE("the archive of a directory the leader packs for a copy step is 0600 from the moment it exists", "[access]")
{
    const chu::test::TempDir tmp("chu-access");
    const std::string dir = tmp.str();
    fs::create_directories(dir + "/opscode");
    std::ofstream(dir + "/opscode/private-chef-secrets.json") << "{\"postgresql\":{\"sql_password\":\"s3cret\"}}\n";
    const mode_t old = umask(022);  // what systemd gives a service
    std::string out;
    const int status = run_program(
        {Cluster::build_dir() + "/daemon/chef-ha-upgraded", "--pack-archive", dir + "/opscode", "--out", dir + "/outgoing.tar"},
        {}, &out);
    umask(old);
    INFO(out);
    struct stat st {};
    REQUIRE(status == 0);
    REQUIRE(stat((dir + "/outgoing.tar").c_str(), &st) == 0);
    CHECK(octal(st.st_mode) == "0600");
}
