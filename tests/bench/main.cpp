// chu-bench: the benchmarks of issue 7, one command, one table. Whole clusters of real daemons on loopback
// (tests/cluster), simulated Chef nodes (tests/simchef); figures only, never assertions, so not in ctest.
// Every cluster it starts is stopped and removed when its section ends, also on failure or Ctrl-C.
//
//   chu-bench [--quick] [--only coordination,procedure,ansible,footprint,distribution] [--nodes N,...]
//             [--idle-seconds S] [--ansible PATH]
#include "bench.hpp"
#include "sections.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <sstream>

using namespace chu::bench;

namespace {

const char* const usage =
    "usage: chu-bench [--quick] [--only SECTION,...] [--nodes N,...] [--idle-seconds S] [--ansible PATH]\n"
    "  sections: coordination (1), procedure (2), ansible (3, runs with procedure), footprint (4), distribution (5)\n"
    "  --nodes: section 1's cluster sizes (default 4,16,64,128)\n"
    "  --quick: small clusters and a 10 s idle measurement: checks the bench works, its figures mean little\n";

}  // namespace

int main(int argc, char** argv)
{
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--quick") {
            options.quick = true;
            options.idle_seconds = 10;
        } else if (a == "--only" && i + 1 < argc) {
            std::istringstream list(argv[++i]);
            for (std::string s; std::getline(list, s, ',');)
                options.only.push_back(s);
        } else if (a == "--idle-seconds" && i + 1 < argc) {
            options.idle_seconds = static_cast<unsigned>(std::atoi(argv[++i]));
        } else if (a == "--nodes" && i + 1 < argc) {
            std::istringstream list(argv[++i]);
            for (std::string n; std::getline(list, n, ',');)
                options.nodes.push_back(std::max(3, std::atoi(n.c_str())));
        } else if (a == "--ansible" && i + 1 < argc) {
            options.ansible = argv[++i];
        } else {
            std::fprintf(stderr, "%s", usage);
            return 2;
        }
    }
    if (options.wants("ansible") && !options.wants("procedure"))
        options.only.push_back("procedure");  // Ansible runs right after ours, against the same bound
    install_interrupt_handlers();

    Table table;
    Shared shared;
    const std::string load_before = load_average();
    int status = 0;
    struct Section {
        const char* name;
        void (*run)(Table&, const Options&, Shared&);
    };
    // The procedure before the footprint: the footprint shows the peak RSS of that run.
    for (const Section& s : {Section{"coordination", coordination}, Section{"procedure", procedure},
                             Section{"footprint", footprint}, Section{"distribution", distribution}}) {
        if (!options.wants(s.name))
            continue;
        try {
            s.run(table, options, shared);
        } catch (const Interrupted&) {
            std::fprintf(stderr, "chu-bench: interrupted; every cluster was stopped and removed\n");
            return 130;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "chu-bench: %s: %s\n", s.name, e.what());
            table.add("!", std::string(s.name) + " failed", "-", e.what());
            status = 1;
        }
    }
    std::printf("\nchu-bench on %s\nload average before / after: %s / %s%s\n\n", machine_line().c_str(), load_before.c_str(),
                load_average().c_str(), options.quick ? " (--quick: a smoke run)" : "");
    table.print();
    return status;
}
