// The topology as Chef's own Ruby reads it: the `topology`, `server` and `backend_vip` calls a recorder saw
// when it instance_eval'ed the file (config/embedded_ruby.cpp runs it), and how that compares with this
// project's reader. Where the two differ the cluster may be misread, and it is refused.
#pragma once

#include "result.hpp"
#include "topology.hpp"

#include <map>
#include <string>
#include <vector>

namespace chu {

struct RubyCall {
    std::string kind;  // topology, server, backend_vip
    int line = 0;
    std::string name;  // the first argument, as Ruby's to_s gives it
    std::map<std::string, std::string> options;
};

// The recorder's output: one call a line, `KIND\tLINE\tNAME\tKEY=VALUE...`, with `\\`, `\t` and `\n`
// escaped as two characters each.
Result<std::vector<RubyCall>> parse_ruby_calls(const std::string& text);

// "" when Ruby and the reader see the same cluster (topology, every server with its address, role,
// bootstrap and heartbeat address, in order, the VIP); otherwise both readings of the first difference.
std::string reading_difference(const Topology& topology, const std::vector<RubyCall>& calls);

}  // namespace chu
