// What a node keeps in /etc/opscode (and /etc/NAME for add-ons): the tree init writes, and what the
// bootstrap's upgrade changes in it, the reason the runbooks copy it to every other node.
#include "opscode.hpp"

#include "simchef.hpp"

#include <sys/stat.h>

#include <cstdio>

namespace simchef {

namespace {

// A key file's look (64-column base64-ish lines), derived from the world so every node has the same.
std::string pem(const std::string& world, const std::string& label, const std::string& kind, int lines)
{
    const std::string body = secret(world, label, 64 * static_cast<std::size_t>(lines));
    std::string out = "-----BEGIN " + kind + "-----\n";
    for (int i = 0; i < lines; ++i)
        out += body.substr(64 * static_cast<std::size_t>(i), 64) + "\n";
    return out + "-----END " + kind + "-----\n";
}

std::string secrets_section(const std::string& world, const std::string& service, const std::vector<std::string>& keys)
{
    std::string out = "  \"" + service + "\": {\n";
    for (std::size_t i = 0; i < keys.size(); ++i)
        out += "    \"" + keys[i] + "\": \"" + secret(world, service + "." + keys[i], 60) + "\"" +
               (i + 1 < keys.size() ? ",\n" : "\n");
    return out + "  }";
}

// Adds a service's passwords to private-chef-secrets.json unless they are there already (re-runs).
void add_secrets(const std::string& world, const std::string& path, const std::string& service,
                 const std::vector<std::string>& keys)
{
    std::string json = read_file(path);
    const auto close = json.rfind('}');
    if (json.find("\"" + service + "\"") != std::string::npos || close == std::string::npos)
        return;
    json = trim(json.substr(0, close)) + ",\n" + secrets_section(world, service, keys) + "\n}\n";
    write_file(path, json, 0600);
}

}  // namespace

// partybus writes `{:major => M, :minor => N}.to_json` and a newline (partybus/bin/partybus at 12.0.8); the
// latest migration is 1.7 in Private Chef 1.4.6, 1.13 in EC 11.1, 1.21 in Chef Server 12.0.8 (the highest file
// in files/private-chef-upgrades/001/ at each tag; chef-web-docs upgrade_server_ha_notes gives the first two).
int latest_migration(const std::string& version)
{
    const int major = major_version(version);
    return major >= 12 ? 21 : major == 11 ? 13 : 7;
}

std::string migration_level(const std::string& version)
{
    return "{\"major\":1,\"minor\":" + std::to_string(latest_migration(version)) + "}";
}

void write_opscode(const Node& node)
{
    const std::string& dir = node.opscode_dir;
    const std::string& world = node.world;
    make_dirs(dir + "/ssl");
    write_file(dir + "/private-chef-secrets.json",
               "{\n" + secrets_section(world, "rabbitmq", {"password", "jobs_password"}) + ",\n" +
                   secrets_section(world, "postgresql", {"sql_password", "sql_ro_password"}) + ",\n" +
                   secrets_section(world, "opscode_erchef", {"sql_password"}) + ",\n" +
                   secrets_section(world, "oc_bifrost", {"superuser_id", "sql_password"}) + ",\n" +
                   secrets_section(world, "keepalived", {"vrrp_instance_password"}) + ",\n" +
                   secrets_section(world, "drbd", {"shared_secret"}) + "\n}\n",
               0600);
    write_file(dir + "/pivotal.pem", pem(world, "pivotal", "RSA PRIVATE KEY", 25), 0600);
    write_file(dir + "/webui_priv.pem", pem(world, "webui", "RSA PRIVATE KEY", 25), 0600);
    write_file(dir + "/webui_pub.pem", pem(world, "webui.pub", "PUBLIC KEY", 6), 0644);
    write_file(dir + "/ssl/chef-server.crt", pem(world, "certificate", "CERTIFICATE", 18), 0644);
    replace_symlink("chef-server.crt", dir + "/ssl/current.crt");
}

void upgrade_opscode(const Node& node, const std::string& version)
{
    // Every change is deterministic, so an upgrade re-run after a kill ends with the same tree.
    const std::string& dir = node.opscode_dir;
    const bool chef12 = major_version(version) >= 12;
    write_file(dir + (chef12 ? "/chef-server-running.json" : "/private-chef-running.json"),
               "{\n  \"private_chef\": {\n    \"version\": \"" + version +
                   "\",\n    \"topology\": \"ha\",\n    \"role\": \"backend\"\n  }\n}\n",
               0600);
    if (!chef12) {
        add_secrets(node.world, dir + "/private-chef-secrets.json", "oc_id", {"secret_key_base", "sql_password"});
        return;
    }
    add_secrets(node.world, dir + "/private-chef-secrets.json", "redis_lb", {"password"});
    write_file(dir + "/pivotal.pem", pem(node.world, "pivotal-12", "RSA PRIVATE KEY", 25), 0600);
    // Chef Server 12 reads chef-server.rb and leaves private-chef.rb as a link to it.
    const std::string old_rb = dir + "/private-chef.rb", new_rb = dir + "/chef-server.rb";
    struct stat st {};
    if (lstat(old_rb.c_str(), &st) == 0 && S_ISREG(st.st_mode) && !exists(new_rb))
        std::rename(old_rb.c_str(), new_rb.c_str());
    if (!exists(old_rb) && exists(new_rb))
        replace_symlink("chef-server.rb", old_rb);
}

std::string addon_dir(const Node& node, const std::string& addon)
{
    return dir_of(node.opscode_dir) + "/" + addon;
}

std::string write_addon_config(const Node& node, const std::string& addon)
{
    const std::string dir = addon_dir(node, addon);
    make_dirs(dir);
    write_file(dir + "/" + addon + "-secrets.json",
               "{\n" + secrets_section(node.world, addon, {"sql_password", "rabbitmq_password"}) + "\n}\n", 0600);
    return tree_digest(dir);
}

}  // namespace simchef
