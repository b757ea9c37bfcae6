#include "exec/hooks.hpp"

#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace chu {

namespace {

constexpr std::size_t waiting_limit = 1000;  // events queued for one hook that does not keep up

// Why a hook (or its directory) may not run: anyone but root could change what root runs.
std::string unsafe(const std::string& path, bool directory)
{
    struct stat st {};
    if (stat(path.c_str(), &st) != 0)
        return "cannot be read";
    if (directory ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
        return directory ? "is not a directory" : "is not a regular file";
    if (st.st_uid != 0 && st.st_uid != geteuid())
        return "is owned by uid " + std::to_string(st.st_uid) + ", not root: chown root " + path;
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return std::string("is writable by its group or by others: chmod go-w ") + path;
    if (!directory && !(st.st_mode & S_IXUSR))
        return "is not executable: chmod u+x " + path;
    return {};
}

// Like run-parts: editor leftovers and package manager copies are no hooks.
bool hook_name(const std::string& name)
{
    return !name.empty() && name.front() != '.' && name.back() != '~' && name.find(".dpkg-") == std::string::npos &&
           name.find(".rpm") == std::string::npos;
}

std::vector<std::string> names_in(const std::string& dir, const Logger& log)
{
    namespace fs = std::filesystem;
    std::error_code ec;
    std::vector<std::string> names;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (hook_name(it->path().filename().string()))
            names.push_back(it->path().filename().string());
    if (ec && ec != std::errc::no_such_file_or_directory)
        log.log(LOG_WARNING, "hooks: cannot read " + dir + ": " + ec.message() + "; no hook runs");
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace

std::vector<std::string> hook_environment(const Event& e, const std::string& source)
{
    return {"CHU_EVENT=" + std::string(event_name(e.kind)),
            "CHU_NODE=" + e.node,
            "CHU_PHASE=" + std::to_string(e.phase),
            "CHU_PHASE_NAME=" + e.phase_name,
            "CHU_STEP=" + e.step,
            "CHU_STATE=" + e.state,
            "CHU_MESSAGE=" + e.message,
            "CHU_AT_USEC=" + std::to_string(e.at_ms * 1000),
            "CHU_SOURCE=" + source};
}

Hooks::Hooks(Runner& runner, const Logger& log, const Config::Hooks& config, std::string source)
    : runner_(runner), log_(log), timeout_s_(config.timeout_s), source_(std::move(source))
{
    const std::vector<std::string> names = names_in(config.dir, log_);
    if (names.empty())
        return;
    if (const std::string why = unsafe(config.dir, true); !why.empty()) {
        log_.log(LOG_WARNING, "hooks: refused every hook: " + config.dir + " " + why);
        return;
    }
    for (const auto& name : names) {
        const std::string path = config.dir + "/" + name;
        if (const std::string why = unsafe(path, false); !why.empty()) {
            log_.log(LOG_WARNING, "hooks: refused " + path + ": it " + why);
            continue;
        }
        hooks_.push_back(Hook{path, {}, false});
    }
    if (!hooks_.empty())
        log_.log(LOG_INFO, "hooks: " + std::to_string(hooks_.size()) + " in " + config.dir + " run at every cluster event");
}

std::vector<std::string> Hooks::hooks() const
{
    std::vector<std::string> paths;
    for (const Hook& hook : hooks_)
        paths.push_back(hook.path);
    return paths;
}

void Hooks::fire(const Event& event)
{
    for (Hook& hook : hooks_) {
        if (hook.waiting.size() == waiting_limit) {
            log_.log(LOG_WARNING, "hooks: " + hook.path + " does not keep up; its oldest waiting event was dropped");
            hook.waiting.pop_front();
        }
        hook.waiting.push_back(event);
        if (!hook.running)
            run_next(hook);
    }
}

void Hooks::run_next(Hook& hook)
{
    hook.running = !hook.waiting.empty();
    if (!hook.running)
        return;
    const Event event = std::move(hook.waiting.front());
    hook.waiting.pop_front();
    Exec exec;
    exec.argv = {hook.path};
    exec.timeout_s = timeout_s_;  // a notification changes nothing on the cluster: a timer may end it
    exec.step = "hook " + hook.path.substr(hook.path.rfind('/') + 1);
    exec.env = hook_environment(event, source_);
    exec.input = std::make_shared<const std::string>(event_json(event, source_) + "\n");
    const std::string what = std::string(event_name(event.kind));
    runner_.start(std::move(exec), [this, &hook, what](ExecResult r) {
        if (r.outcome == Outcome::timeout)
            log_.log(LOG_WARNING,
                     "hooks: " + hook.path + " was killed after " + std::to_string(timeout_s_) + " s on event " + what);
        else if (r.outcome != Outcome::ok)
            log_.log(LOG_WARNING, "hooks: " + hook.path + " exited " + std::to_string(r.exit_code) + " on event " + what);
        run_next(hook);
    });
}

}  // namespace chu
