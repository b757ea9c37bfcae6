// The cluster as /etc/opscode/private-chef.rb (or chef-server.rb) describes it: who is which role, where.
#pragma once

#include "result.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chu {

enum class Role { bootstrap, secondary, frontend };

const char* role_name(Role role);
std::optional<Role> role_named(std::string_view name);  // nullopt: not a role

struct Server {
    std::string name;  // the `server "fqdn"` entry: the node's name everywhere
    std::string ipaddress;
    std::string cluster_ipaddress;  // backends' heartbeat address; may be empty
    Role role = Role::frontend;
    int line = 0;  // where the server entry starts, for messages
};

struct Topology {
    std::string file;
    std::vector<Server> servers;  // in file order
    std::string api_fqdn;
    std::string backend_vip;
    std::string backend_vip_ipaddress;  // as written: "192.168.4.7", or "192.168.4.7/24"
    std::string backend_vip_device;
    std::string backend_vip_heartbeat_device;
    std::vector<std::string> notes;  // "file:line: ignored ..." for statements we do not use

    const Server* find(std::string_view name) const;
    const Server& at(std::string_view name) const;  // a node the core knows is in it: asserted
    const Server& bootstrap() const;
    const Server& secondary() const;
    std::vector<const Server*> frontends() const;  // in file order
};

// Parses and validates the Ruby subset Chef operators write in private-chef.rb. `file` names the source
// in messages. Refuses a topology that is not `ha`, that has not exactly two backends one of which is the
// bootstrap, or that has duplicate names or addresses.
Result<Topology> parse_topology(std::string_view text, const std::string& file);

// Finds this node in the topology; the error says which names the file has.
Result<const Server*> locate_node(const Topology& topology, const std::string& node);

// A digest of what the nodes must agree on (servers, roles, addresses, the VIP, api_fqdn), independent of
// formatting.
std::string topology_digest(const Topology& topology);

}  // namespace chu
