#include "plan.hpp"

#include "assert.hpp"
#include "digest.hpp"

#include <algorithm>

namespace chu {

std::string roles_text(RoleMask roles)
{
    std::string out;
    for (Role r : {Role::bootstrap, Role::secondary, Role::frontend}) {
        if (roles & role_bit(r)) {
            if (!out.empty())
                out += ", ";
            out += role_name(r);
        }
    }
    return out;
}

const char* check_name(Check check)
{
    switch (check) {
    case Check::package: return "package";
    case Check::ctl: return "ctl";
    case Check::disk_space: return "disk-space";
    case Check::make: return "make";
    case Check::keepalived_master: return "keepalived-master";
    case Check::keepalived_status: return "keepalived-status";
    case Check::migration_level: return "migration-level";
    case Check::open_source_chef: return "open-source-chef";
    case Check::keepalived_backup: return "keepalived-backup";
    }
    return "unknown";
}

std::optional<Check> check_named(std::string_view name)
{
    for (int c = 0; c <= static_cast<int>(last_check); ++c)
        if (name == check_name(static_cast<Check>(c)))
            return static_cast<Check>(c);
    return std::nullopt;
}

std::vector<std::string> check_names()
{
    std::vector<std::string> out;
    for (int c = 0; c <= static_cast<int>(last_check); ++c)
        out.emplace_back(check_name(static_cast<Check>(c)));
    return out;
}

std::string condition_text(const Condition& when)
{
    switch (when.kind) {
    case Condition::Kind::always: return "";
    case Condition::Kind::failed: return "failed:" + when.step;
    case Condition::Kind::bootstrap_not_master: return "bootstrap-not-master";
    }
    return "";
}

const Phase* find_phase(const Plan& plan, std::int32_t phase)
{
    if (phase < 0 || static_cast<std::size_t>(phase) >= plan.phases.size())
        return nullptr;
    return &plan.phases[static_cast<std::size_t>(phase)];
}

const Step* find_step(const Plan& plan, StepRef ref)
{
    const Phase* ph = find_phase(plan, ref.phase);
    if (!ph || ref.step < 0 || static_cast<std::size_t>(ref.step) >= ph->steps.size())
        return nullptr;
    return &ph->steps[static_cast<std::size_t>(ref.step)];
}

const Phase& phase_at(const Plan& plan, std::int32_t phase)
{
    const Phase* found = find_phase(plan, phase);
    CHU_ASSERT(found);
    return *found;
}

const Step& step_at(const Plan& plan, StepRef ref)
{
    const Step* found = find_step(plan, ref);
    CHU_ASSERT(found);
    return *found;
}

bool runs_on(const Step& step, Role role)
{
    return (step.roles & role_bit(role)) != 0;
}

bool values_agree(Agreement agreement, const std::multiset<std::string>& values)
{
    if (agreement == Agreement::one_master)
        return values.count("master") == 1 && values.count("backup") == values.size() - 1;
    return agreement == Agreement::none || std::set<std::string>(values.begin(), values.end()).size() <= 1;
}

const char* agreement_fix(Agreement agreement)
{
    return agreement == Agreement::one_master ? "exactly one backend must be keepalived master and the other backup, with no "
                                                "transition running (both keepalived up: `chef-server-ctl start keepalived`)"
                                              : "make them equal";
}

bool only_reads(const Step& step)
{
    return step.kind == StepKind::check || step.read_only;
}

bool error_line(const std::string& line)
{
    if (line.find("ERROR") != std::string::npos || line.find("[WARN]") != std::string::npos)
        return true;
    for (const char* word : {"down: ", "fail: ", "timeout: ", "warning: "})
        if (line.rfind(word, 0) == 0)
            return true;
    return false;
}

std::vector<bool> downtime_phases(const Plan& plan)
{
    std::vector<bool> inside(plan.phases.size());
    bool downtime = false;
    for (std::size_t p = 0; p < plan.phases.size(); ++p) {
        downtime = downtime || plan.phases[p].downtime_begins;
        inside[p] = downtime;
        downtime = downtime && !plan.phases[p].downtime_ends;
    }
    return inside;
}

const std::vector<std::string>& placeholder_names()
{
    static const std::vector<std::string> names = {"ctl",           "old_ctl",       "ctl_dir",     "package", "dpkg",
                                                   "rpm",           "make",          "opscode_dir", "etc_dir", "addons_path_args",
                                                   "package_nevra", "accept_license"};
    return names;
}

namespace {

// A step's own rules, apart from the plan around it: why it is refused, or "".
std::string step_problem(const Step& s)
{
    if (s.roles == 0)
        return "step " + s.id + " has no roles; add e.g. roles = all";
    const bool has_run = !s.run.empty(), has_format = !s.run_deb.empty() || !s.run_rpm.empty();
    const int actions =
        (has_run || has_format) + (s.kind == StepKind::check) + (s.kind == StepKind::copy) + (s.kind == StepKind::gate);
    if (actions != 1)
        return "step " + s.id + " needs exactly one of run (or run.deb with run.rpm), check, copy, gate";
    if (has_run && has_format)
        return "step " + s.id + " has both run and run.deb/run.rpm; use one or the other";
    if (has_format && (s.run_deb.empty() || s.run_rpm.empty()))
        return "step " + s.id + " needs both run.deb and run.rpm";
    if (s.kind == StepKind::gate && s.roles != role_bit(Role::bootstrap))
        return "gate step " + s.id + " must have roles = bootstrap: the leader holds the gate";
    if (s.kind == StepKind::copy && s.copy_from == CopySource::bootstrap && (s.roles & role_bit(Role::bootstrap)))
        return "copy step " + s.id + " cannot include the bootstrap: it is the source";
    if (s.copy_from == CopySource::frontend && (s.kind != StepKind::copy || s.roles != role_bit(Role::frontend)))
        return "from = frontend is for a copy step with roles = frontend: the first frontend is its source, the others "
               "receive it";
    if (s.agree != Agreement::none && s.kind != StepKind::check)
        return "agree needs a check step: only checks report values";
    if (!s.summary.empty() && s.harmless.empty())
        return "step " + s.id + " has summary without harmless: a summary only counts expected errors";
    if (s.read_only && s.kind != StepKind::run)
        return "read_only = yes is for run steps (checks only read anyway)";
    if (s.retry_on_timeout && !only_reads(s))
        return "retry = timeout: step " + s.id +
               " changes the cluster, so no timer kills it (past its timeout it is shown as stalled); use retry = "
               "failure, which re-runs it when the command times out by itself and exits non-zero, or mark it "
               "read_only = yes";
    return {};
}

std::string addon_problem(const Addon& a)
{
    if (a.roles == 0)
        return "add-on " + a.name + " has no roles; add e.g. roles = frontend";
    if (a.install.empty() || a.reconfigure.empty() || a.configure.empty())
        return "add-on " + a.name + " needs install, reconfigure and configure commands";
    if (a.copy_from == CopySource::frontend && (a.copy.empty() || a.roles != role_bit(Role::frontend)))
        return "add-on " + a.name + ": copy_from = frontend needs copy and roles = frontend";
    return {};
}

}  // namespace

Status validate_plan(const Plan& plan)
{
    auto at = [&](int line, const std::string& what) { return error_at(plan.file, line, what); };
    if (plan.name.empty() || plan.ctl.empty())
        return at(std::max(plan.line, 1), "the plan needs a [plan] section with name and ctl");
    if (plan.phases.empty())
        return at(plan.line, "the plan has no phases");
    std::set<std::string> ids;
    int begins = 0, ends = 0;
    bool ended = false;
    for (const auto& phase : plan.phases) {
        if (phase.steps.empty())
            return at(phase.line, "phase " + phase.id + " has no steps; add [step NAME] sections below it");
        if (phase.downtime_begins && (++begins > 1 || ended))
            return at(phase.line, "downtime begins twice, or after it ended; mark one phase each");
        if (phase.downtime_ends && (++ends > 1 || begins == 0))
            return at(phase.line, "downtime ends before it begins, or twice; mark one phase each");
        ended = ended || phase.downtime_ends;
        std::set<std::string> may_fail;  // earlier steps of this phase whose failure others answer
        for (const auto& s : phase.steps) {
            if (s.when.kind == Condition::Kind::failed && may_fail.count(s.when.step) == 0)
                return at(s.line, "when = " + condition_text(s.when) + ": name a step earlier in phase " + phase.id +
                                      " marked may_fail = yes");
            if (s.may_fail)
                may_fail.insert(s.id);
            if (!ids.insert(s.id).second)
                return at(s.line, "step id " + s.id + " is used twice");
            if (auto problem = step_problem(s); !problem.empty())
                return at(s.line, problem);
        }
    }
    if (begins != 1 || ends != 1)
        return at(plan.line, "mark exactly one phase `downtime = begins` and one `downtime = ends`");
    for (const auto& a : plan.addons)
        if (auto problem = addon_problem(a); !problem.empty())
            return at(a.line, problem);
    return Ok{};
}

void resolve_conditions(Plan& plan)
{
    for (auto& phase : plan.phases) {
        for (auto& s : phase.steps) {
            if (s.when.kind != Condition::Kind::failed)
                continue;
            // Step ids are unique in a valid plan: the one named is the earlier may_fail step.
            const auto named = std::find_if(phase.steps.begin(), phase.steps.end(),
                                            [&](const Step& earlier) { return earlier.id == s.when.step; });
            s.when.step_index = static_cast<std::int32_t>(named - phase.steps.begin());
        }
    }
}

namespace {

Step command_step(std::string id, RoleMask roles, std::vector<std::string> run, unsigned timeout_s)
{
    Step s;
    s.id = std::move(id);
    s.roles = roles;
    s.run = std::move(run);
    s.timeout_s = timeout_s;
    // Add-on installs download and reconfigure: the seeds' "re-run until it finishes" applies.
    s.retry_on_failure = true;
    return s;
}

// chef-server-ctl install NAME, reconfigure, NAME-ctl reconfigure; bootstrap first and its /etc/NAME copied
// to the others when the add-on runs on the bootstrap too; then, where the plan says, its backends again.
Phase addon_phase(const Addon& addon)
{
    Phase phase;
    phase.id = "addon-" + addon.name;
    phase.title = "install add-on " + addon.name;
    phase.line = addon.line;
    auto group = [&](RoleMask roles, const std::string& suffix) {
        phase.steps.push_back(command_step("install-" + addon.name + suffix, roles, addon.install, 1800));
        phase.steps.push_back(command_step("reconfigure-" + addon.name + suffix, roles, addon.reconfigure, 1800));
        phase.steps.push_back(command_step(addon.name + "-reconfigure" + suffix, roles, addon.configure, 1800));
    };
    const RoleMask others = addon.roles & ~role_bit(Role::bootstrap);
    if ((addon.roles & role_bit(Role::bootstrap)) && others && addon.copy_from == CopySource::bootstrap) {
        group(role_bit(Role::bootstrap), "-bootstrap");
        if (!addon.copy.empty()) {
            Step copy;
            copy.id = "copy-" + addon.name;
            copy.title = "copy " + addon.copy + " from the bootstrap";
            copy.kind = StepKind::copy;
            copy.copy = addon.copy;
            copy.roles = others;
            phase.steps.push_back(copy);
        }
        group(others, "");
    } else {
        group(addon.roles, "");
    }
    if (addon.copy_from == CopySource::frontend) {
        Step copy;
        copy.id = "copy-" + addon.name;
        copy.title = "copy " + addon.copy + " from the first frontend";
        copy.kind = StepKind::copy;
        copy.copy = addon.copy;
        copy.copy_from = CopySource::frontend;
        copy.roles = addon.roles;
        phase.steps.push_back(copy);
        phase.steps.push_back(command_step(addon.name + "-reconfigure-again", addon.roles, addon.configure, 1800));
    }
    const RoleMask backends = addon.roles & (role_bit(Role::bootstrap) | role_bit(Role::secondary));
    if (!addon.backends_after.empty() && backends) {
        Step again = command_step("reconfigure-backends-" + addon.name, backends, addon.backends_after, 1800);
        again.order = NodeOrder::backends_serial;
        phase.steps.push_back(again);
    }
    return phase;
}

std::string join(const std::vector<std::string>& v, const char* sep)
{
    std::string out;
    for (const auto& s : v) {
        if (!out.empty())
            out += sep;
        out += s;
    }
    return out;
}

}  // namespace

Result<Plan> effective_plan(const Plan& plan, const Config& config)
{
    Plan out = plan;
    Phase join_phase;
    join_phase.id = "join";
    join_phase.title = "join";
    out.phases.insert(out.phases.begin(), join_phase);
    for (const auto& name : config.upgrade.addons) {
        auto it = std::find_if(plan.addons.begin(), plan.addons.end(), [&](const Addon& a) { return a.name == name; });
        if (it == plan.addons.end()) {
            std::vector<std::string> known;
            for (const auto& a : plan.addons)
                known.push_back(a.name);
            return Error{"[upgrade] addons: plan " + plan.name + " does not know add-on \"" + name +
                         "\"; it knows: " + (known.empty() ? std::string("none") : join(known, ", "))};
        }
        out.phases.push_back(addon_phase(*it));
    }
    for (auto& phase : out.phases) {
        for (auto& step : phase.steps) {
            if (config.commands.timeout_s != 0 && step.kind == StepKind::run)
                step.timeout_s = config.commands.timeout_s;
            if (step.retries < 0)
                step.retries = static_cast<int>(config.commands.retries);
        }
    }
    return out;
}

std::string plan_digest(const Plan& plan)
{
    std::string canon = plan.name + "\n" + plan.ctl + "\n" + plan.package_name + " " + std::to_string(plan.package_major) + "\n" +
                        (plan.rehearsal ? "rehearsal\n" : "") + "failures [" + join(plan.failures, "\x1f") + "]\n";
    for (const auto& phase : plan.phases) {
        canon += "phase " + phase.id + " " + std::to_string(phase.downtime_begins) + std::to_string(phase.downtime_ends) + "\n";
        for (const auto& s : phase.steps) {
            canon += " step " + s.id + " k" + std::to_string(static_cast<int>(s.kind)) + " r" + std::to_string(s.roles) + " o" +
                     std::to_string(static_cast<int>(s.order)) + " [" + join(s.run, "\x1f") + "][" + join(s.run_deb, "\x1f") +
                     "][" + join(s.run_rpm, "\x1f") + "] " + (s.kind == StepKind::check ? check_name(s.check) : "") + "|" +
                     s.copy + (s.copy_from == CopySource::frontend ? "<frontend" : "") + "|" + condition_text(s.when) + "|" +
                     std::to_string(static_cast<int>(s.agree)) + std::to_string(s.may_fail) + "|" + join(s.harmless, "\x1f") +
                     "|" + join(s.summary, "\x1f") + "|t" + std::to_string(s.timeout_s) + "|" + std::to_string(s.read_only) +
                     std::to_string(s.retry_on_timeout) + std::to_string(s.retry_on_failure) + "|" + std::to_string(s.retries) +
                     "|" + std::to_string(s.backoff_s) + "|" + s.skip_risk + "\n";
        }
    }
    return sha256_hex(canon);
}

PackageFormat package_format(const std::string& package_path)
{
    auto ends_with = [&](const char* suffix) {
        const std::string s(suffix);
        return package_path.size() > s.size() && package_path.compare(package_path.size() - s.size(), s.size(), s) == 0;
    };
    if (ends_with(".deb"))
        return PackageFormat::deb;
    if (ends_with(".rpm"))
        return PackageFormat::rpm;
    return PackageFormat::unknown;
}

namespace {

std::string dir_of(const std::string& path)
{
    auto slash = path.rfind('/');
    return slash == std::string::npos ? std::string(".") : slash == 0 ? std::string("/") : path.substr(0, slash);
}

// How the package manager names the package: rpm's NAME-VERSION-RELEASE.ARCH, dpkg's NAME_VERSION_ARCH.
std::string package_nevra(const NodeFacts& f)
{
    if (f.package_name.empty())
        return {};
    return f.format == PackageFormat::rpm ? f.package_name + "-" + f.package_version + "." + f.package_arch
                                          : f.package_name + "_" + f.package_version + "_" + f.package_arch;
}

// Substitutes {name} inside each token; `{addons_path_args}` and `{accept_license}`, alone in a token, become
// zero or more tokens,
// so that no value is ever split or re-parsed: there is no shell.
Result<std::vector<std::string>> expand(const std::vector<std::string>& tmpl, const Config& config, const Plan& plan,
                                        const NodeFacts& facts)
{
    const std::string ctl = plan.ctl == "private_chef_ctl" ? config.commands.private_chef_ctl : config.commands.chef_server_ctl;
    auto value_of = [&](const std::string& name, std::string& out) {
        if (name == "ctl")
            out = ctl;
        else if (name == "old_ctl")
            out = facts.old_ctl;
        else if (name == "ctl_dir")
            out = dir_of(ctl);
        else if (name == "package")
            out = facts.package;
        else if (name == "dpkg")
            out = config.commands.dpkg;
        else if (name == "rpm")
            out = config.commands.rpm;
        else if (name == "make")
            out = config.commands.make;
        else if (name == "opscode_dir")
            out = config.paths.opscode_dir;
        else if (name == "etc_dir")
            out = dir_of(config.paths.opscode_dir);  // where add-ons keep theirs, beside it
        else if (name == "package_nevra")
            out = package_nevra(facts);
        else
            return false;
        return true;
    };
    std::vector<std::string> argv;
    for (const auto& token : tmpl) {
        if (token == "{addons_path_args}") {
            if (!config.upgrade.addons_path.empty()) {
                argv.push_back("--path");
                argv.push_back(config.upgrade.addons_path);
            }
            continue;
        }
        if (token == "{accept_license}") {  // the operator's own decision, never ours
            if (config.upgrade.accept_licenses)
                argv.push_back("--accept-license");
            continue;
        }
        std::string out;
        std::size_t pos = 0;
        while (pos < token.size()) {
            auto open = token.find('{', pos);
            if (open == std::string::npos) {
                out += token.substr(pos);
                break;
            }
            auto close = token.find('}', open);
            if (close == std::string::npos)
                return Error{"unterminated placeholder in \"" + token + "\""};
            out += token.substr(pos, open - pos);
            std::string value;
            const std::string name = token.substr(open + 1, close - open - 1);
            if (!value_of(name, value))
                return Error{"unknown placeholder {" + name + "}"};
            if (value.empty())
                return Error{"placeholder {" + name + "} has no value on this node" +
                             std::string(name == "package" ? ": set [upgrade] package" : "")};
            out += value;
            pos = close + 1;
        }
        argv.push_back(out);
    }
    return argv;
}

}  // namespace

Result<Action> resolve_action(const Step& step, const Config& config, const Plan& plan, const NodeFacts& facts)
{
    Action a;
    a.kind = step.kind;
    (only_reads(step) ? a.timeout_s : a.expected_s) = step.timeout_s;
    if (step.kind == StepKind::run && !only_reads(step))
        a.failures = plan.failures;
    switch (step.kind) {
    case StepKind::run: {
        const std::vector<std::string>* tmpl = &step.run;
        if (tmpl->empty()) {
            if (facts.format == PackageFormat::deb)
                tmpl = &step.run_deb;
            else if (facts.format == PackageFormat::rpm)
                tmpl = &step.run_rpm;
            else
                return Error{"step " + step.id + " differs by package format, and package \"" + facts.package +
                             "\" is neither .deb nor .rpm"};
        }
        auto argv = expand(*tmpl, config, plan, facts);
        if (!argv)
            return Error{"step " + step.id + ": " + argv.error().message};
        a.argv = std::move(argv.value());
        break;
    }
    case StepKind::check: a.check = step.check; break;
    case StepKind::copy: {
        auto dir = expand({step.copy}, config, plan, facts);
        if (!dir)
            return Error{"step " + step.id + ": " + dir.error().message};
        a.dir = dir.value().front();
        break;
    }
    case StepKind::gate: break;
    }
    return a;
}

Result<std::vector<ScheduledStep>> node_schedule(const Plan& plan, Role role, const Config& config, const NodeFacts& facts)
{
    std::vector<ScheduledStep> out;
    for (std::size_t p = 0; p < plan.phases.size(); ++p) {
        const auto& steps = plan.phases[p].steps;
        for (std::size_t s = 0; s < steps.size(); ++s) {
            if (!runs_on(steps[s], role))
                continue;
            auto action = resolve_action(steps[s], config, plan, facts);
            if (!action)
                return action.error();
            out.push_back({static_cast<int>(p), static_cast<int>(s), std::move(action.value())});
        }
    }
    return out;
}

std::string describe(const Action& action)
{
    switch (action.kind) {
    case StepKind::run: {
        std::string out;
        for (std::size_t i = 0; i < action.argv.size(); ++i) {
            std::string t = action.argv[i];
            if (i == 0 && t.rfind('/') != std::string::npos)
                t = t.substr(t.rfind('/') + 1);
            out += (i ? " " : "") + t;
        }
        return out;
    }
    case StepKind::check: return std::string("check ") + check_name(action.check);
    case StepKind::copy: return "receive " + action.dir + " from the bootstrap";
    case StepKind::gate: return "wait for the operator's approval";
    }
    return {};
}

bool only_expected_errors(const Step& step, const std::string& output, const Config& config, const Plan& plan,
                          const NodeFacts& facts)
{
    auto harmless = expand(step.harmless, config, plan, facts);
    if (step.harmless.empty() || !harmless)
        return false;
    auto contains_one = [](const std::vector<std::string>& patterns, const std::string& line) {
        return std::any_of(patterns.begin(), patterns.end(),
                           [&](const std::string& p) { return line.find(p) != std::string::npos; });
    };
    bool seen = false;
    std::size_t pos = 0;
    while (pos < output.size()) {
        const auto end = output.find('\n', pos);
        const std::string line = output.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
        pos = end == std::string::npos ? output.size() : end + 1;
        if (contains_one(harmless.value(), line)) {
            seen = true;
            continue;
        }
        if (error_line(line) && !contains_one(step.summary, line))
            return false;  // another error: not harmless
    }
    return seen;
}

std::string failure_line(const Step& step, const Plan& plan, const std::string& output)
{
    if (step.kind != StepKind::run || only_reads(step))
        return {};
    std::size_t pos = 0;
    while (pos < output.size()) {
        const auto end = output.find('\n', pos);
        std::string line = output.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
        pos = end == std::string::npos ? output.size() : end + 1;
        for (const auto& pattern : plan.failures)
            if (line.find(pattern) != std::string::npos)
                return line;
    }
    return {};
}

std::string version_change(const NodeFacts& f)
{
    const std::string installed = f.installed_version.empty() ? "installed version unknown" : "installed " + f.installed_version;
    if (f.package_version.empty())
        return installed + " → package unreadable";
    return installed + " → package " + f.package_version + " (" + f.package_name + ")";
}

}  // namespace chu
