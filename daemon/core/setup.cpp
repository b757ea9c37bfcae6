#include "setup.hpp"

#include <utility>

namespace chu {

NodeSetup make_setup(Topology topology, Plan plan, Config config, std::string node, NodeFacts facts, std::string package_digest,
                     std::string key_id, std::string version)
{
    NodeSetup s;
    s.topology_digest = topology_digest(topology);
    s.plan_digest = plan_digest(plan);
    s.topology = std::move(topology);
    s.plan = std::move(plan);
    s.config = std::move(config);
    s.node = std::move(node);
    s.facts = std::move(facts);
    s.package_digest = std::move(package_digest);
    s.key_id = std::move(key_id);
    s.version = std::move(version);
    return s;
}

}  // namespace chu
