// chef-ha-upgrade-check: one preflight check, run by the daemon as a check step's child. A program of its
// own, linked without the bus, ZeroMQ and libarchive: preflight starts one per check on every node at once,
// and loading the daemon's libraries was most of what each cost.
#include "checks/check_report.hpp"
#include "checks/checks.hpp"
#include "checks/package_facts.hpp"
#include "config/node_setup.hpp"
#include "core/utf8.hpp"

#include <cstdio>
#include <string>

using namespace chu;

namespace {

constexpr int exit_usage = 64;

void usage(std::FILE* out)
{
    std::fprintf(out, "usage: chef-ha-upgrade-check --config FILE [--rehearse] CHECK\n"
                      "Runs one of the plan's preflight checks on this node, as the daemon's check steps do: its\n"
                      "report on stdout (one chu-check/1 frame), its verdict on stderr; exit 0 when it passed.\n"
                      "CHECK is one of the plan's `check =` names (chef-ha-upgrade.conf(5)).\n");
}

int run(const std::string& config_path, const std::string& name, bool rehearsal)
{
    auto loaded = load_node_setup(config_path);
    if (!loaded) {
        std::fprintf(stderr, "%s\n", loaded.error().message.c_str());
        return 1;
    }
    NodeSetup& s = loaded->setup;
    s.plan.rehearsal = rehearsal;
    if (name == "package")
        read_package_facts(s.config, s.facts);
    const CheckVerdict verdict = run_check(name, s.config, s.plan, s.facts, s.node);
    const CheckReport report{valid_utf8(verdict.value), valid_utf8(verdict.message)};  // as the runner reads lines
    std::fputs(encode_check_report(report).c_str(), stdout);
    std::fprintf(stderr, "%s\n", report.message.c_str());
    return verdict.ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv)
{
    std::string config, name;
    bool rehearse = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--config" && i + 1 < argc) {
            config = argv[++i];
        } else if (a == "--rehearse") {
            rehearse = true;
        } else if (a == "--help" || a == "-h") {
            usage(stdout);
            return 0;
        } else if (name.empty() && !a.empty() && a[0] != '-') {
            name = a;
        } else {
            std::fprintf(stderr, "chef-ha-upgrade-check: unknown argument \"%s\"\n", a.c_str());
            usage(stderr);
            return exit_usage;
        }
    }
    if (config.empty() || name.empty()) {
        usage(stderr);
        return exit_usage;
    }
    return run(config, name, rehearse);
}
