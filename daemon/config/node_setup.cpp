#include "config/node_setup.hpp"

#include "config/embedded_ruby.hpp"

#include "config/config_file.hpp"
#include "config/plan_file.hpp"
#include "config/text_file.hpp"
#include "posix/posix.hpp"

#include <netdb.h>
#include <unistd.h>

#include <climits>

namespace chu {

std::string kept_topology_path(const Config& config)
{
    return config.paths.state_dir + "/topology.rb";
}

Status keep_topology(const LoadedSetup& loaded)
{
    const std::string kept = kept_topology_path(loaded.setup.config);
    if (access(kept.c_str(), F_OK) == 0)
        return Ok{};
    if (auto written = write_file_atomic(kept, loaded.topology_text, 0600); !written)
        return Error{"cannot keep the topology agreed at join: " + written.error().message + "; free the state directory's disk"};
    return Ok{};
}

std::string host_fqdn()
{
    char host[HOST_NAME_MAX + 1] = {};
    if (gethostname(host, sizeof host - 1) != 0)
        return {};
    addrinfo hints{};
    hints.ai_flags = AI_CANONNAME;
    addrinfo* info = nullptr;
    std::string name = host;
    if (getaddrinfo(host, nullptr, &hints, &info) == 0) {
        if (info && info->ai_canonname)
            name = info->ai_canonname;
        freeaddrinfo(info);
    }
    return name;
}

namespace {

// What the config says of this node's package and ctl; what the package itself says is read later (read_package_facts).
Result<NodeFacts> local_facts(const Config& c, const std::string& package_origin)
{
    NodeFacts facts;
    // Before the install the node's own ctl runs the steps: chef-server-ctl where present.
    facts.old_ctl =
        access(c.commands.chef_server_ctl.c_str(), X_OK) == 0 ? c.commands.chef_server_ctl : c.commands.private_chef_ctl;
    facts.package = c.upgrade.package;
    facts.format = package_format(c.upgrade.package);
    if (c.upgrade.package.empty())
        return Error{package_origin + ": [upgrade] package is not set; give the path of the Chef Server package on this node"};
    if (facts.format == PackageFormat::unknown)
        return Error{package_origin + ": [upgrade] package \"" + c.upgrade.package + "\" is neither a .deb nor a .rpm"};
    return facts;
}

}  // namespace

Result<LoadedSetup> load_node_setup(const std::string& config_path)
{
    ConfigOrigins origins;
    auto config = load_config(config_path, &origins);
    if (!config)
        return config.error();
    // "file:line" of a setting for a message about its value; the main file for a default.
    const auto origin = [&](const std::string& key) {
        const auto found = origins.find(key);
        return found == origins.end() ? config_path : found->second;
    };
    LoadedSetup out;
    const Config& c = config.value();

    const std::string kept = kept_topology_path(c);
    const bool joined = access(kept.c_str(), F_OK) == 0;
    const std::string topology_file = joined ? kept : c.cluster.topology;
    auto topo_text = read_text_file(topology_file);
    if (!topo_text)
        return Error{topo_text.error().message + (joined ? " (the topology kept at join)"
                                                         : " (set [cluster] topology in " + origin("cluster.topology") + ")")};
    out.topology_text = topo_text.value();
    auto topology = parse_topology(topo_text.value(), topology_file);
    if (!topology)
        return topology.error();
    if (auto same = compare_with_ruby(c.commands.ruby, topology_file, topology.value(), out.ruby_note); !same)
        return same.error();
    const std::string node = c.cluster.node.empty() ? host_fqdn() : c.cluster.node;
    auto me = locate_node(topology.value(), node);
    if (!me)
        return Error{me.error().message + "; set [cluster] node in " + origin("cluster.node")};

    auto raw = load_plan(c.upgrade.plan, c.paths.plans_dir);
    if (!raw)
        return raw.error();
    auto plan = effective_plan(raw.value(), c);
    if (!plan)
        return Error{origin("upgrade.addons") + ": " + plan.error().message};
    auto facts = local_facts(c, origin("upgrade.package"));
    if (!facts)
        return facts.error();
    auto schedule = node_schedule(plan.value(), me.value()->role, c, facts.value());
    if (!schedule)
        return Error{plan->file + ": " + schedule.error().message};
    out.schedule = std::move(schedule.value());

    // The key every node shares: an identifier of it (never the key) goes into the join's agreement.
    std::string key_id = "insecure";
    if (!c.cluster.insecure) {
        auto key = load_cluster_key(c);
        if (!key)
            return key.error();
        key_id = key->id;
        out.key = std::move(key.value());
    }
    // No package digest yet: it reads the whole package, once, at daemon start.
    out.setup = make_setup(std::move(topology.value()), std::move(plan.value()), c, node, std::move(facts.value()), "",
                           std::move(key_id), daemon_version());
    return out;
}

}  // namespace chu
