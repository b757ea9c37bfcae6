#include "ruby_reading.hpp"

namespace chu {

namespace {

std::vector<std::string> fields_of(const std::string& line)
{
    std::vector<std::string> out(1);
    for (std::size_t i = 0; i < line.size(); ++i) {
        if (line[i] == '\t') {
            out.emplace_back();
        } else if (line[i] == '\\' && i + 1 < line.size()) {
            const char c = line[++i];
            out.back() += c == 't' ? '\t' : c == 'n' ? '\n' : c;
        } else {
            out.back() += line[i];
        }
    }
    return out;
}

// One entry as both readings are compared: what it is and every value that matters.
std::string server_text(const std::string& name, const std::string& ip, const std::string& role, bool bootstrap,
                        const std::string& cluster_ip)
{
    return "server " + name + " (" + ip + ", " + role + (bootstrap ? ", bootstrap" : "") +
           (cluster_ip.empty() ? "" : ", heartbeat " + cluster_ip) + ")";
}

std::string vip_text(const std::string& name, const std::string& ip, const std::string& device, const std::string& heartbeat)
{
    return name.empty() ? "no backend_vip"
                        : "backend_vip " + name + " (" + ip + (device.empty() ? "" : ", " + device) +
                              (heartbeat.empty() ? "" : ", heartbeat " + heartbeat) + ")";
}

std::string option(const RubyCall& c, const char* key)
{
    const auto it = c.options.find(key);
    return it == c.options.end() ? std::string() : it->second;
}

}  // namespace

Result<std::vector<RubyCall>> parse_ruby_calls(const std::string& text)
{
    std::vector<RubyCall> out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const auto end = text.find('\n', pos);
        const std::string line = text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
        pos = end == std::string::npos ? text.size() : end + 1;
        const auto f = fields_of(line);
        if (f.size() < 3 || (f[0] != "topology" && f[0] != "server" && f[0] != "backend_vip"))
            return Error{"cannot read the recorder's line \"" + line + "\""};
        RubyCall c{f[0], std::atoi(f[1].c_str()), f[2], {}};
        for (std::size_t k = 3; k < f.size(); ++k) {
            const auto eq = f[k].find('=');
            if (eq == std::string::npos)
                return Error{"cannot read the recorder's option \"" + f[k] + "\""};
            c.options[f[k].substr(0, eq)] = f[k].substr(eq + 1);
        }
        out.push_back(std::move(c));
    }
    return out;
}

std::string reading_difference(const Topology& topology, const std::vector<RubyCall>& calls)
{
    std::vector<std::pair<int, std::string>> ruby, reader;  // line, entry
    std::string ruby_vip = vip_text({}, {}, {}, {}), ruby_topology;
    for (const RubyCall& c : calls) {
        if (c.kind == "topology")
            ruby_topology = c.name;
        else if (c.kind == "backend_vip")
            ruby_vip = vip_text(c.name, option(c, "ipaddress"), option(c, "device"), option(c, "heartbeat_device"));
        else
            ruby.emplace_back(c.line, server_text(c.name, option(c, "ipaddress"), option(c, "role"),
                                                  option(c, "bootstrap") == "true", option(c, "cluster_ipaddress")));
    }
    for (const Server& s : topology.servers)
        reader.emplace_back(s.line, server_text(s.name, s.ipaddress, s.role == Role::frontend ? "frontend" : "backend",
                                                s.role == Role::bootstrap, s.cluster_ipaddress));
    if (ruby_topology != "ha")
        return "Ruby sees topology \"" + ruby_topology + "\"; the reader sees topology \"ha\"";
    for (std::size_t k = 0; k < std::max(ruby.size(), reader.size()); ++k) {
        if (k < ruby.size() && k < reader.size() && ruby[k].second == reader[k].second)
            continue;
        const std::string r = k < ruby.size() ? "line " + std::to_string(ruby[k].first) + ": " + ruby[k].second : "nothing more";
        const std::string m =
            k < reader.size() ? "line " + std::to_string(reader[k].first) + ": " + reader[k].second : "nothing more";
        return "server " + std::to_string(k + 1) + ": Ruby sees " + r + "; the reader sees " + m;
    }
    const std::string mine = vip_text(topology.backend_vip, topology.backend_vip_ipaddress, topology.backend_vip_device,
                                      topology.backend_vip_heartbeat_device);
    if (ruby_vip != mine)
        return "Ruby sees " + ruby_vip + "; the reader sees " + mine;
    return {};
}

}  // namespace chu
