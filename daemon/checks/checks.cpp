#include "checks/checks.hpp"

#include "config/text_file.hpp"

#include "core/digest.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>

namespace fs = std::filesystem;

namespace chu {

namespace {

constexpr std::uint64_t MiB = 1024 * 1024;
const char* const kRetry = "then: chef-ha-upgrade-ctl retry";

CheckVerdict pass(std::string message, std::string value = {})
{
    return CheckVerdict{true, std::move(value), std::move(message)};
}

CheckVerdict fail(const std::string& node, const std::string& message, std::string value = {})
{
    return CheckVerdict{false, std::move(value), node + ": " + message};
}

std::string mib_down(std::uint64_t bytes) { return std::to_string(bytes / MiB) + " MiB"; }
std::string mib_up(std::uint64_t bytes) { return std::to_string((bytes + MiB - 1) / MiB) + " MiB"; }

bool executable(const std::string& path)
{
    struct stat st {};
    return !path.empty() && stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

std::string trimmed(const std::string& text)
{
    const auto space = [](unsigned char c) { return std::isspace(c) != 0; };
    const auto first = std::find_if_not(text.begin(), text.end(), space);
    const auto last = std::find_if_not(text.rbegin(), text.rend(), space).base();
    return first < last ? std::string(first, last) : std::string();
}

std::string collapsed(const std::string& text)
{
    std::istringstream words(text);
    std::string word, out;
    while (words >> word)
        out += (out.empty() ? "" : " ") + word;
    return out;
}

// The ctl's name as the operator types it, for fixes that run it.
std::string ctl_name(const NodeFacts& facts)
{
    return facts.old_ctl.empty() ? "chef-server-ctl" : fs::path(facts.old_ctl).filename().string();
}

// A small state file, whole; unlike an ifstream, reading a directory is an error here.
Result<std::string> read_state_file(const std::string& path)
{
    const Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0)
        return Error{path + ": cannot read: " + std::strerror(errno)};
    std::string text;
    char buffer[4096];
    for (;;) {
        const ssize_t n = read(fd.get(), buffer, sizeof buffer);
        if (n > 0)
            text.append(buffer, static_cast<size_t>(n));
        else if (n == 0)
            return text;
        else if (errno != EINTR)
            return Error{path + ": cannot read: " + std::strerror(errno)};
    }
}

Result<std::string> read_prefix(int fd, const std::string& path, size_t size)
{
    std::string bytes(size, '\0');
    size_t done = 0;
    while (done < size) {
        const ssize_t n = pread(fd, bytes.data() + done, size - done, static_cast<off_t>(done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return Error{path + ": cannot read: " + std::strerror(errno)};
        if (n == 0)
            break;
        done += static_cast<size_t>(n);
    }
    bytes.resize(done);
    return bytes;
}

CheckVerdict check_package(const Config& config, const NodeFacts& facts, const std::string& node)
{
    const std::string& path = facts.package;
    const std::string set_it = "set [upgrade] package in chef-ha-upgrade.conf to the Chef Server package on this node";
    if (path.empty())
        return fail(node, "no package is set; " + set_it);
    struct stat st {};
    if (stat(path.c_str(), &st) != 0)
        return fail(node, path + ": " + std::strerror(errno) + "; copy the package there, or " + set_it);
    if (!S_ISREG(st.st_mode))
        return fail(node, path + ": is not a regular file; " + set_it);
    const Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0)
        return fail(node, path + ": cannot read: " + std::strerror(errno) + "; make it readable by root");

    const bool deb = facts.format == PackageFormat::deb;
    if (!deb && facts.format != PackageFormat::rpm)
        return fail(node, path + ": is neither a .deb nor a .rpm; " + set_it);
    const std::string magic = deb ? std::string("!<arch>\n") : std::string("\xed\xab\xee\xdb");
    auto head = read_prefix(fd.get(), path, magic.size());
    if (!head)
        return fail(node, head.error().message + "; make it readable by root");
    if (head.value() != magic)
        return fail(node, path + ": does not start like a " + (deb ? ".deb (an ar archive)" : ".rpm (an RPM lead)") +
                              "; it is damaged or not a package: copy the Chef Server package again, " + kRetry);

    const std::string tool = deb ? "dpkg" : "rpm";
    const std::string& tool_path = deb ? config.commands.dpkg : config.commands.rpm;
    if (!executable(tool_path))
        return fail(node, path + ": is a " + (deb ? ".deb" : ".rpm") + " package, but " + tool + " (" + tool_path +
                              ") is not executable here, so this OS probably needs the " + (deb ? ".rpm" : ".deb") +
                              " package: set [upgrade] package to it (or [commands] " + tool + " if " + tool +
                              " is elsewhere), " + kRetry);

    const std::string summary = path + ": a " + (deb ? ".deb" : ".rpm") + " package of " + mib_up(st.st_size);
    std::string expected = config.upgrade.package_sha256;
    if (expected.empty())
        return pass(summary + ", no package_sha256 to compare");
    std::transform(expected.begin(), expected.end(), expected.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto actual = file_sha256(fd.get(), path);
    if (!actual)
        return fail(node, actual.error().message + "; make it readable by root");
    if (actual.value() != expected)
        return fail(node, path + ": SHA-256 is " + actual.value() + ", but [upgrade] package_sha256 is " + expected +
                              "; the file is damaged or another version: copy the right package, or fix "
                              "package_sha256, " + kRetry);
    return pass(summary + ", SHA-256 matches package_sha256");
}

CheckVerdict check_ctl(const NodeFacts& facts, const std::string& node)
{
    if (executable(facts.old_ctl))
        return pass(facts.old_ctl + " is executable");
    return fail(node, "the Chef Server ctl \"" + facts.old_ctl +
                          "\" is missing or not executable; point [commands] chef_server_ctl (Chef Server 12) or "
                          "private_chef_ctl (Enterprise Chef 11) in chef-ha-upgrade.conf at this node's ctl, " +
                          kRetry);
}

// Which nodes need make is the plan's to say (the runbook: the bootstrap backend only).
CheckVerdict check_make(const Config& config, const std::string& node)
{
    const std::string& make = config.commands.make;
    if (executable(make))
        return pass(make + " is executable");
    return fail(node, "make is not executable at " + make +
                          " (the Chef Server upgrade runs it here; if make is elsewhere, set [commands] make): "
                          "install make (apt-get install make, or yum install make), " + kRetry);
}

CheckVerdict check_keepalived(const Config& config, const NodeFacts& facts, const std::string& node, bool want_master)
{
    const std::string path = config.paths.keepalived_dir + "/current_cluster_status";
    const std::string ctl = ctl_name(facts);
    auto text = read_state_file(path);
    if (!text)
        return fail(node, text.error().message + "; keepalived must run on this backend: check with `" + ctl +
                              " status keepalived`, start it with `" + ctl + " start keepalived`, " + kRetry);
    const std::string state = trimmed(text.value());
    if (!want_master)
        return pass("keepalived: " + state, state);
    if (state == "master")
        return pass("keepalived: master", state);
    return fail(node, path + " says \"" + state + "\", but the bootstrap must be the keepalived master: run `" + ctl +
                          " stop keepalived` on the secondary so this node takes over, wait until the file says "
                          "master, " + kRetry,
                state);
}

CheckVerdict check_migration_level(const Config& config, const std::string& node)
{
    const std::string path = config.paths.upgrades_dir + "/migration-level";
    struct stat st {};
    if (stat(path.c_str(), &st) != 0 && errno == ENOENT)
        return pass(path + " does not exist: no migration level", "none");
    auto text = read_state_file(path);
    if (!text)
        return fail(node, text.error().message + "; make it readable by root, " + kRetry);
    const std::string level = collapsed(text.value());
    return pass("migration level " + level + " (" + path + ")", level);
}

// The nearest existing ancestor of `path` (itself if it exists): where its files would land.
std::string existing_ancestor(const std::string& path)
{
    std::error_code ec;
    fs::path at = fs::absolute(path, ec).lexically_normal();
    struct stat st {};
    while (stat(at.c_str(), &st) != 0 && at.has_relative_path())
        at = at.parent_path();
    return at.string();
}

Result<std::uint64_t> tree_size(const std::string& dir)
{
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(dir, ec)))
        return std::uint64_t{0};
    std::uint64_t total = 0;
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->symlink_status(ec).type() == fs::file_type::regular && !ec)
            total += it->file_size(ec);
        if (ec)
            break;
    }
    if (ec)
        return Error{dir + ": cannot measure: " + ec.message()};
    return total;
}

CheckVerdict check_disk_space(const Config& config, const NodeFacts& facts, const std::string& node)
{
    DiskSpace space;
    space.package = facts.package;
    struct stat st {};
    if (stat(facts.package.c_str(), &st) != 0)
        return fail(node, "cannot weigh the package \"" + facts.package + "\": " + std::strerror(errno) +
                              "; see the package check, " + kRetry);
    space.package_size = static_cast<std::uint64_t>(st.st_size);
    space.opscode_dir = config.paths.opscode_dir;
    auto opscode = tree_size(config.paths.opscode_dir);
    if (!opscode)
        return fail(node, opscode.error().message + "; make it readable by root, " + kRetry);
    space.opscode_size = opscode.value();

    // Free space as an unprivileged writer sees it: the blocks reserved for root are the system's margin.
    const auto measure = [](const std::string& path, std::uint64_t& available, dev_t& device) {
        struct stat st {};
        struct statvfs fsinfo {};
        if (stat(path.c_str(), &st) != 0 || statvfs(path.c_str(), &fsinfo) != 0)
            return false;
        available = std::uint64_t{fsinfo.f_bavail} * fsinfo.f_frsize;
        device = st.st_dev;
        return true;
    };
    dev_t opt_device = 0, state_device = 0;
    space.opt_path = existing_ancestor("/opt");
    space.state_path = existing_ancestor(config.paths.state_dir);
    if (!measure(space.opt_path, space.opt_free, opt_device))
        return fail(node, space.opt_path + ": cannot measure free space: " + std::strerror(errno) + "; " + kRetry);
    if (!measure(space.state_path, space.state_free, state_device))
        return fail(node, space.state_path + ": cannot measure free space: " + std::strerror(errno) + "; " + kRetry);
    space.same_filesystem = opt_device == state_device;
    return judge_disk_space(space, node);
}

}  // namespace

CheckVerdict judge_disk_space(const DiskSpace& space, const std::string& node)
{
    const std::uint64_t opt_need = 2 * space.package_size + 100 * MiB;
    const std::uint64_t state_need = 2 * space.opscode_size + 10 * MiB;
    const std::string for_package = mib_up(opt_need) + " for the package " + space.package + " (twice its " +
                                    mib_up(space.package_size) + ", plus 100 MiB)";
    const std::string for_backups = mib_up(state_need) + " for backups of " + space.opscode_dir + " (twice its " +
                                    mib_up(space.opscode_size) + ", plus 10 MiB)";
    const std::string fix = "; free space there, " + std::string(kRetry);
    if (space.same_filesystem) {
        if (space.opt_free < opt_need + state_need)
            return fail(node, space.opt_path + " and " + space.state_path + " share a filesystem with " +
                                  mib_down(space.opt_free) + " free; it needs " + mib_up(opt_need + state_need) +
                                  ": " + for_package + " and " + for_backups + fix);
    } else if (space.opt_free < opt_need) {
        return fail(node, space.opt_path + " has " + mib_down(space.opt_free) + " free; it needs " + for_package + fix);
    } else if (space.state_free < state_need) {
        return fail(node,
                    space.state_path + " has " + mib_down(space.state_free) + " free; it needs " + for_backups + fix);
    }
    return pass(space.opt_path + ": " + mib_down(space.opt_free) + " free, " + mib_up(opt_need) + " needed; " +
                space.state_path + ": " + mib_down(space.state_free) + " free, " + mib_up(state_need) + " needed");
}

CheckVerdict run_check(const std::string& name, const Config& config, const NodeFacts& facts, const std::string& node)
{
    if (name == "package")
        return check_package(config, facts, node);
    if (name == "ctl")
        return check_ctl(facts, node);
    if (name == "disk-space")
        return check_disk_space(config, facts, node);
    if (name == "make")
        return check_make(config, node);
    if (name == "keepalived-master")
        return check_keepalived(config, facts, node, true);
    if (name == "keepalived-status")
        return check_keepalived(config, facts, node, false);
    if (name == "migration-level")
        return check_migration_level(config, node);
    std::string known;
    for (const std::string& check : check_names())
        known += (known.empty() ? "" : ", ") + check;
    return fail(node, "unknown check \"" + name + "\" (known: " + known + "); fix the plan's check = line");
}

}  // namespace chu
