// The runit services a simulated node has, release by release and role by role, and what their service
// directories hold (keepalive_me, down). Sources, per release, in the private-chef cookbook:
//   which services a role enables: recipes/default.rb's loop over `node['private_chef'][NAME]['enable']`, with
//     libraries/private_chef.rb gen_frontend / gen_backend turning some off (opscode-omnibus 1.4.6 and
//     11.1.8, 12.0.8; chef-server 12.4.1 gen_frontend_default / gen_backend_default); recipes/nagios.rb (1.4.6)
//     adds fcgiwrap and php-fpm, recipes/opscode-expander.rb the reindexer (in 12.3.1, not in 12.4.1: commit
//     56c156bc7)
//   keepalive_me: enterprise-chef-common definitions/component_runit_service.rb (0.3.0 for 11.1.8, 0.5.1 for
//     12.x) writes it into every `ha` service's directory; 1.4.6 has none (cluster.sh reads the attributes)
//   down files: component_runit_service 0.5.1 creates one for every keepalive_me service; 0.3.0 does not
#include "simchef.hpp"

#include <algorithm>

namespace simchef {

namespace {

struct Release {
    const char* since;
    std::vector<std::string> backend, frontend;
};

// Newest first. opscode-chef-mover is added on the bootstrap only (below).
const Release releases[] = {
    {"12.4.0",
     {"bookshelf", "keepalived", "nginx", "oc_bifrost", "oc_id", "opscode-erchef", "opscode-expander", "opscode-solr4",
      "postgresql", "rabbitmq", "redis_lb"},
     {"nginx", "oc_bifrost", "oc_id", "opscode-erchef"}},
    {"12.0.0",
     {"bookshelf", "keepalived", "nginx", "oc_bifrost", "oc_id", "opscode-erchef", "opscode-expander",
      "opscode-expander-reindexer", "opscode-solr4", "postgresql", "rabbitmq", "redis_lb"},
     {"nginx", "oc_bifrost", "oc_id", "opscode-erchef"}},
    {"11.0.0",
     {"bookshelf", "couchdb", "keepalived", "nginx", "oc_bifrost", "opscode-account", "opscode-certificate", "opscode-erchef",
      "opscode-expander", "opscode-expander-reindexer", "opscode-org-creator", "opscode-solr", "opscode-webui", "postgresql",
      "rabbitmq", "redis_lb"},
     {"nginx", "oc_bifrost", "opscode-account", "opscode-certificate", "opscode-erchef", "opscode-webui"}},
    // bookshelf is off by default in 1.4.6 (attributes/default.rb).
    {"1.4.0",
     {"couchdb",
      "fcgiwrap",
      "keepalived",
      "nagios",
      "nginx",
      "nrpe",
      "opscode-account",
      "opscode-authz",
      "opscode-certificate",
      "opscode-chef",
      "opscode-erchef",
      "opscode-expander",
      "opscode-expander-reindexer",
      "opscode-org-creator",
      "opscode-solr",
      "opscode-webui",
      "php-fpm",
      "postgresql",
      "rabbitmq",
      "redis"},
     {"nginx", "nrpe", "opscode-account", "opscode-authz", "opscode-certificate", "opscode-chef", "opscode-erchef",
      "opscode-webui"}},
};

std::vector<std::string> release_services(const Node& node, const std::string& version)
{
    for (const auto& r : releases) {
        if (compare_versions(version, r.since) < 0)
            continue;
        std::vector<std::string> out = node.backend() ? r.backend : r.frontend;
        // gen_backend: `opscode_chef_mover.enable = !!bootstrap` (11.1.8, 12.0.8, 12.4.1).
        if (node.role == "bootstrap" && major_version(version) >= 11)
            out.push_back(chef_mover);
        std::sort(out.begin(), out.end());
        return out;
    }
    return {};
}

bool in(const std::vector<std::string>& list, const std::string& item)
{
    return std::find(list.begin(), list.end(), item) != list.end();
}

// The previous release's services an upgrade to `version` leaves enabled and down until cleanup removes them:
// 12's removed_services (attributes/default.rb, 12.0.8-12.4.1; post_12_upgrade_cleanup.rb), and the 1.4 services
// the EC 11.1 HA upgrade notes say "will remain down/unavailable" (post_11_upgrade_cleanup.rb; opscode-authz,
// which that recipe removes too, is already gone: EC 11's recipes/oc_bifrost.rb stops and deletes it).
bool removed_by_cleanup(const std::string& version, const std::string& service)
{
    static const std::vector<std::string> after_12 = {
        "couchdb", "opscode-account", "opscode-certificate", "opscode-org-creator", "opscode-solr", "opscode-webui"};
    static const std::vector<std::string> after_11 = {"fcgiwrap", "nagios", "nrpe", "opscode-chef", "php-fpm", "redis"};
    return in(major_version(version) >= 12 ? after_12 : after_11, service);
}

bool upgraded_from_start(const Node& node, const NodeState& state)
{
    return compare_versions(state.configured, starting_version(node.flavor)) > 0;
}

}  // namespace

std::string starting_version(const std::string& flavor)
{
    return flavor == "ec11" ? "1.4.6" : "11.1.8";
}

bool leftover(const Node& node, const NodeState& state, const std::string& service)
{
    return upgraded_from_start(node, state) && !state.cleaned && removed_by_cleanup(state.configured, service) &&
           in(release_services(node, starting_version(node.flavor)), service);
}

// The configured release's services, and the starting release's it does not have: those cleanup removes until
// then, and any other (12.4.1 no longer defines opscode-expander-reindexer, commit 56c156bc7, and nothing
// removes or disables its service: it stays as it was). opscode-authz is deleted by EC 11's reconfigure.
std::vector<std::string> enabled_services(const Node& node, const NodeState& state)
{
    std::vector<std::string> out = release_services(node, state.configured);
    if (upgraded_from_start(node, state))
        for (const auto& service : release_services(node, starting_version(node.flavor)))
            if (!in(out, service) && service != "opscode-authz" &&
                (!state.cleaned || !removed_by_cleanup(state.configured, service)))
                out.push_back(service);
    std::sort(out.begin(), out.end());
    return out;
}

bool moves_with_vip(const Node& node, const std::string& service)
{
    // 1.4.6's `ha` attributes (gen_keepalived) name every backend service but nrpe; 11.1.8 and 12 every one
    // but keepalived and the mover (the reindexer takes the expander's, recipes/opscode-expander.rb).
    return node.backend() && service != "keepalived" && service != chef_mover && service != "nrpe";
}

bool keepalive_me(const Node& node, const NodeState& state, const std::string& service)
{
    // Written by the release that last configured the service: an old one's stays as the old release left it.
    const bool current = in(release_services(node, state.configured), service);
    const std::string release = current ? state.configured : starting_version(node.flavor);
    return major_version(release) >= 11 && moves_with_vip(node, service);
}

bool down_file(const Node& node, const NodeState& state, const std::string& service)
{
    return in(release_services(node, state.configured), service) && major_version(state.configured) >= 12 &&
           keepalive_me(node, state, service);
}

}  // namespace simchef
