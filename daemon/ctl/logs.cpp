#include "logs.hpp"

#include "archive/archive.hpp"
#include "client.hpp"
#include "bundle/part.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <optional>

namespace chu::ctl {

namespace {

bool of_step(const std::string& name, const std::string& step)
{
    const std::string tail = "-" + step + ".log";
    return name.size() > tail.size() && name.compare(name.size() - tail.size(), tail.size(), tail) == 0;
}

// The file wanted from `node`'s part: STEP's, or the one written last.
std::optional<BundleFile> fetch(Client& client, const std::string& node, const std::string& step)
{
    auto part = unpack_files(client.collect_part(node));
    if (!part)
        throw CtlError(exit_refused, node + "'s part is no archive: " + part.error().message);
    std::optional<BundleFile> found;
    for (auto& f : part.value()) {
        if (!is_step_output(f.name) || (!step.empty() && !of_step(f.name, step)))
            continue;
        if (!found || f.mtime > found->mtime || (f.mtime == found->mtime && f.name > found->name))
            found = std::move(f);
    }
    return found;
}

}  // namespace

int logs(const std::string& node, const std::string& step, bool follow)
{
    if (geteuid() != 0) {
        std::fprintf(stderr, "chef-ha-upgrade-ctl: only root may read a step's output (it may hold what Chef's "
                             "commands print about secrets): run it with sudo\n");
        return exit_denied;
    }
    Client client;
    std::optional<BundleFile> file = fetch(client, node, step);
    if (!file) {
        std::fprintf(stderr, "chef-ha-upgrade-ctl: %s has no output file %s yet\n", node.c_str(),
                     step.empty() ? "of any step" : ("of step " + step).c_str());
        return exit_refused;
    }
    std::printf("==> %s: %s <==\n%s", node.c_str(), file->name.c_str(), file->data.c_str());
    std::fflush(stdout);
    while (follow) {
        sleep(2);
        std::optional<BundleFile> now = fetch(client, node, step);
        if (!now)
            continue;
        if (now->name != file->name)  // the next step began: from its start
            std::printf("\n==> %s: %s <==\n%s", node.c_str(), now->name.c_str(), now->data.c_str());
        else if (now->data.size() > file->data.size())  // (a file past the part's 8 MiB keeps its tail only)
            std::printf("%s", now->data.substr(file->data.size()).c_str());
        std::fflush(stdout);
        file = std::move(now);
    }
    return exit_ok;
}

}  // namespace chu::ctl
