#include "collect.hpp"

#include "archive/archive.hpp"
#include "client.hpp"
#include "gantt.hpp"
#include "posix/posix.hpp"
#include "views.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <sstream>

namespace chu::ctl {

namespace {

constexpr const char* top = "chef-ha-upgrade-support/";

std::string unescaped(const std::string& field)
{
    std::string out;
    for (std::size_t i = 0; i < field.size(); ++i) {
        if (field[i] != '\\' || i + 1 == field.size()) {
            out += field[i];
            continue;
        }
        const char c = field[++i];
        out += c == 't' ? '\t' : c == 'n' ? '\n' : c;
    }
    return out;
}

// The leader's timeline.tsv (bundle/part.cpp) back into GetTimeline's rows.
std::vector<TimelineLine> parse_timeline(const std::string& tsv)
{
    std::vector<TimelineLine> out;
    std::istringstream in(tsv);
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#')
            continue;
        std::vector<std::string> f;
        std::size_t from = 0;
        for (std::size_t tab; (tab = line.find('\t', from)) != std::string::npos; from = tab + 1)
            f.push_back(line.substr(from, tab - from));
        f.push_back(line.substr(from));
        if (f.size() != 8)
            continue;
        out.push_back({unescaped(f[0]), std::stoi(f[1]), unescaped(f[2]), static_cast<std::uint32_t>(std::stoul(f[3])), f[4],
                       std::stoull(f[5]), std::stoull(f[6]), unescaped(f[7])});
    }
    return out;
}

std::string utc_now()
{
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

bool write_new(const std::string& file, const std::string& bytes)
{
    Fd fd(open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));  // every node's journal: root's
    if (!fd.ok()) {
        std::fprintf(stderr, "chef-ha-upgrade-ctl: cannot create %s: %s%s\n", file.c_str(), std::strerror(errno),
                     errno == EEXIST ? " (not overwritten: name another file)" : "");
        return false;
    }
    chu::Status written = write_all(fd.get(), bytes, file);
    if (!written)
        unlink(file.c_str());  // a part of the bundle is no bundle
    else if (fsync(fd.get()) != 0)
        written = os_error("cannot sync", file);
    else if (!fd.close_checked())
        written = os_error("cannot write", file);
    if (!written)
        std::fprintf(stderr, "chef-ha-upgrade-ctl: %s\n", written.error().message.c_str());
    return bool(written);
}

}  // namespace

int collect(const std::string& file)
{
    if (geteuid() != 0) {
        std::fprintf(stderr, "chef-ha-upgrade-ctl: only root may collect a support bundle (it holds every node's "
                             "journal and log): run it with sudo\n");
        return exit_denied;
    }
    Client client;
    const Status status = client.status();
    const std::vector<PlanLine> plan = client.plan();
    std::vector<BundleFile> files{{std::string(top) + "collect.txt", {}}};
    std::string reached, lost, timeline;
    for (const auto& [node, role] : nodes_of(plan)) {
        std::fprintf(stderr, "collecting %s ...\n", node.c_str());
        try {
            auto part = unpack_files(client.collect_part(node));
            if (!part)
                throw CtlError(exit_refused, "its part is no archive: " + part.error().message);
            for (auto& f : part.value()) {
                if (f.name == "timeline.tsv" && node == status.leader)
                    timeline = f.data;
                files.push_back({top + node + "/" + f.name, std::move(f.data), f.mtime});
            }
            reached += "  " + node + "\n";
        } catch (const CtlError& e) {
            lost += "  " + node + ": " + e.what() + "\n";
        }
    }
    const std::vector<TimelineLine> rows = parse_timeline(timeline);
    if (!timeline.empty()) {
        files.push_back({std::string(top) + "timeline.txt", report_text(status, plan, rows)});
        files.push_back({std::string(top) + "timeline.svg", gantt_svg(status, plan, rows)});
    }
    files[0].data = "chef-ha-upgrade support bundle, collected " + utc_now() + " on " + status.node_name + "\n\nreached:\n" +
                    (reached.empty() ? "  (none)\n" : reached) + "\nnot reachable:\n" + (lost.empty() ? "  (none)\n" : lost) +
                    "\n" +
                    (timeline.empty() ? "no timeline: the leader " + status.leader + " was not reached\n"
                                      : "timeline.txt and timeline.svg: the leader " + status.leader + "'s timeline\n") +
                    "\nLeft out on every node: the cluster key, its key file and private-chef-secrets.json.\n";
    files[0].mtime = static_cast<std::int64_t>(std::time(nullptr));
    auto packed = pack_files(files, true);
    if (!packed) {
        std::fprintf(stderr, "chef-ha-upgrade-ctl: %s\n", packed.error().message.c_str());
        return exit_refused;
    }
    if (!write_new(file, packed.value()))
        return exit_refused;
    std::printf("wrote %s (%zu bytes)\nreached:\n%s", file.c_str(), packed->size(),
                reached.empty() ? "  (none)\n" : reached.c_str());
    if (!lost.empty())
        std::printf("not reachable:\n%s", lost.c_str());
    return lost.empty() ? exit_ok : exit_refused;
}

}  // namespace chu::ctl
