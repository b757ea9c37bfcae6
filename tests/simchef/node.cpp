// A simulated node's description (NODE/simchef.ini), its state (NODE/state/node) and the world's secrets.
#include "simchef.hpp"

#include "core/digest.hpp"

#include <fstream>
#include <sstream>

namespace simchef {

namespace {

// "key = value" lines, blank lines and # comments; under `section` when one is given. Unknown keys are errors.
std::map<std::string, std::string> read_keys(const std::string& path, const std::string& section,
                                             const std::set<std::string>& known)
{
    bool found = false;
    std::istringstream in(read_file(path, &found));
    if (!found)
        throw Failure("cannot read " + path);
    std::map<std::string, std::string> out;
    bool in_section = section.empty();
    int number = 0;
    for (std::string line; std::getline(in, line);) {
        ++number;
        line = trim(line);
        const std::string where = path + ":" + std::to_string(number) + ": ";
        if (line.empty() || line[0] == '#')
            continue;
        if (line[0] == '[') {
            in_section = line == "[" + section + "]";
            if (!in_section)
                throw Failure(where + "unknown section " + line);
            continue;
        }
        const auto eq = line.find('=');
        const std::string key = trim(line.substr(0, eq));
        if (!in_section || eq == std::string::npos || !known.count(key))
            throw Failure(where + "unknown line \"" + line + "\"");
        out[key] = trim(line.substr(eq + 1));
    }
    return out;
}

std::set<std::string> set_of(const std::string& text)
{
    const auto w = words(text);
    return {w.begin(), w.end()};
}

std::string text_of(const std::set<std::string>& items)
{
    return join({items.begin(), items.end()});
}

}  // namespace

Node load_node(const std::string& dir)
{
    auto keys = read_keys(dir + "/simchef.ini", "node",
                          {"name", "role", "world", "opscode_dir", "keepalived_dir", "upgrades_dir", "flavor"});
    Node n;
    n.dir = dir;
    n.name = keys["name"];
    n.role = keys["role"];
    n.world = keys["world"];
    n.opscode_dir = keys["opscode_dir"];
    n.keepalived_dir = keys["keepalived_dir"];
    n.upgrades_dir = keys["upgrades_dir"];
    n.flavor = keys["flavor"];
    if (n.name.empty() || n.world.empty() || n.opscode_dir.empty() || n.upgrades_dir.empty() ||
        (n.role != "bootstrap" && n.role != "secondary" && n.role != "frontend") || (n.flavor != "ec11" && n.flavor != "cs12"))
        throw Failure(dir + "/simchef.ini: incomplete; write it with `chu-simchef init`");
    return n;
}

void save_node(const Node& n)
{
    write_file(n.dir + "/simchef.ini", "# A node simulated by chu-simchef (written by `chu-simchef init`).\n[node]\n"
                                       "name = " +
                                           n.name + "\nrole = " + n.role + "\nworld = " + n.world +
                                           "\nopscode_dir = " + n.opscode_dir + "\nkeepalived_dir = " + n.keepalived_dir +
                                           "\nupgrades_dir = " + n.upgrades_dir + "\nflavor = " + n.flavor + "\n");
}

NodeState load_state(const Node& node)
{
    auto keys = read_keys(node.dir + "/state/node", "", {"installed", "configured", "upgraded", "cleaned", "stopped", "addons"});
    NodeState s;
    s.installed = keys["installed"];
    s.configured = keys["configured"];
    s.upgraded = keys["upgraded"] == "yes";
    s.cleaned = keys["cleaned"] == "yes";
    s.stopped = set_of(keys["stopped"]);
    s.addons = set_of(keys["addons"]);
    return s;
}

void save_state(const Node& node, const NodeState& s)
{
    write_file(node.dir + "/state/node", "installed = " + s.installed + "\nconfigured = " + s.configured + "\nupgraded = " +
                                             (s.upgraded ? "yes" : "no") + "\ncleaned = " + (s.cleaned ? "yes" : "no") +
                                             "\nstopped = " + text_of(s.stopped) + "\naddons = " + text_of(s.addons) + "\n");
}

std::string world_id(const std::string& world)
{
    const std::string path = world + "/id";
    std::string id = trim(read_file(path));
    if (id.empty()) {
        std::ifstream random("/dev/urandom", std::ios::binary);
        char bytes[32];
        random.read(bytes, sizeof bytes);
        id = chu::sha256_hex(std::string(bytes, sizeof bytes) + world + std::to_string(now_ms()));
        write_file(path, id + "\n");
    }
    return id;
}

std::string secret(const std::string& world, const std::string& label, std::size_t length)
{
    std::string out = chu::sha256_hex(world_id(world) + "/" + label);
    while (out.size() < length)
        out += chu::sha256_hex(out);
    return out.substr(0, length);
}

}  // namespace simchef
