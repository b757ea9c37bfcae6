// The cluster model (topology.hpp): roles by name, finding a node or a role's server, and the digest the
// nodes compare to agree they read the same cluster. Reading it from private-chef.rb: topology_parser.cpp.
#include "topology.hpp"

#include "assert.hpp"
#include "digest.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace chu {

const char* role_name(Role role)
{
    switch (role) {
    case Role::bootstrap: return "bootstrap";
    case Role::secondary: return "secondary";
    case Role::frontend: return "frontend";
    }
    return "frontend";
}

std::optional<Role> role_named(std::string_view name)
{
    for (Role r : {Role::bootstrap, Role::secondary, Role::frontend})
        if (name == role_name(r))
            return r;
    return std::nullopt;
}

namespace {

std::string lower(std::string_view s)
{
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

const Server& with_role(const Topology& topology, Role role)
{
    for (const Server& s : topology.servers)
        if (s.role == role)
            return s;
    // parse_topology refuses a topology without one; reaching here is a bug in the caller.
    throw std::logic_error(std::string("topology has no ") + role_name(role) + " server");
}

// Length-prefixed, so no value can imitate a field boundary.
std::string field(std::string_view s)
{
    return std::to_string(s.size()) + ":" + std::string(s) + " ";
}

}  // namespace

const Server* Topology::find(std::string_view name) const
{
    const std::string wanted = lower(name);  // host names are case-insensitive
    for (const Server& s : servers)
        if (lower(s.name) == wanted)
            return &s;
    return nullptr;
}

const Server& Topology::at(std::string_view name) const
{
    const Server* found = find(name);
    CHU_ASSERT(found);
    return *found;
}

const Server& Topology::bootstrap() const
{
    return with_role(*this, Role::bootstrap);
}

const Server& Topology::secondary() const
{
    return with_role(*this, Role::secondary);
}

std::vector<const Server*> Topology::frontends() const
{
    std::vector<const Server*> out;
    for (const Server& s : servers)
        if (s.role == Role::frontend)
            out.push_back(&s);
    return out;
}

Result<const Server*> locate_node(const Topology& topology, const std::string& node)
{
    if (const Server* s = topology.find(node))
        return s;
    std::string names;
    for (const Server& s : topology.servers)
        names += (names.empty() ? "" : ", ") + s.name;
    return Error{"node \"" + node + "\" is not in " + topology.file +
                 " (servers there: " + (names.empty() ? std::string("none") : names) + ")"};
}

std::string topology_digest(const Topology& topology)
{
    std::vector<const Server*> sorted;
    for (const Server& s : topology.servers)
        sorted.push_back(&s);
    std::sort(sorted.begin(), sorted.end(), [](const Server* a, const Server* b) { return a->name < b->name; });

    std::string canonical = "chef-ha-upgrade topology 2\n";
    for (const Server* s : sorted)
        canonical +=
            "server " + field(s->name) + field(role_name(s->role)) + field(s->ipaddress) + field(s->cluster_ipaddress) + "\n";
    canonical += "backend_vip " + field(topology.backend_vip) + field(topology.backend_vip_ipaddress) +
                 field(topology.backend_vip_device) + field(topology.backend_vip_heartbeat_device) + "\n";
    canonical += "api_fqdn " + field(topology.api_fqdn) + "\n";
    return sha256_hex(canonical);
}

}  // namespace chu
