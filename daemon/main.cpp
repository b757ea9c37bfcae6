// chef-ha-upgraded: the daemon behind chef-ha-upgrade.service.
#include "config/node_setup.hpp"

#include <cstdio>
#include <string>

using namespace chu;

namespace {

constexpr const char* default_config = "/etc/chef-ha-upgrade/chef-ha-upgrade.conf";
constexpr int exit_usage = 64;

void usage(std::FILE* out)
{
    std::fprintf(out,
                 "usage: chef-ha-upgraded [--config FILE] --check-config\n"
                 "       chef-ha-upgraded --version\n"
                 "  --config FILE    configuration (default %s; drop-ins in conf.d/ beside it)\n"
                 "  --check-config   load config, topology and plan; print this node's role, the leader and its\n"
                 "                   schedule; exit 0, or 78 with the problem (file:line)\n",
                 default_config);
}

// What `--check-config` prints: enough for an operator to see that this node will do the right thing.
int check_config(const std::string& path)
{
    auto loaded = load_node_setup(path);
    if (!loaded) {
        std::fprintf(stderr, "chef-ha-upgraded: %s\n", loaded.error().message.c_str());
        return exit_config_error;
    }
    const NodeSetup& s = loaded->setup;
    const Server& me = *s.topology.find(s.node);
    const Topology& t = s.topology;
    std::printf("config:    %s\n", path.c_str());
    std::printf("topology:  %s (2 backends, %zu frontends)\n", t.file.c_str(), t.frontends().size());
    for (const auto& note : t.notes)
        std::printf("           note: %s\n", note.c_str());
    std::printf("node:      %s, the %s (%s:%u)\n", s.node.c_str(), role_name(me.role), me.ipaddress.c_str(),
                static_cast<unsigned>(s.config.cluster.port));
    std::printf("leader:    %s (the bootstrap backend)\n", t.bootstrap().name.c_str());
    std::printf("plan:      %s (%s), phases 0-%zu\n", s.plan.name.c_str(), s.plan.title.c_str(), s.plan.phases.size() - 1);
    std::printf("package:   %s\n", s.facts.package.c_str());
    if (s.config.cluster.insecure)
        std::printf("security:  INSECURE: peer traffic is not encrypted or authenticated ([cluster] insecure = yes)\n");
    std::printf("\nschedule of %s (* = inside the downtime window):\n", s.node.c_str());
    bool downtime = false;
    int shown_phase = -1;
    for (std::size_t p = 0; p < s.plan.phases.size(); ++p) {
        const Phase& ph = s.plan.phases[p];
        downtime = downtime || ph.downtime_begins;
        for (const auto& item : loaded->schedule) {
            if (item.phase != static_cast<int>(p))
                continue;
            if (shown_phase != item.phase) {
                std::printf("%c phase %2zu  %s\n", downtime ? '*' : ' ', p, ph.title.c_str());
                shown_phase = item.phase;
            }
            const Step& st = ph.steps[static_cast<std::size_t>(item.step)];
            std::printf("              %s%s\n", describe(item.action).c_str(),
                        st.when.empty() ? "" : ("   (only if " + st.when + ")").c_str());
        }
        downtime = downtime && !ph.downtime_ends;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv)
{
    std::string config = default_config;
    bool check = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--config" && i + 1 < argc) {
            config = argv[++i];
        } else if (a == "--check-config") {
            check = true;
        } else if (a == "--version") {
            std::printf("chef-ha-upgraded %s\n", CHU_VERSION);
            return 0;
        } else if (a == "--help" || a == "-h") {
            usage(stdout);
            return 0;
        } else {
            std::fprintf(stderr, "chef-ha-upgraded: unknown argument \"%s\"\n", a.c_str());
            usage(stderr);
            return exit_usage;
        }
    }
    if (!check) {
        // This build has the foundation only: configuration, topology, plans and the coordination core.
        std::fprintf(stderr, "chef-ha-upgraded: this build checks configurations only; run with --check-config\n");
        return exit_usage;
    }
    return check_config(config);
}
