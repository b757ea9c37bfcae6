// parse_topology on arbitrary text: /etc/opscode/private-chef.rb as an operator (or a bad edit) left it.
// What it accepts is a topology the rest of the daemon can rely on.
#include "core/topology.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto topology = chu::parse_topology(text, "private-chef.rb");
    if (!topology) {
        CHU_FUZZ_CHECK(topology.error().message.rfind("private-chef.rb", 0) == 0);  // names the file
        return 0;
    }
    const chu::Topology& t = topology.value();
    int backends = 0, bootstraps = 0;
    for (const auto& server : t.servers) {
        backends += server.role != chu::Role::frontend;
        bootstraps += server.role == chu::Role::bootstrap;
        CHU_FUZZ_CHECK(!server.name.empty());
        auto me = chu::locate_node(t, server.name);
        CHU_FUZZ_CHECK(me && me.value() == t.find(server.name));
    }
    CHU_FUZZ_CHECK(backends == 2 && bootstraps == 1);
    CHU_FUZZ_CHECK(t.bootstrap().role == chu::Role::bootstrap && t.secondary().role == chu::Role::secondary);
    CHU_FUZZ_CHECK(chu::topology_digest(t) == chu::topology_digest(t));
    return 0;
}
