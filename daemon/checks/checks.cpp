#include "checks/checks.hpp"

#include "config/text_file.hpp"
#include "posix/posix.hpp"

#include "core/digest.hpp"
#include "core/version.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
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

std::string mib_down(std::uint64_t bytes)
{
    return std::to_string(bytes / MiB) + " MiB";
}
std::string mib_up(std::uint64_t bytes)
{
    return std::to_string((bytes + MiB - 1) / MiB) + " MiB";
}

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

// The package's own name and version, against the plan and what is installed.
CheckVerdict check_package_identity(const Plan& plan, const NodeFacts& facts, const std::string& node)
{
    const std::string& path = facts.package;
    const std::string wanted = plan.package_name + " " + std::to_string(plan.package_major) + ".x";
    const std::string fix = "; put the " + wanted + " package on this node, set [upgrade] package to it, " + kRetry;
    if (!facts.package_problem.empty())
        return fail(node, "cannot tell which package " + path + " is: " + facts.package_problem + "; " + kRetry);
    const std::string is = path + " is " + facts.package_name + " " + facts.package_version;
    if (!plan.package_name.empty() &&
        (facts.package_name != plan.package_name || major_version(facts.package_version) != plan.package_major))
        return fail(node, is + ", but plan " + plan.name + " installs " + wanted + fix);
    if (facts.installed_version.empty())
        return fail(node, "cannot tell which Chef is installed: its version manifest is missing or unreadable; point "
                          "[paths] version_manifest at it (first line \"private-chef 11.1.8\"), " +
                              std::string(kRetry));
    if (compare_versions(upstream_version(facts.package_version), facts.installed_version) <= 0)
        return fail(node, is + ", not newer than the installed " + facts.installed_version + fix);
    return pass(version_change(facts), version_change(facts));
}

CheckVerdict check_package(const Config& config, const Plan& plan, const NodeFacts& facts, const std::string& node)
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

    const CheckVerdict identity = check_package_identity(plan, facts, node);
    if (!identity.ok)
        return identity;
    const std::string summary =
        path + ": a " + (deb ? ".deb" : ".rpm") + " package of " + mib_up(st.st_size) + ", " + identity.message;
    std::string expected = config.upgrade.package_sha256;
    if (expected.empty())
        return pass(summary + ", no package_sha256 to compare", identity.value);
    std::transform(expected.begin(), expected.end(), expected.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto actual = file_sha256(fd.get(), path);
    if (!actual)
        return fail(node, actual.error().message + "; make it readable by root");
    if (actual.value() != expected)
        return fail(node, path + ": SHA-256 is " + actual.value() + ", but [upgrade] package_sha256 is " + expected +
                              "; the file is damaged or another version: copy the right package, or fix "
                              "package_sha256, " +
                              kRetry);
    return pass(summary + ", SHA-256 matches package_sha256", identity.value);
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
                          "install make (apt-get install make, or yum install make), " +
                          kRetry);
}

// keepalived's cluster.sh writes requested_cluster_status when a transition begins and current_cluster_status
// only when it has finished (cluster.sh.erb at 12.0.8): a state is settled when both say the same and neither
// was written in the last keepalived_settle_ms. The files' age says at once what sampling them for that long
// would, sees every write in the window rather than those a sample catches, and costs nothing when keepalived
// has been quiet; only a state younger than the window is waited for, then read again.
struct KeepalivedRead {
    std::string state;         // "master", "backup", or "in transition (requested X, current Y)"
    long long written_ms = 0;  // the newer file's mtime (ms since the epoch)
};

long long epoch_ms()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

long long mtime_ms(const std::string& path)
{
    struct stat st {};
    if (stat(path.c_str(), &st) != 0)
        return 0;
    return static_cast<long long>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
}

Result<KeepalivedRead> read_keepalived(const Config& config)
{
    const std::string current_path = config.paths.keepalived_dir + "/current_cluster_status";
    const std::string requested_path = config.paths.keepalived_dir + "/requested_cluster_status";
    auto current = read_state_file(current_path);
    if (!current)
        return current.error();
    auto requested = read_state_file(requested_path);
    const std::string now = trimmed(current.value());
    // Before any transition keepalived has written no request: the current state stands.
    const std::string asked = requested ? trimmed(requested.value()) : now;
    // The times are read after the contents: a write in between makes the state look younger, never older.
    return KeepalivedRead{asked == now ? now : "in transition (requested " + asked + ", current " + now + ")",
                          std::max(mtime_ms(current_path), mtime_ms(requested_path))};
}

Result<std::string> keepalived_state(const Config& config)
{
    auto first = read_keepalived(config);
    if (!first)
        return first.error();
    const long long age = epoch_ms() - first.value().written_ms;
    if (age >= keepalived_settle_ms)
        return first.value().state;
    // Younger than the window (or written "in the future" by a clock step): wait out at most one window.
    usleep(static_cast<useconds_t>(std::clamp<long long>(keepalived_settle_ms - age, 0, keepalived_settle_ms)) * 1000);
    auto second = read_keepalived(config);
    if (!second)
        return second.error();
    if (second.value().written_ms != first.value().written_ms)
        return "changing (" + first.value().state + ", then " + second.value().state + ", within " +
               std::to_string(keepalived_settle_ms) + " ms)";
    return second.value().state;
}

CheckVerdict check_keepalived_status(const Config& config, const NodeFacts& facts, const std::string& node)
{
    auto state = keepalived_state(config);
    if (!state)
        return fail(node, state.error().message + "; keepalived must run on this backend: check with `" + ctl_name(facts) +
                              " status keepalived`, start it with `" + ctl_name(facts) + " start keepalived`, " + kRetry);
    return pass("keepalived: " + state.value(), state.value());
}

// Waits, bounded by [upgrade] failover_wait_s, until this backend is settled in `wanted` (the bootstrap
// master, the secondary backup); says what it waits for every 5 s on stderr (the journal), the verdict last.
// Reads again this often while it is not.
constexpr unsigned settle_poll_ms = 500;

CheckVerdict wait_for_keepalived(const Config& config, const std::string& node, const std::string& who, const std::string& wanted,
                                 const std::string& fix)
{
    const auto started = std::chrono::steady_clock::now();
    const auto waited = [&] {
        return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started).count();
    };
    long long said = -5;
    for (;;) {
        auto state = keepalived_state(config);
        if (state && state.value() == wanted)
            return pass("keepalived: " + wanted + (waited() > 0 ? " after " + std::to_string(waited()) + " s" : ""), wanted);
        const std::string seen = state ? state.value() : state.error().message;
        if (waited() >= static_cast<long long>(config.upgrade.failover_wait_s))
            return fail(node,
                        "waited " + std::to_string(waited()) + " s for this " + who + " to become keepalived " + wanted + "; " +
                            config.paths.keepalived_dir + " says " + seen + ". " + fix +
                            ", wait until current_cluster_status says " + wanted + " (or raise [upgrade] failover_wait_s), " +
                            kRetry,
                        seen);
        if (waited() >= said + 5) {
            said = waited();
            std::fprintf(stderr, "waiting for %s to become keepalived %s (%s); %lld s of %u s\n", node.c_str(), wanted.c_str(),
                         seen.c_str(), said, config.upgrade.failover_wait_s);
            std::fflush(stderr);
        }
        usleep(settle_poll_ms * 1000);
    }
}

CheckVerdict check_keepalived_master(const Config& config, const NodeFacts& facts, const std::string& node)
{
    const std::string ctl = ctl_name(facts);
    return wait_for_keepalived(config, node, "bootstrap", "master",
                               "Make sure keepalived is stopped on the secondary (`" + ctl +
                                   " stop keepalived` there) and runs here (`" + ctl + " start keepalived`)");
}

// The secondary's keepalived, started again after its upgrade, must come up as the standby.
CheckVerdict check_keepalived_backup(const Config& config, const NodeFacts& facts, const std::string& node)
{
    const std::string ctl = ctl_name(facts);
    return wait_for_keepalived(config, node, "secondary", "backup",
                               "Make sure keepalived runs here (`" + ctl +
                                   " start keepalived`) and on the bootstrap, which must be master");
}

// The level partybus reads before it migrates (partybus/lib/partybus/migrations.rb: JSON.parse, a parse error
// is level 0; bin/partybus creates a missing file empty). Enterprise Chef 11's upgrade refuses a missing file
// on a backend (recipes/partybus.rb 'migration-level file sanity check', 11.1.8); Chef Server 12.0-12.4's does
// not run that check, so at level 0 the bootstrap runs every migration again from 1.1. Refused here, on every
// node, before anything changes: a missing file, one that is not a level, and one that is not what the
// installed release left.
CheckVerdict check_migration_level(const Config& config, const NodeFacts& facts, const std::string& node)
{
    const std::string path = config.paths.upgrades_dir + "/migration-level";
    const std::string copy = "Copy the file from a node that is not yet upgraded (a frontend), the fix Chef itself gives";
    struct stat st {};
    if (stat(path.c_str(), &st) != 0 && errno == ENOENT)
        return fail(node, path +
                              " is missing: Chef's upgrade would refuse it (Enterprise Chef 11) or run every migration "
                              "again from 1.1 (Chef Server 12). " +
                              copy + ", " + kRetry);
    auto text = read_state_file(path);
    if (!text)
        return fail(node, text.error().message + "; make it readable by root, " + kRetry);
    const std::string seen = collapsed(text.value());
    const auto level = parse_migration_level(text.value());
    if (!level)
        return fail(node, path + " holds \"" + seen +
                              "\", which is not a migration level ({\"major\":1,\"minor\":N}): "
                              "partybus would read it as level 0 and run every migration again from 1.1. " +
                              copy + ", " + kRetry);
    const auto left = release_migration_level(facts.installed_version);
    if (left && (left->major != level->major || left->minor != level->minor))
        return fail(node, path + " says " + level->text() + ", but the installed " + facts.installed_version + " leaves " +
                              left->text() +
                              ": partybus would run again migrations this node already has (below) or skip "
                              "ones it never ran (above). Find out why (a restore, a copy from another cluster); " +
                              copy + ", " + kRetry);
    return pass("migration level " + level->text() + (left ? ", as " + facts.installed_version + " leaves it" : "") + " (" +
                    path + ")",
                seen);
}

CheckVerdict check_open_source_chef(const Config& config, const std::string& node)
{
    const std::string& dir = config.paths.open_source_chef_dir;
    struct stat st {};
    if (lstat(dir.c_str(), &st) != 0)
        return pass(dir + " does not exist");
    return fail(node, dir +
                          " exists: chef-server-ctl upgrade would take this node for an open source Chef 11 server "
                          "and ask on stdin (chef/chef-server#143). If it is left from an old install, move it away "
                          "(mv " +
                          dir + " /root/chef-server.old), " + kRetry);
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
    const CheckVerdict installs = judge_disk_space(space, node);
    if (!installs.ok)
        return installs;
    const std::string data_path = existing_ancestor(config.paths.data_dir);
    auto database = tree_size(config.paths.data_dir + "/postgresql");
    if (!database)
        return fail(node, database.error().message + "; make it readable by root, " + kRetry);
    std::uint64_t data_free = 0;
    dev_t data_device = 0;
    if (!measure(data_path, data_free, data_device))
        return fail(node, data_path + ": cannot measure free space: " + std::strerror(errno) + "; " + kRetry);
    const CheckVerdict upgrade = judge_data_space(data_path, data_free, database.value(), node);
    return upgrade.ok ? pass(installs.message + "; " + upgrade.message) : upgrade;
}

}  // namespace

CheckVerdict judge_disk_space(const DiskSpace& space, const std::string& node)
{
    const std::uint64_t opt_need = 2 * space.package_size + 100 * MiB;
    const std::uint64_t state_need = 2 * space.opscode_size + 10 * MiB;
    const std::string for_package =
        mib_up(opt_need) + " for the package " + space.package + " (twice its " + mib_up(space.package_size) + ", plus 100 MiB)";
    const std::string for_backups = mib_up(state_need) + " for backups of " + space.opscode_dir + " (twice its " +
                                    mib_up(space.opscode_size) + ", plus 10 MiB)";
    const std::string fix = "; free space there, " + std::string(kRetry);
    if (space.same_filesystem) {
        if (space.opt_free < opt_need + state_need)
            return fail(node, space.opt_path + " and " + space.state_path + " share a filesystem with " +
                                  mib_down(space.opt_free) + " free; it needs " + mib_up(opt_need + state_need) + ": " +
                                  for_package + " and " + for_backups + fix);
    } else if (space.opt_free < opt_need) {
        return fail(node, space.opt_path + " has " + mib_down(space.opt_free) + " free; it needs " + for_package + fix);
    } else if (space.state_free < state_need) {
        return fail(node, space.state_path + " has " + mib_down(space.state_free) + " free; it needs " + for_backups + fix);
    }
    return pass(space.opt_path + ": " + mib_down(space.opt_free) + " free, " + mib_up(opt_need) + " needed; " + space.state_path +
                ": " + mib_down(space.state_free) + " free, " + mib_up(state_need) + " needed");
}

CheckVerdict judge_data_space(const std::string& data_path, std::uint64_t data_free, std::uint64_t database_size,
                              const std::string& node)
{
    const std::uint64_t need = database_size + 100 * MiB;
    const std::string why =
        mib_up(need) + " for the upgrade (pg_upgrade copies the database of " + mib_up(database_size) + ", plus 100 MiB)";
    if (data_free < need)
        return fail(node, data_path + " has " + mib_down(data_free) + " free; it needs " + why + "; free space there, " + kRetry);
    return pass(data_path + ": " + mib_down(data_free) + " free, " + mib_up(need) + " needed");
}

namespace {

CheckVerdict check_by_name(const std::string& name, const Config& config, const Plan& plan, const NodeFacts& facts,
                           const std::string& node)
{
    if (name == "package")
        return check_package(config, plan, facts, node);
    if (name == "open-source-chef")
        return check_open_source_chef(config, node);
    if (name == "ctl")
        return check_ctl(facts, node);
    if (name == "disk-space")
        return check_disk_space(config, facts, node);
    if (name == "make")
        return check_make(config, node);
    if (name == "keepalived-master")
        return check_keepalived_master(config, facts, node);
    if (name == "keepalived-status")
        return check_keepalived_status(config, facts, node);
    if (name == "keepalived-backup")
        return check_keepalived_backup(config, facts, node);
    if (name == "migration-level")
        return check_migration_level(config, facts, node);
    std::string known;
    for (const std::string& check : check_names())
        known += (known.empty() ? "" : ", ") + check;
    return fail(node, "unknown check \"" + name + "\" (known: " + known + "); fix the plan's check = line");
}

}  // namespace

CheckVerdict run_check(const std::string& name, const Config& config, const Plan& plan, const NodeFacts& facts,
                       const std::string& node)
{
    CheckVerdict verdict = check_by_name(name, config, plan, facts, node);
    // A rehearsal retries nothing: the operator fixes what it found, and rehearses again.
    const std::string retry = kRetry;
    if (plan.rehearsal && verdict.message.size() >= retry.size() &&
        verdict.message.compare(verdict.message.size() - retry.size(), retry.size(), retry) == 0)
        verdict.message.replace(verdict.message.size() - retry.size(), retry.size(),
                                "then rehearse again: systemctl restart chef-ha-upgrade-preflight on every node");
    return verdict;
}

}  // namespace chu
