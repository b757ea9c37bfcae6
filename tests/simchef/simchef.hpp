// chu-simchef, the simulated Chef node: the pieces its personalities (ctl.cpp, packages.cpp), its init and its
// verifier share. The file formats are described at the top of simchef.cpp.
#pragma once

#include "core/version.hpp"
#include "core/words.hpp"

#include <sys/types.h>

#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace simchef {

// The sim's own trouble (a bad node file, an unwritable world): reported, exit status 2.
struct Failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A command line the sim does not accept as the tool it plays (exit status 2, usage on stderr).
struct Usage : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// ---- files (files.cpp) ----

std::string read_file(const std::string& path, bool* found = nullptr);
bool exists(const std::string& path);  // the path itself, a dangling symlink included
// Written to a temporary file and renamed over `path`: a sim killed mid-call never leaves half a file.
void write_file(const std::string& path, const std::string& data, mode_t mode = 0644);
void make_dirs(const std::string& path);
void replace_symlink(const std::string& target, const std::string& link);
std::string dir_of(const std::string& path);
std::string base_of(const std::string& path);
std::string absolute(const std::string& path);
// SHA-256 over a tree: sorted relative paths, file contents and modes, directory modes, symlink targets.
// "" when `dir` does not exist.
std::string tree_digest(const std::string& dir);

long long now_ms();
void sleep_ms(long long ms);
std::string trim(const std::string& s);
using chu::words;
std::string join(const std::vector<std::string>& items, const std::string& sep = " ");
bool starts_with(const std::string& s, const std::string& prefix);

// An exclusive flock on `path` (created if missing), held while the object lives. With wait = false,
// held() says whether another process has it.
class FileLock {
public:
    explicit FileLock(const std::string& path, bool wait = true);
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;
    ~FileLock();
    bool held() const { return held_; }

private:
    int fd_ = -1;
    bool held_ = false;
};

// Appends one whole line under flock with O_APPEND: lines from every node and container stay whole.
void append_line(const std::string& path, const std::string& line);

// ---- versions (files.cpp) ----

using chu::compare_versions;
using chu::major_version;
// The product a version is, in the words its ctl prints.
std::string product_of(const std::string& version);

// ---- command lines (files.cpp) ----

// "--name value" options, "--flag" switches and positional words; anything else is a Usage error.
struct Options {
    std::map<std::string, std::string> values;
    std::set<std::string> flags;
    std::vector<std::string> positional;

    std::string get(const std::string& name) const;  // "" when absent
    std::string required(const std::string& name) const;
};
Options parse_options(const std::vector<std::string>& args, const std::set<std::string>& valued,
                      const std::set<std::string>& switches);

// ---- the node (node.cpp) ----

// NODE/simchef.ini: what init recorded about one simulated node.
struct Node {
    std::string dir;  // NODE
    std::string name, role, world, opscode_dir, keepalived_dir, upgrades_dir, flavor;

    bool backend() const { return role != "frontend"; }
};
Node load_node(const std::string& dir);
void save_node(const Node& node);

// NODE/state/node: what is installed and running (keepalived's state lives in the world: both backends see it).
struct NodeState {
    std::string installed;   // the package version on disk
    std::string configured;  // the version the services run (changes with `upgrade`)
    bool upgraded = false;   // `upgrade` finished here: cleanup may remove the old data
    bool cleaned = false;
    std::set<std::string> stopped;  // services other than keepalived that are down
    std::set<std::string> addons;
};
NodeState load_state(const Node& node);
void save_state(const Node& node, const NodeState& state);

// Secrets of the simulated cluster: random-looking, the same on every node of one world.
std::string world_id(const std::string& world);  // created by the first init
std::string secret(const std::string& world, const std::string& label, std::size_t length);

// ---- services (services.cpp) ----

// opscode-omnibus recipes/opscode-chef-mover.rb: "We want the service defined, but dead" (action :down).
inline const char* const chef_mover = "opscode-chef-mover";
// The release a node of this flavor starts from: 1.4.6 (ec11) or 11.1.8 (cs12).
std::string starting_version(const std::string& flavor);
// Enabled runit services, sorted: the configured release's for the node's role, and the starting release's
// that the configured one lacks (those cleanup removes, until it does).
std::vector<std::string> enabled_services(const Node& node, const NodeState& state);
// One of the previous release's services that cleanup removes, not removed yet: enabled, down for good.
bool leftover(const Node& node, const NodeState& state, const std::string& service);
// keepalived starts it on the master and stops it on the backup (cluster.sh).
bool moves_with_vip(const Node& node, const std::string& service);
// Its service directory holds keepalive_me (ha.rb checks it against the VIP) / a down file (sv's "normally").
bool keepalive_me(const Node& node, const NodeState& state, const std::string& service);
bool down_file(const Node& node, const NodeState& state, const std::string& service);

// ---- one call of a simulated command (simchef.cpp) ----

class Call {
public:
    Call(Node node, std::string program, std::vector<std::string> args);

    const Node node;
    const std::string program;  // the personality: private-chef-ctl, chef-server-ctl, dpkg, rpm, NAME-ctl
    const std::vector<std::string> args;
    NodeState state;

    void begin();
    void end(int status);
    // A fact for the verifier (key=value, no blanks), logged as a note line of this call.
    void note(const std::string& fact);
    // Something the runbook forbids or a real node would not survive: logged, the call goes on.
    void violation(const std::string& what);
    // A violation the command also fails on: `message` on stderr, exit status 1.
    int refuse(const std::string& message);
    // A plain failure, as the real command would fail: `message` on stderr, exit status 1.
    int fail(const std::string& message);
    void save() const { save_state(node, state); }
    // Makes NODE/bin/NAME another personality of this binary, as installing a package adds a command.
    void link_command(const std::string& name) const;

private:
    std::string line(const std::string& kind, const std::string& status) const;
};

// ---- personalities and subcommands ----

int run_ctl(Call& call);      // private-chef-ctl, chef-server-ctl (ctl.cpp)
int own_timeout(Call& call);  // what the real command prints and exits with when it times out by itself (ctl.cpp)
int run_addon_ctl(Call& call, const std::string& addon);                    // NAME-ctl (ctl.cpp)
const std::vector<std::string>& addon_names();                              // (ctl.cpp)
int run_dpkg(Call& call);                                                   // (packages.cpp)
int run_rpm(Call& call);                                                    // (packages.cpp)
int run_dpkg_deb(Call& call);                                               // (packages.cpp)
void write_version_manifest(const Node& node, const std::string& version);  // NODE/version-manifest.txt
int make_package(const std::vector<std::string>& args);                     // (packages.cpp)
int init_node(const std::vector<std::string>& args);                        // (init.cpp)
int verify(const std::vector<std::string>& args);                           // (verify.cpp)

}  // namespace simchef
