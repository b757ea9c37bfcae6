// Which cluster a seed upgrades, and the setup its nodes boot with.
#include "cluster.hpp"

#include "config/plan_file.hpp"

#include <sstream>
#include <stdexcept>

namespace chu::sim {

namespace {

Topology draw_topology(Random& random)
{
    const int frontends = static_cast<int>(random.pick(1, 18));
    std::ostringstream rb;
    rb << "topology \"ha\"\n";
    rb << "server \"be1.example.com\", :ipaddress => \"192.0.2.1\", :role => \"backend\", :bootstrap => true\n";
    rb << "server \"be2.example.com\", :ipaddress => \"192.0.2.2\", :role => \"backend\"\n";
    for (int i = 0; i < frontends; ++i)
        rb << "server \"fe" << i + 1 << ".example.com\", :ipaddress => \"192.0.2." << 10 + i << "\", :role => \"frontend\"\n";
    rb << "backend_vip \"192.0.2.100\", :ipaddress => \"192.0.2.100\", :device => \"eth0\"\n";
    auto topology = parse_topology(rb.str(), "sim/private-chef.rb");
    if (!topology)
        throw std::runtime_error("topology: " + topology.error().message);
    return topology.value();
}

}  // namespace

Cluster draw_cluster(Random& random)
{
    Cluster c;
    c.topology = draw_topology(random);
    const bool ec11 = random.chance(0.3);
    auto raw =
        load_plan(std::string(CHU_SOURCE_DIR) + "/conf/plans/" + (ec11 ? "enterprise-chef-11" : "chef-server-12") + ".plan", "");
    if (!raw)
        throw std::runtime_error("plan: " + raw.error().message);
    if (!ec11 && random.chance(0.3))
        c.config.upgrade.addons = random.chance(0.5) ? std::vector<std::string>{"opscode-manage"}
                                                     : std::vector<std::string>{"opscode-push-jobs-server", "opscode-manage"};
    c.config.upgrade.max_parallel = static_cast<unsigned>(random.pick(0, 3));
    c.config.upgrade.cleanup = random.chance(0.3) ? CleanupMode::automatic : CleanupMode::manual;
    c.config.upgrade.auto_start = random.chance(0.8);
    c.config.upgrade.package =
        random.chance(0.5) ? "/srv/chef-server-core_12.19.31-1_amd64.deb" : "/srv/chef-server-core-12.19.31-1.el7.x86_64.rpm";
    c.config.commands.retries = static_cast<unsigned>(random.pick(0, 3));
    if (random.chance(0.8))
        c.config.commands.timeout_s = static_cast<unsigned>(random.pick(5, 900));  // stalls (and read-only kills) come sooner
    auto plan = effective_plan(raw.value(), c.config);
    if (!plan)
        throw std::runtime_error("effective plan: " + plan.error().message);
    c.plan = plan.value();
    return c;
}

NodeSetup setup_of(const Cluster& cluster, const std::string& node)
{
    return make_setup(
        cluster.topology, cluster.plan, cluster.config, node,
        NodeFacts{"/usr/bin/private-chef-ctl", cluster.config.upgrade.package, package_format(cluster.config.upgrade.package)},
        "b2a1", "k1", "sim");
}

}  // namespace chu::sim
