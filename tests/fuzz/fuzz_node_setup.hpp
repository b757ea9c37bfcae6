// The cluster fuzz_node drives (and make_corpus writes its seeds for): 2 backends, 2 frontends, the
// chef-server-12 plan with an add-on, as every node would have loaded it.
#pragma once

#include "config/plan_file.hpp"
#include "core/node.hpp"
#include "fuzz_check.hpp"

#include <memory>

namespace chu::fuzz {

inline const char* const topology_text = R"(topology "ha"
server "be1.example.com", :ipaddress => "192.0.2.1", :role => "backend", :bootstrap => true
server "be2.example.com", :ipaddress => "192.0.2.2", :role => "backend"
server "fe1.example.com", :ipaddress => "192.0.2.3", :role => "frontend"
server "fe2.example.com", :ipaddress => "192.0.2.4", :role => "frontend"
)";
inline const char* const names[] = {"be1.example.com", "be2.example.com", "fe1.example.com", "fe2.example.com"};

inline const NodeSetup& setup_of(int which)
{
    static std::unique_ptr<NodeSetup> setups[4];
    if (!setups[which]) {
        Config config;
        config.upgrade.package = "/srv/chef-server-core_12.19.31-1_amd64.deb";
        config.upgrade.addons = {"opscode-push-jobs-server"};
        auto plan = load_plan(std::string(CHU_SOURCE_DIR) + "/conf/plans/chef-server-12.plan", "");
        CHU_FUZZ_CHECK(plan);
        setups[which] = std::make_unique<NodeSetup>(
            make_setup(parse_topology(topology_text, "private-chef.rb").value(), effective_plan(plan.value(), config).value(),
                       config, names[which], NodeFacts{"/usr/bin/private-chef-ctl", config.upgrade.package, PackageFormat::deb},
                       "pkg", "key", "fuzz"));
    }
    return *setups[which];
}

}  // namespace chu::fuzz
