// Config file adapter: inih turns the text into (section, key, value) triples; this file checks and stores
// them in a Config, and finds the drop-ins.
#include "config/config_file.hpp"

#include "config/ini_file.hpp"
#include "config/text_file.hpp"

#include <algorithm>
#include <climits>
#include <filesystem>
#include <map>
#include <string_view>
#include <system_error>
#include <vector>

namespace chu {
namespace {

const Config& defaults()
{
    static const Config config;
    return config;
}

// Each setter stores `value` and returns "", or returns what is wrong with it and how to fix it.
using Setter = std::string (*)(const std::string& value, Config& config);

struct KeySpec {
    const char* name;
    Setter set;
};

struct SectionSpec {
    const char* name;
    std::vector<KeySpec> keys;
};

std::string ticked(const std::string& value)
{
    return "`" + value + "`";
}

std::string lowercase(std::string text)
{
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); });
    return text;
}

std::string set_text(const std::string& value, std::string& out)
{
    out = value;
    return {};
}

std::string set_bool(const std::string& value, bool& out)
{
    const std::string v = lowercase(value);
    if (v == "yes" || v == "true" || v == "on" || v == "1") {
        out = true;
        return {};
    }
    if (v == "no" || v == "false" || v == "off" || v == "0") {
        out = false;
        return {};
    }
    return ticked(value) + " is not a yes/no value; write yes or no (true/false, on/off and 1/0 work too)";
}

// Decimal digits only: a sign, a unit or hex is refused rather than guessed at.
std::string read_number(const std::string& value, const std::string& example, unsigned long long max, unsigned long long& out)
{
    if (value.empty())
        return "has no value; write a whole number, e.g. " + example;
    unsigned long long n = 0;
    for (char c : value) {
        if (c < '0' || c > '9')
            return ticked(value) + " is not a whole number; write digits only (no sign, spaces or unit), e.g. " + example;
        const unsigned digit = static_cast<unsigned>(c - '0');
        if (n > (max - digit) / 10)
            return ticked(value) + " is too large; the largest allowed is " + std::to_string(max);
        n = n * 10 + digit;
    }
    out = n;
    return {};
}

std::string set_unsigned(const std::string& value, unsigned& out, unsigned example)
{
    unsigned long long n = 0;
    std::string problem = read_number(value, std::to_string(example), UINT_MAX, n);
    if (problem.empty())
        out = static_cast<unsigned>(n);
    return problem;
}

// Whole seconds from 1 to `max`: a wait or a timeout that must end.
std::string set_seconds(const std::string& value, unsigned& out, unsigned example, unsigned max)
{
    unsigned n = 0;
    std::string problem = set_unsigned(value, n, example);
    if (problem.empty() && (n == 0 || n > max))
        problem =
            ticked(value) + " is out of range; give 1 to " + std::to_string(max) + " seconds, e.g. " + std::to_string(example);
    if (problem.empty())
        out = n;
    return problem;
}

std::string set_absolute_path(const std::string& value, std::string& out, const std::string& example)
{
    if (value.empty() || value.front() != '/')
        return ticked(value) + " is not an absolute path; write the full path starting with /, e.g. " + example;
    out = value;
    return {};
}

std::string set_port(const std::string& value, Config& config)
{
    unsigned port = 0;
    std::string problem = set_unsigned(value, port, defaults().cluster.port);
    if (!problem.empty())
        return problem;
    if (port < 1 || port > 65535)
        return ticked(value) + " is not a TCP port; use a number from 1 to 65535, e.g. " +
               std::to_string(defaults().cluster.port);
    config.cluster.port = static_cast<std::uint16_t>(port);
    return {};
}

std::string set_heartbeat(const std::string& value, Config& config)
{
    unsigned ms = 0;
    std::string problem = set_unsigned(value, ms, defaults().cluster.heartbeat_ms);
    if (!problem.empty())
        return problem;
    if (ms == 0)
        return "must be more than 0; write the milliseconds between heartbeats, e.g. " +
               std::to_string(defaults().cluster.heartbeat_ms);
    config.cluster.heartbeat_ms = ms;
    return {};
}

std::string set_sha256(const std::string& value, Config& config)
{
    const bool hex = std::all_of(value.begin(), value.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    });
    if (!value.empty() && (value.size() != 64 || !hex))
        return ticked(value) + " is not a SHA-256 digest; write the 64 hexadecimal characters `sha256sum PACKAGE` prints, "
                               "or leave it empty";
    // Lowercase, as sha256_hex() writes it, so digests compare as strings.
    config.upgrade.package_sha256 = lowercase(value);
    return {};
}

std::string set_cleanup(const std::string& value, Config& config)
{
    const std::string v = lowercase(value);
    if (v == "manual")
        config.upgrade.cleanup = CleanupMode::manual;
    else if (v == "auto")
        config.upgrade.cleanup = CleanupMode::automatic;
    else
        return ticked(value) + " is not a cleanup mode; write manual (wait for `chef-ha-upgrade-ctl approve`) or auto";
    return {};
}

std::string set_addons(const std::string& value, Config& config)
{
    const auto blank = [](char c) { return c == ' ' || c == '\t'; };
    std::vector<std::string> addons;
    if (!std::all_of(value.begin(), value.end(), blank)) {
        std::size_t start = 0;
        while (true) {
            const std::size_t comma = std::min(value.find(',', start), value.size());
            auto first = value.begin() + static_cast<std::ptrdiff_t>(start);
            auto last = value.begin() + static_cast<std::ptrdiff_t>(comma);
            while (first != last && blank(*first))
                ++first;
            while (last != first && blank(*(last - 1)))
                --last;
            std::string item(first, last);
            if (item.empty())
                return "the list " + ticked(value) +
                       " has an empty item; separate add-on names with single commas, e.g. "
                       "opscode-manage, opscode-reporting";
            if (std::find(addons.begin(), addons.end(), item) != addons.end())
                return "the list " + ticked(value) + " names " + ticked(item) + " twice; name each add-on once";
            addons.push_back(std::move(item));
            if (comma == value.size())
                break;
            start = comma + 1;
        }
    }
    config.upgrade.addons = std::move(addons);
    return {};
}

std::string set_retries(const std::string& v, Config& c)
{
    unsigned n = 0;
    std::string problem = set_unsigned(v, n, defaults().commands.retries);
    if (problem.empty() && n > 100)
        problem = ticked(v) + " is too many retries; use at most 100, e.g. " + std::to_string(defaults().commands.retries);
    if (problem.empty())
        c.commands.retries = n;
    return problem;
}

// [paths]: every one an absolute path, its default the packaged layout's.
std::vector<KeySpec> path_keys()
{
    using V = const std::string&;
    return {
        {"opscode_dir", [](V v, Config& c) { return set_absolute_path(v, c.paths.opscode_dir, defaults().paths.opscode_dir); }},
        {"state_dir", [](V v, Config& c) { return set_absolute_path(v, c.paths.state_dir, defaults().paths.state_dir); }},
        {"plans_dir", [](V v, Config& c) { return set_absolute_path(v, c.paths.plans_dir, defaults().paths.plans_dir); }},
        {"keepalived_dir",
         [](V v, Config& c) { return set_absolute_path(v, c.paths.keepalived_dir, defaults().paths.keepalived_dir); }},
        {"upgrades_dir",
         [](V v, Config& c) { return set_absolute_path(v, c.paths.upgrades_dir, defaults().paths.upgrades_dir); }},
        {"data_dir", [](V v, Config& c) { return set_absolute_path(v, c.paths.data_dir, defaults().paths.data_dir); }},
        {"version_manifest",
         [](V v, Config& c) { return set_absolute_path(v, c.paths.version_manifest, defaults().paths.version_manifest); }},
        {"open_source_chef_dir",
         [](V v, Config& c) {
             return set_absolute_path(v, c.paths.open_source_chef_dir, defaults().paths.open_source_chef_dir);
         }},
    };
}

const std::vector<SectionSpec>& schema()
{
    using V = const std::string&;
    static const std::vector<SectionSpec> sections = {
        {"cluster",
         {
             {"topology", [](V v, Config& c) { return set_text(v, c.cluster.topology); }},
             {"node", [](V v, Config& c) { return set_text(v, c.cluster.node); }},
             {"port", set_port},
             {"key_file", [](V v, Config& c) { return set_text(v, c.cluster.key_file); }},
             {"insecure", [](V v, Config& c) { return set_bool(v, c.cluster.insecure); }},
             {"heartbeat_ms", set_heartbeat},
             {"peer_timeout_ms",
              [](V v, Config& c) { return set_unsigned(v, c.cluster.peer_timeout_ms, defaults().cluster.peer_timeout_ms); }},
         }},
        {"upgrade",
         {
             {"plan", [](V v, Config& c) { return set_text(v, c.upgrade.plan); }},
             {"package", [](V v, Config& c) { return set_text(v, c.upgrade.package); }},
             {"package_sha256", set_sha256},
             {"auto_start", [](V v, Config& c) { return set_bool(v, c.upgrade.auto_start); }},
             {"cleanup", set_cleanup},
             {"max_parallel", [](V v, Config& c) { return set_unsigned(v, c.upgrade.max_parallel, 2); }},
             {"failover_wait_s",
              [](V v, Config& c) { return set_seconds(v, c.upgrade.failover_wait_s, defaults().upgrade.failover_wait_s, 3000); }},
             {"addons", set_addons},
             {"addons_path", [](V v, Config& c) { return set_text(v, c.upgrade.addons_path); }},
             {"accept_licenses", [](V v, Config& c) { return set_bool(v, c.upgrade.accept_licenses); }},
         }},
        {"commands",
         {
             {"chef_server_ctl",
              [](V v, Config& c) {
                  return set_absolute_path(v, c.commands.chef_server_ctl, defaults().commands.chef_server_ctl);
              }},
             {"private_chef_ctl",
              [](V v, Config& c) {
                  return set_absolute_path(v, c.commands.private_chef_ctl, defaults().commands.private_chef_ctl);
              }},
             {"dpkg", [](V v, Config& c) { return set_absolute_path(v, c.commands.dpkg, defaults().commands.dpkg); }},
             {"rpm", [](V v, Config& c) { return set_absolute_path(v, c.commands.rpm, defaults().commands.rpm); }},
             {"dpkg_deb", [](V v, Config& c) { return set_absolute_path(v, c.commands.dpkg_deb, defaults().commands.dpkg_deb); }},
             {"make", [](V v, Config& c) { return set_absolute_path(v, c.commands.make, defaults().commands.make); }},
             {"ruby", [](V v, Config& c) { return set_absolute_path(v, c.commands.ruby, defaults().commands.ruby); }},
             {"timeout_s", [](V v, Config& c) { return set_unsigned(v, c.commands.timeout_s, 3600); }},
             {"retries", set_retries},
         }},
        {"paths", path_keys()},
        {"hooks",
         {
             {"dir", [](V v, Config& c) { return set_absolute_path(v, c.hooks.dir, defaults().hooks.dir); }},
             {"timeout_s", [](V v, Config& c) { return set_seconds(v, c.hooks.timeout_s, defaults().hooks.timeout_s, 3600); }},
         }},
    };
    return sections;
}

const SectionSpec* find_section(std::string_view name)
{
    for (const SectionSpec& section : schema())
        if (name == section.name)
            return &section;
    return nullptr;
}

std::string section_names()
{
    std::string names;
    for (const SectionSpec& section : schema())
        names += std::string(names.empty() ? "" : ", ") + "[" + section.name + "]";
    return names;
}

std::string unknown_section(const std::string& name)
{
    return "unknown section [" + name + "]; use one of " + section_names();
}

std::string key_names(const SectionSpec& section)
{
    std::string names;
    for (const KeySpec& key : section.keys)
        names += std::string(names.empty() ? "" : ", ") + key.name;
    return names;
}

// Checks one key and stores it; "" when it is fine.
std::string set_value(const std::string& section, const std::string& name, const std::string& value, int line, Config& config,
                      std::map<std::string, int>& set_at)
{
    const SectionSpec* spec = find_section(section);
    if (!spec)
        return unknown_section(section);
    const auto key = std::find_if(spec->keys.begin(), spec->keys.end(), [&](const KeySpec& k) { return name == k.name; });
    if (key == spec->keys.end())
        return "unknown key `" + name + "` in [" + section + "]; the keys there are " + key_names(*spec);
    const std::string id = section + "." + name;
    const auto first = set_at.find(id);
    if (first != set_at.end())
        return "[" + section + "] " + name + " is set twice, first at line " + std::to_string(first->second) +
               "; keep one of the two lines";
    set_at.emplace(id, line);
    const std::string problem = key->set(value, config);
    return problem.empty() ? problem : "[" + section + "] " + name + ": " + problem;
}

// apply_config_text, also telling the caller on which line each key was set.
Status apply_text(const std::string& text, const std::string& file, Config& config, std::map<std::string, int>& set_at)
{
    Config updated = config;  // `config` stays as it was if the text has an error
    std::map<std::string, int> lines;
    IniHandlers handlers;
    handlers.on_section = [](const std::string& name, int) { return find_section(name) ? std::string() : unknown_section(name); };
    handlers.on_value = [&](const std::string& section, const std::string& key, const std::string& value, int line) {
        return set_value(section, key, value, line, updated, lines);
    };
    Status parsed = parse_ini(text, file, handlers);
    if (!parsed)
        return parsed;
    config = std::move(updated);
    set_at = std::move(lines);
    return Ok{};
}

struct Origin {
    std::size_t file_index = 0;  // order of application
    std::string file;
    int line = 0;
};

// The drop-ins in conf.d, sorted: like the shell's *.conf, hidden files (editor leftovers) do not match.
Result<std::vector<std::string>> dropin_names(const std::filesystem::path& dropin_dir)
{
    namespace fs = std::filesystem;
    std::error_code ec;
    std::vector<std::string> dropins;
    for (fs::directory_iterator it(dropin_dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        const bool conf = name.size() > 5 && name.front() != '.' && name.compare(name.size() - 5, 5, ".conf") == 0;
        std::error_code status_ec;
        if (conf && fs::is_regular_file(it->status(status_ec)))
            dropins.push_back(name);
    }
    if (ec && ec != std::errc::no_such_file_or_directory)
        return Error{dropin_dir.string() + ": cannot list the drop-in directory: " + ec.message() +
                     "; make it a readable directory or remove it"};
    std::sort(dropins.begin(), dropins.end());
    return dropins;
}

// peer_timeout_ms not above heartbeat_ms, said where it was set last: that setting made them disagree.
Error heartbeat_error(const Config::Cluster& cluster, const std::map<std::string, Origin>& origins, const std::string& path)
{
    const auto where = [&](const char* key) -> const Origin* {
        const auto found = origins.find(std::string("cluster.") + key);
        return found == origins.end() ? nullptr : &found->second;
    };
    const auto told = [&](const char* key, unsigned value) {
        const Origin* origin = where(key);
        return std::string(key) + " is " + std::to_string(value) +
               (origin ? " (set at " + origin->file + ":" + std::to_string(origin->line) + ")" : " (the default)");
    };
    const std::string what = "[cluster] peer_timeout_ms must be more than heartbeat_ms, or peers are declared lost "
                             "between two heartbeats; " +
                             told("peer_timeout_ms", cluster.peer_timeout_ms) + " and " +
                             told("heartbeat_ms", cluster.heartbeat_ms) +
                             "; raise peer_timeout_ms (about 5 heartbeats) or lower heartbeat_ms";
    const Origin* peer = where("peer_timeout_ms");
    const Origin* heartbeat = where("heartbeat_ms");
    const auto later = [](const Origin* a, const Origin* b) {
        if (!a)
            return b;
        if (!b)
            return a;
        return std::make_pair(a->file_index, a->line) > std::make_pair(b->file_index, b->line) ? a : b;
    };
    if (const Origin* blame = later(peer, heartbeat))
        return error_at(blame->file, blame->line, what);
    return Error{path + ": " + what};
}

}  // namespace

Status apply_config_text(const std::string& text, const std::string& file, Config& config)
{
    std::map<std::string, int> set_at;
    return apply_text(text, file, config, set_at);
}

Result<Config> load_config(const std::string& path, ConfigOrigins* origins_out)
{
    namespace fs = std::filesystem;

    Config config;
    std::map<std::string, Origin> origins;  // "section.key" -> where it was last set
    std::size_t applied_files = 0;
    const auto apply_file = [&](const std::string& file, const char* fix) -> Status {
        auto text = read_text_file(file);
        if (!text)
            return Error{text.error().message + "; " + fix};
        std::map<std::string, int> set_at;
        Status applied = apply_text(text.value(), file, config, set_at);
        if (!applied)
            return applied;
        for (const auto& [key, line] : set_at)
            origins[key] = Origin{applied_files, file, line};
        ++applied_files;
        return Ok{};
    };

    if (Status main = apply_file(path, "create it (the package installs a commented default) or give the right path"); !main)
        return main.error();

    const fs::path dropin_dir = fs::path(path).parent_path() / "conf.d";
    auto dropins = dropin_names(dropin_dir);
    if (!dropins)
        return dropins.error();
    for (const std::string& name : dropins.value())
        if (Status dropin = apply_file((dropin_dir / name).string(), "make it readable or remove it"); !dropin)
            return dropin.error();
    if (config.cluster.peer_timeout_ms <= config.cluster.heartbeat_ms)
        return heartbeat_error(config.cluster, origins, path);
    if (origins_out)
        for (const auto& [key, origin] : origins)
            (*origins_out)[key] = origin.file + ":" + std::to_string(origin.line);
    return config;
}

}  // namespace chu
