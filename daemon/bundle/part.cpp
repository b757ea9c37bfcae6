#include "bundle/part.hpp"

#include "archive/archive.hpp"
#include "bus/bus_values.hpp"
#include "checks/package_facts.hpp"
#include "config/node_setup.hpp"
#include "config/plan_file.hpp"
#include "config/text_file.hpp"
#include "core/records.hpp"
#include "exec/process.hpp"
#include "posix/posix.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <sstream>

namespace fs = std::filesystem;

namespace chu {

namespace {

std::string utc(std::int64_t ms)
{
    const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
    char millis[8];
    std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>(ms % 1000));
    return std::string(text) + millis;
}

std::string step_text(std::int32_t phase, std::int32_t step, std::uint32_t round)
{
    return "phase " + std::to_string(phase) + " step " + std::to_string(step) + " round " + std::to_string(round);
}

// The outcome, then the step's output below it, each line indented behind a bar.
std::string outcome_text(const StepOutcome& end)
{
    std::string out = std::string(outcome_name(end.outcome)) + " (exit " + std::to_string(end.exit_code) + ")";
    if (!end.value.empty())
        out += " value \"" + end.value + "\"";
    std::istringstream detail(end.detail);
    for (std::string line; std::getline(detail, line);)
        out += "\n    | " + line;
    return out;
}

// One journal record as a line (a step's output indented below it).
std::string record_line(const Record& record)
{
    return std::visit(
        [](const auto& r) -> std::string {
            using R = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<R, EpochRecord>)
                return "epoch " + std::to_string(r.epoch);
            else if constexpr (std::is_same_v<R, JoinedRecord>)
                return utc(r.at_ms) + " joined: topology " + r.topology_digest + ", plan " + r.plan_digest + ", package " +
                       r.package_digest + ", key id " + r.key_id;
            else if constexpr (std::is_same_v<R, StartedRecord>)
                return utc(r.at_ms) + " started " + step_text(r.phase, r.step, r.round) + " attempt " + std::to_string(r.attempt);
            else if constexpr (std::is_same_v<R, FinishedRecord>)
                return utc(r.at_ms) + " finished " + step_text(r.phase, r.step, r.round) + " (started " + utc(r.started_ms) +
                       "): " + outcome_text(r.end);
            else if constexpr (std::is_same_v<R, ReportRecord>)
                return utc(r.finished_ms) + " report from " + r.node + ": " + step_text(r.phase, r.step, r.round) + " (started " +
                       utc(r.started_ms) + "): " + outcome_text(r.end);
            else if constexpr (std::is_same_v<R, PhaseRecord>)
                return utc(r.at_ms) + " phase " + std::to_string(r.phase) + " complete on every node";
            else if constexpr (std::is_same_v<R, DecisionRecord>)
                return utc(r.at_ms) + " operator: " + op_name(r.op) + (r.node.empty() ? "" : " " + r.node) + " at " +
                       step_text(r.phase, r.step, r.round);
            else
                return utc(r.at_ms) + " dropped from the upgrade by the operator (leader epoch " + std::to_string(r.epoch) + ")";
        },
        record);
}

// A file as it is; empty when it cannot be read (every file read here was read by the daemon at start).
std::string contents(const std::string& path)
{
    auto text = read_text_file(path);
    return text ? text.value() : std::string();
}

std::int64_t at_ms_of(const Record& record)
{
    return std::visit(
        [](const auto& r) -> std::int64_t {
            if constexpr (std::is_same_v<std::decay_t<decltype(r)>, EpochRecord>)
                return 0;
            else if constexpr (std::is_same_v<std::decay_t<decltype(r)>, ReportRecord>)
                return r.finished_ms;
            else
                return r.at_ms;
        },
        record);
}

// Every record decoded, a line each; `since_ms` learns when the first one with a time was written.
std::string journal_text(const std::string& path, const std::string& data, const JournalScan& scan, std::int64_t* since_ms)
{
    std::string out =
        "# " + path + ": " + std::to_string(scan.records.size()) + " records, " + std::to_string(data.size()) + " bytes\n";
    for (const auto& record : scan.records) {
        if (*since_ms == 0)
            *since_ms = at_ms_of(record);
        out += record_line(record) + "\n";
    }
    if (!scan.problem.empty())
        out += "# after byte " + std::to_string(scan.valid_bytes) + ": " + scan.problem + "\n";
    return out;
}

std::string escaped(const std::string& text)
{
    std::string out;
    for (char c : text)
        out += c == '\\' ? "\\\\" : c == '\t' ? "\\t" : c == '\n' ? "\\n" : std::string(1, c);
    return out;
}

// The leader's timeline rebuilt from its journal as the daemon does at start, and given as GetTimeline
// gives it: a row per line, tab-separated, with \\, \\t and \\n escaped in the fields.
std::string timeline_tsv(NodeSetup setup, std::vector<Record> records)
{
    // A view rebuilt, nothing acted on: the package agreed at the join is not hashed again.
    for (const auto& record : records)
        if (const auto* joined = std::get_if<JoinedRecord>(&record))
            setup.package_digest = joined->package_digest;
    Node core(setup);
    if (auto restored = core.restore(std::move(records)); !restored)
        return "# the journal does not rebuild the timeline: " + restored.error().message + "\n";
    std::string out = "# node\tphase\tstep\tround\toutcome\tstarted_usec\tfinished_usec\tdetail\n";
    for (const auto& e : bus::timeline_entries(core.timeline(), core.drops(), setup.plan))
        out += escaped(std::get<0>(e)) + "\t" + std::to_string(std::get<1>(e)) + "\t" + escaped(std::get<2>(e)) + "\t" +
               std::to_string(std::get<3>(e)) + "\t" + std::get<4>(e) + "\t" + std::to_string(std::get<5>(e)) + "\t" +
               std::to_string(std::get<6>(e)) + "\t" + escaped(std::get<7>(e)) + "\n";
    return out;
}

// The daemon's own log for the window: from the join (or the last day) on.
std::string log_text(std::int64_t since_ms)
{
    const std::string since = since_ms > 0 ? "@" + std::to_string(since_ms / 1000 - 60) : "-1d";
    // /bin: Ubuntu 16.04 and Debian before merged /usr have journalctl there only; RHEL 7 links /bin to /usr/bin.
    std::vector<std::string> argv = {
        "/bin/journalctl", "--unit=chef-ha-upgrade.service", "--unit=chef-ha-upgrade-preflight.service", "--since=" + since,
        "--no-pager",      "--output=short-iso-precise"};
    auto out = capture_output(argv, 30000);
    // short-iso-precise is systemd 234's; 219 (RHEL 7) and 229 (Ubuntu 16.04) say "Unknown output format":
    // whole seconds there.
    if (!out && out.error().message.find("Unknown output format") != std::string::npos) {
        argv.back() = "--output=short-iso";
        out = capture_output(argv, 30000);
    }
    return "# " + command_text(argv) + "\n" + (out ? out.value() : "# " + out.error().message + "\n");
}

// The last `cap` bytes of a file, from the start of a line, saying what was left out before them.
std::string file_tail(const std::string& path, std::size_t cap)
{
    Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    struct stat st {};
    if (!fd.ok() || fstat(fd.get(), &st) != 0)
        return "# " + os_error("cannot read", path).message + "\n";
    const auto size = static_cast<std::size_t>(st.st_size);
    const std::size_t skip = size > cap ? size - cap : 0;
    if (skip > 0 && lseek(fd.get(), static_cast<off_t>(skip), SEEK_SET) < 0)
        return "# " + os_error("cannot read", path).message + "\n";
    auto read = read_all(fd.get(), path);
    if (!read)
        return "# " + read.error().message + "\n";
    std::string text = std::move(read.value());
    if (skip == 0)
        return text;
    const std::size_t eol = text.find('\n');
    text.erase(0, eol == std::string::npos ? text.size() : eol + 1);
    return "# " + path + ": its first " + std::to_string(size - text.size()) + " bytes were left out\n" + text;
}

// Every step's output file (systemd/log.hpp), the upgrade's and a running rehearsal's, named as under the
// state dir: on systemd before 240 they hold the lines journald's rate limit dropped from log.txt.
std::vector<BundleFile> output_files(const std::string& state_dir)
{
    std::vector<BundleFile> out;
    for (const std::string sub : {"output", "rehearsal/output"}) {
        std::vector<std::string> names;
        std::error_code ec;
        for (fs::directory_iterator it(state_dir + "/" + sub, ec), end; !ec && it != end; it.increment(ec))
            if (it->is_regular_file(ec) && it->path().extension() == ".log")
                names.push_back(it->path().filename().string());
        std::sort(names.begin(), names.end());
        for (const auto& name : names) {
            const std::string path = state_dir + "/" + sub + "/" + name;
            struct stat st {};
            const std::int64_t mtime = stat(path.c_str(), &st) == 0 ? static_cast<std::int64_t>(st.st_mtime) : 0;
            out.push_back({sub + "/" + name, file_tail(path, max_support_part), mtime});  // mtime: `logs` wants the latest
        }
    }
    return out;
}

std::string state_listing(const std::string& dir)
{
    std::ostringstream out;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end; !ec && it != end;
         it.increment(ec)) {
        struct stat st {};
        if (lstat(it->path().c_str(), &st) != 0)
            continue;
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        out << mode << " " << st.st_uid << ":" << st.st_gid << " " << st.st_size << " "
            << utc(static_cast<std::int64_t>(st.st_mtime) * 1000) << " " << it->path().string()
            << (S_ISDIR(st.st_mode) ? "/" : "") << "\n";
    }
    return ec ? dir + ": " + ec.message() + "\n" : out.str();
}

std::vector<BundleFile> config_files(const std::string& config_path)
{
    std::vector<BundleFile> out{{"config/" + fs::path(config_path).filename().string(), contents(config_path)}};
    const fs::path drop_ins = fs::path(config_path).parent_path() / "conf.d";
    std::vector<fs::path> names;
    std::error_code ec;
    for (fs::directory_iterator it(drop_ins, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().extension() == ".conf")
            names.push_back(it->path());
    std::sort(names.begin(), names.end());
    for (const auto& name : names)
        out.push_back({"config/conf.d/" + name.filename().string(), contents(name)});
    return out;
}

std::string versions_text(NodeSetup& s)
{
    read_package_facts(s.config, s.facts);
    return std::string("chef-ha-upgraded ") + daemon_version() + " (wire protocol " + std::to_string(wire_protocol_version) +
           ", journal format " + std::to_string(journal_format_version) + ")\n" + "package:  " + s.facts.package + "\n" +
           "versions: " + version_change(s.facts) + "\n" +
           (s.facts.package_problem.empty() ? "" : "          " + s.facts.package_problem + "\n");
}

}  // namespace

void cut_to_fit(std::vector<BundleFile>& files, std::size_t cap)
{
    std::size_t total = 0;
    for (const auto& f : files)
        total += f.name.size() + f.data.size() + 1024;  // a pax header per file
    // The steps' output files, the largest first (journald has their lines too, unless it dropped them),
    // then the daemon's log, then the journal.
    std::vector<std::string> order;
    for (const auto& f : files)
        if (is_step_output(f.name))
            order.push_back(f.name);
    std::stable_sort(order.begin(), order.end(), [&](const std::string& a, const std::string& b) {
        auto size = [&](const std::string& name) {
            return std::find_if(files.begin(), files.end(), [&](const BundleFile& f) { return f.name == name; })->data.size();
        };
        return size(a) > size(b);
    });
    order.insert(order.end(), {"log.txt", "journal.txt"});
    std::string cut;
    for (const std::string& name : order) {
        auto f = std::find_if(files.begin(), files.end(), [&](const BundleFile& b) { return b.name == name; });
        if (total <= cap || f == files.end())
            continue;
        std::size_t drop = std::min(f->data.size(), total - cap);
        if (const std::size_t eol = f->data.find('\n', drop == 0 ? 0 : drop - 1); eol != std::string::npos)
            drop = eol + 1;  // whole lines
        else
            drop = f->data.size();
        f->data.erase(0, drop);
        total -= drop;
        cut += name + ": its first " + std::to_string(drop) + " bytes were cut to keep this part under " + std::to_string(cap) +
               " bytes\n";
    }
    if (!cut.empty())
        files.push_back({"CUT.txt", cut});
}

Result<std::string> make_support_part(const std::string& config_path, const std::string& self)
{
    auto loaded = load_node_setup(config_path);
    if (!loaded)
        return loaded.error();
    NodeSetup& s = loaded->setup;
    const std::string journal = s.config.paths.state_dir + "/journal";
    const auto read = read_text_file(journal);
    const bool joined = bool(read);
    const std::string data = joined ? read.value() : std::string();
    const JournalScan scan = scan_journal(data);
    std::int64_t since_ms = 0;
    std::vector<BundleFile> files{
        {"journal.txt", joined ? journal_text(journal, data, scan, &since_ms) : journal + ": none (not joined yet)\n"}};
    if (joined && Node(s).is_leader())
        files.push_back({"timeline.tsv", timeline_tsv(s, scan.records)});
    files.push_back({"log.txt", log_text(since_ms)});
    auto checked = capture_output({self, "--config", config_path, "--check-config"}, 60000);
    files.push_back({"check-config.txt", checked ? checked.value() : checked.error().message + "\n"});
    for (auto& f : config_files(config_path))
        files.push_back(std::move(f));
    files.push_back({"plan.plan", contents(plan_path(s.config.upgrade.plan, s.config.paths.plans_dir))});
    const auto kept = read_text_file(kept_topology_path(s.config));
    files.push_back({"topology.rb", kept ? kept.value() : loaded->topology_text});
    files.push_back({"versions.txt", versions_text(s)});
    files.push_back({"state-dir.txt", state_listing(s.config.paths.state_dir)});
    for (auto& f : output_files(s.config.paths.state_dir))
        files.push_back(std::move(f));
    cut_to_fit(files, max_support_part);
    const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
    for (auto& f : files)
        f.mtime = now;
    return pack_files(files, false);
}

}  // namespace chu
