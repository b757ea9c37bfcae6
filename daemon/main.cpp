// chef-ha-upgraded: the daemon behind chef-ha-upgrade.service.
#include "checks/package_facts.hpp"
#include "child_commands.hpp"
#include "config/node_setup.hpp"
#include "config/text_file.hpp"
#include "core/assert.hpp"
#include "core/rehearsal.hpp"
#include "daemon.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

using namespace chu;

namespace {

constexpr const char* default_config = "/etc/chef-ha-upgrade/chef-ha-upgrade.conf";
constexpr int exit_usage = 64;

void usage(std::FILE* out)
{
    std::fprintf(out,
                 "usage: chef-ha-upgraded [--config FILE] [--check-config | --rehearse]\n"
                 "       chef-ha-upgraded --version\n"
                 "  --config FILE    configuration (default %s; drop-ins in conf.d/ beside it)\n"
                 "  --check-config   load config, topology and plan; print this node's role, the leader and its\n"
                 "                   schedule; exit 0, or 78 with the problem (file:line)\n"
                 "  --rehearse       a preflight rehearsal (chef-ha-upgrade-preflight.service): join the cluster, run\n"
                 "                   the preflight checks on every node, report, change nothing\n"
                 "Otherwise: run this node's part of the upgrade (the chef-ha-upgrade service).\n"
                 "Exit status: 0 stopped on request; 1 runtime failure (systemd restarts it); 78 bad configuration.\n",
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
    NodeSetup& s = loaded->setup;
    read_package_facts(s.config, s.facts);
    const Server& me = *s.topology.find(s.node);
    const Topology& t = s.topology;
    std::printf("config:    %s\n", path.c_str());
    std::printf("topology:  %s (2 backends, %zu frontends)%s\n", t.file.c_str(), t.frontends().size(),
                t.file == kept_topology_path(s.config) ? ", as kept when the cluster joined" : "");
    for (const auto& note : t.notes)
        std::printf("           note: %s\n", note.c_str());
    if (!loaded->ruby_note.empty())
        std::printf("           note: %s\n", loaded->ruby_note.c_str());
    else
        std::printf("           read the same by Chef's Ruby (%s)\n", s.config.commands.ruby.c_str());
    std::printf("node:      %s, the %s (%s:%u)\n", s.node.c_str(), role_name(me.role), me.ipaddress.c_str(),
                static_cast<unsigned>(s.config.cluster.port));
    std::printf("leader:    %s (the bootstrap backend)\n", t.bootstrap().name.c_str());
    std::printf("plan:      %s (%s), phases 0-%zu\n", s.plan.name.c_str(), s.plan.title.c_str(), s.plan.phases.size() - 1);
    std::printf("package:   %s\n", s.facts.package.c_str());
    std::printf("versions:  %s\n", version_change(s.facts).c_str());
    if (!s.facts.package_problem.empty())
        std::printf("           %s\n", s.facts.package_problem.c_str());
    if (s.config.cluster.insecure)
        std::printf("security:  INSECURE: peer traffic is not encrypted or authenticated ([cluster] insecure = yes)\n");
    std::printf("\nschedule of %s (* = inside the downtime window):\n", s.node.c_str());
    const std::vector<bool> downtime = downtime_phases(s.plan);
    int shown_phase = -1;
    for (std::size_t p = 0; p < s.plan.phases.size(); ++p) {
        const Phase& ph = s.plan.phases[p];
        for (const auto& item : loaded->schedule) {
            if (item.phase != static_cast<int>(p))
                continue;
            if (shown_phase != item.phase) {
                std::printf("%c phase %2zu  %s\n", downtime[p] ? '*' : ' ', p, ph.title.c_str());
                shown_phase = item.phase;
            }
            const Step& st = ph.steps[static_cast<std::size_t>(item.step)];
            std::printf("              %s%s\n", describe(item.action).c_str(),
                        st.when.kind == Condition::Kind::always ? "" : ("   (only if " + condition_text(st.when) + ")").c_str());
        }
    }
    return 0;
}

std::string self_path()
{
    char path[PATH_MAX] = {};
    const ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    std::string self = n > 0 ? std::string(path, static_cast<std::size_t>(n)) : "/usr/sbin/chef-ha-upgraded";
    // After a package upgrade replaced the binary, the new one is the right one to run.
    const std::string deleted = " (deleted)";
    if (self.size() > deleted.size() && self.compare(self.size() - deleted.size(), deleted.size(), deleted) == 0)
        self.erase(self.size() - deleted.size());
    return self;
}

// A rehearsal journals in a directory of its own under the state dir, new each time and removed when it
// ends: it is never resumed, and a real start never sees it.
std::string rehearsal_dir(const Config& config)
{
    return config.paths.state_dir + "/rehearsal";
}

// Its journal and its steps' output files (systemd/log.hpp): a rehearsal keeps nothing once it stops.
void remove_rehearsal(const std::string& dir)
{
    const std::string journal = dir + "/journal";
    std::error_code ec;
    std::filesystem::remove_all(dir + "/output", ec);
    if (ec)
        std::fprintf(stderr, "chef-ha-upgraded: cannot remove the rehearsal's %s/output: %s\n", dir.c_str(),
                     ec.message().c_str());
    if ((unlink(journal.c_str()) != 0 && errno != ENOENT) || (rmdir(dir.c_str()) != 0 && errno != ENOENT))
        std::fprintf(stderr, "chef-ha-upgraded: cannot remove the rehearsal's %s: %s\n", dir.c_str(), std::strerror(errno));
}

Status begin_rehearsal(NodeSetup& s)
{
    const std::string marker = s.config.paths.state_dir + "/" + underway_marker;
    if (access(marker.c_str(), F_OK) == 0)
        return Error{"an upgrade is under way on this node (" + marker +
                         "): no rehearsal while it runs; see chef-ha-upgrade-ctl status",
                     ErrorKind::config};
    if (mkdir(s.config.paths.state_dir.c_str(), 0700) != 0 && errno != EEXIST)
        return Error{"cannot create the state directory " + s.config.paths.state_dir + ": " + std::strerror(errno)};
    s = rehearsal_setup(s);
    s.config.paths.state_dir = rehearsal_dir(s.config);
    remove_rehearsal(s.config.paths.state_dir);  // what a killed rehearsal left
    return Ok{};
}

// A broken invariant of the core, in the daemon's log (journald reads the <2> as its priority) before the
// abort; systemd restarts the daemon, which resumes from its journal.
void say_assertion(const char* what, const char* file, int line)
{
    std::fprintf(stderr, "<2>internal error (please report it): %s:%d: %s does not hold; stopping\n", file, line, what);
    std::fflush(stderr);
}

int run_daemon(const std::string& config, bool rehearse)
{
    set_assert_handler(say_assertion);
    auto loaded = load_node_setup(config);
    if (!loaded) {
        std::fprintf(stderr, "chef-ha-upgraded: %s\n", loaded.error().message.c_str());
        return exit_config_error;
    }
    if (rehearse) {
        if (auto begun = begin_rehearsal(loaded->setup); !begun) {
            std::fprintf(stderr, "chef-ha-upgraded: %s\n", begun.error().message.c_str());
            return begun.error().kind == ErrorKind::config ? exit_config_error : 1;
        }
    }
    // The package's digest goes into the join's agreement: every node must hold the same bytes.
    read_package_facts(loaded->setup.config, loaded->setup.facts);
    auto digest = file_sha256(loaded->setup.facts.package);
    loaded->setup.package_digest = digest ? digest.value() : std::string();
    // The daemon's children run in /: they must get the config by an absolute path.
    char absolute[PATH_MAX];
    const std::string journal_dir = loaded->setup.config.paths.state_dir;
    const int status =
        Daemon(std::move(loaded.value()), realpath(config.c_str(), absolute) ? absolute : config, self_path()).run();
    if (rehearse)
        remove_rehearsal(journal_dir);
    return status;
}

}  // namespace

int main(int argc, char** argv)
{
    std::string config = default_config;
    bool check = false, rehearse = false, support_part = false;
    // Internal: the daemon runs these as its own children (see child_commands.hpp).
    std::string pack_dir, install_file, out, dir;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool has_value = i + 1 < argc;
        if (a == "--config" && has_value) {
            config = argv[++i];
        } else if (a == "--check-config") {
            check = true;
        } else if (a == "--rehearse") {
            rehearse = true;
        } else if (a == "--pack-archive" && has_value) {
            pack_dir = argv[++i];
        } else if (a == "--install-archive" && has_value) {
            install_file = argv[++i];
        } else if (a == "--support-part") {
            support_part = true;
        } else if (a == "--out" && has_value) {
            out = argv[++i];
        } else if (a == "--dir" && has_value) {
            dir = argv[++i];
        } else if (a == "--version") {
            std::printf("chef-ha-upgraded %s\n", daemon_version());
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
    if (!pack_dir.empty() && !out.empty())
        return pack_archive_command(pack_dir, out);
    if (!install_file.empty() && !dir.empty())
        return install_archive_command(config, install_file, dir);
    if (support_part && !out.empty())
        return support_part_command(config, self_path(), out);
    if (check)
        return check_config(config);
    return run_daemon(config, rehearse);
}
