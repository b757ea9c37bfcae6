#include "plan_file.hpp"

#include "config/ini_file.hpp"
#include "config/text_file.hpp"
#include "core/words.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

namespace chu {

namespace {

std::string trim(const std::string& s)
{
    auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos)
        return {};
    auto e = s.find_last_not_of(" \t");
    return s.substr(b, e - b + 1);
}

std::vector<std::string> split(const std::string& s, char sep)
{
    std::vector<std::string> out;
    std::string item;
    std::istringstream in(s);
    while (std::getline(in, item, sep))
        out.push_back(trim(item));
    return out;
}

bool parse_unsigned(const std::string& v, unsigned& out)
{
    if (v.empty() || v.size() > 9 || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return false;
    out = static_cast<unsigned>(std::stoul(v));
    return true;
}

bool parse_roles(const std::string& v, RoleMask& out)
{
    out = 0;
    for (const auto& r : split(v, ',')) {
        if (r == "all")
            out |= all_roles;
        else if (r == "bootstrap")
            out |= role_bit(Role::bootstrap);
        else if (r == "secondary")
            out |= role_bit(Role::secondary);
        else if (r == "frontend")
            out |= role_bit(Role::frontend);
        else if (r == "backend")
            out |= role_bit(Role::bootstrap) | role_bit(Role::secondary);
        else
            return false;
    }
    return out != 0;
}

bool known(const std::vector<std::string>& names, const std::string& v)
{
    return std::find(names.begin(), names.end(), v) != names.end();
}

// Every {name} in an argv template must be one the schedule can fill; {addons_path_args} only as a whole
// argument of a command (it becomes zero or two arguments).
std::string bad_placeholder(const std::vector<std::string>& argv, bool whole_args_allowed)
{
    for (const auto& t : argv) {
        if (whole_args_allowed && (t == "{addons_path_args}" || t == "{accept_license}"))
            continue;
        for (auto open = t.find('{'); open != std::string::npos; open = t.find('{', open + 1)) {
            auto close = t.find('}', open);
            if (close == std::string::npos)
                return t;
            const std::string name = t.substr(open + 1, close - open - 1);
            if (!known(placeholder_names(), name) || name == "addons_path_args" || name == "accept_license")
                return t.substr(open, close - open + 1);
        }
    }
    return {};
}

// A copied directory: absolute, or under {opscode_dir} or {etc_dir} (the directory holding it).
std::string copy_dir_problem(const std::string& value, const std::string& example)
{
    if (!bad_placeholder({value}, false).empty())
        return "copy = \"" + value + "\" uses an unknown placeholder";
    if (value.empty() || (value[0] != '/' && value.rfind("{opscode_dir}", 0) != 0 && value.rfind("{etc_dir}", 0) != 0))
        return "copy = \"" + value + "\": give the absolute directory the copy sends, e.g. " + example;
    return {};
}

struct Parser {
    Plan plan;
    std::string section;  // the section being filled
    std::set<std::string> seen_sections;
    std::map<std::string, int> keys;  // keys set in the current section -> line
    std::string error;                // the handler's problem, without file:line

    enum class Kind { plan, phase, step, addon } kind = Kind::plan;

    Step* step() { return &plan.phases.back().steps.back(); }

    bool fail(std::string message)
    {
        if (error.empty())
            error = std::move(message);
        return false;
    }

    bool open_section(const std::string& name, int line)
    {
        if (seen_sections.count(name))
            return fail("section [" + name + "] appears twice; give each phase, step and add-on its own name");
        seen_sections.insert(name);
        section = name;
        keys.clear();
        auto space = name.find(' ');
        const std::string type = name.substr(0, space);
        const std::string id = space == std::string::npos ? "" : trim(name.substr(space + 1));
        if (type == "plan" && id.empty()) {
            kind = Kind::plan;
            plan.line = line;
        } else if (type == "phase" && !id.empty()) {
            kind = Kind::phase;
            Phase phase;
            phase.id = id;
            phase.title = id;
            phase.line = line;
            plan.phases.push_back(phase);
        } else if (type == "step" && !id.empty()) {
            if (plan.phases.empty())
                return fail("step \"" + id + "\" comes before any [phase ...] section; steps belong to the phase above them");
            kind = Kind::step;
            Step s;
            s.id = id;
            s.line = line;
            plan.phases.back().steps.push_back(s);
        } else if (type == "addon" && !id.empty()) {
            kind = Kind::addon;
            Addon a;
            a.name = id;
            a.line = line;
            plan.addons.push_back(a);
        } else {
            return fail("unknown section [" + name + "]; a plan has [plan], [phase NAME], [step NAME] and [addon NAME]");
        }
        return true;
    }

    // from = (a step) and copy_from = (an add-on): where a copy comes from.
    bool copy_source(const std::string& key, const std::string& value, CopySource& out)
    {
        if (value != "bootstrap" && value != "frontend")
            return fail(key + " = \"" + value + "\": a copy comes from the bootstrap or the (first) frontend");
        out = value == "frontend" ? CopySource::frontend : CopySource::bootstrap;
        return true;
    }

    bool plan_key(const std::string& key, const std::string& value)
    {
        if (key == "name")
            plan.name = value;
        else if (key == "title")
            plan.title = value;
        else if (key == "ctl") {
            if (value != "chef_server_ctl" && value != "private_chef_ctl")
                return fail("[plan] ctl = \"" + value + "\": use chef_server_ctl or private_chef_ctl (a [commands] key)");
            plan.ctl = value;
        } else if (key == "package") {
            // "chef-server-core 12": the package's own name and the major version it must have.
            const auto w = words(value);
            unsigned major = 0;
            if (w.size() != 2 || !parse_unsigned(w[1], major) || major == 0)
                return fail("[plan] package = \"" + value +
                            "\": give the package name and its major version, "
                            "e.g. chef-server-core 12");
            plan.package_name = w[0];
            plan.package_major = static_cast<int>(major);
        } else if (key == "failure") {
            if (value.empty())
                return fail("[plan] failure is empty; it would fail every step: give the message that means failure");
            plan.failures.push_back(value);
        } else
            return fail("unknown key \"" + key + "\" in [plan]; valid keys: name, title, ctl, package, failure");
        return true;
    }

    bool phase_key(const std::string& key, const std::string& value)
    {
        Phase& phase = plan.phases.back();
        if (key == "title")
            phase.title = value;
        else if (key == "preflight") {
            if (value != "yes" && value != "no")
                return fail("preflight = \"" + value + "\": use yes or no");
            phase.preflight = value == "yes";
        } else if (key == "downtime") {
            if (value == "begins")
                phase.downtime_begins = true;
            else if (value == "ends")
                phase.downtime_ends = true;
            else
                return fail("downtime = \"" + value + "\": use begins or ends");
        } else
            return fail("unknown key \"" + key + "\" in [" + section + "]; valid keys: title, preflight, downtime");
        return true;
    }

    // What the step does: run, run.deb, run.rpm, check, copy, gate.
    bool step_action_key(const std::string& key, const std::string& value)
    {
        Step& s = *step();
        auto argv_of = [&](std::vector<std::string>& out) {
            out = words(value);
            if (out.empty())
                return fail(key + " is empty; give the command and its arguments");
            auto bad = bad_placeholder(out, true);
            if (!bad.empty())
                return fail(key + " uses unknown placeholder " + bad + "; known: {" + join_names(placeholder_names()) + "}");
            return true;
        };
        if (key == "run")
            return argv_of(s.run);
        if (key == "run.deb")
            return argv_of(s.run_deb);
        if (key == "run.rpm")
            return argv_of(s.run_rpm);
        if (s.kind != StepKind::run)
            return fail("step " + s.id + " needs exactly one of run (or run.deb with run.rpm), check, copy, gate");
        if (key == "check") {
            const auto check = check_named(value);
            if (!check)
                return fail("check = \"" + value + "\": unknown check; known: " + join_names(check_names()));
            s.kind = StepKind::check;
            s.check = *check;
        } else if (key == "copy") {
            s.kind = StepKind::copy;
            s.copy = value;
            if (auto problem = copy_dir_problem(value, "{opscode_dir}"); !problem.empty())
                return fail(problem);
        } else {
            if (value != "approval")
                return fail("gate = \"" + value + "\": the only gate is approval");
            s.kind = StepKind::gate;
        }
        return true;
    }

    // When it is ended, and whether and when it runs again: timeout, retry, retries, backoff.
    bool step_retry_key(const std::string& key, const std::string& value)
    {
        Step& s = *step();
        if (key == "timeout") {
            if (!parse_unsigned(value, s.timeout_s) || s.timeout_s == 0)
                return fail("timeout = \"" + value + "\": give whole seconds, at least 1");
        } else if (key == "retry") {
            for (const auto& v : split(value, ',')) {
                if (v == "timeout")
                    s.retry_on_timeout = true;
                else if (v == "failure")
                    s.retry_on_failure = true;
                else if (v != "never")
                    return fail("retry = \"" + value + "\": use never, timeout, failure or \"timeout, failure\"");
            }
        } else if (key == "retries") {
            unsigned n = 0;
            if (!parse_unsigned(value, n) || n > 1000)
                return fail("retries = \"" + value + "\": give a whole number up to 1000");
            s.retries = static_cast<int>(n);
        } else if (!parse_unsigned(value, s.backoff_s)) {
            return fail("backoff = \"" + value + "\": give whole seconds");
        }
        return true;
    }

    bool step_key(const std::string& key, const std::string& value)
    {
        Step& s = *step();
        if (key == "run" || key == "run.deb" || key == "run.rpm" || key == "check" || key == "copy" || key == "gate")
            return step_action_key(key, value);
        if (key == "timeout" || key == "retry" || key == "retries" || key == "backoff")
            return step_retry_key(key, value);
        if (key == "title")
            s.title = value;
        else if (key == "roles") {
            if (!parse_roles(value, s.roles))
                return fail("roles = \"" + value + "\": use a comma list of bootstrap, secondary, frontend, backend or all");
        } else if (key == "order") {
            if (value == "parallel")
                s.order = NodeOrder::parallel;
            else if (value == "backends-serial")
                s.order = NodeOrder::backends_serial;
            else
                return fail("order = \"" + value + "\": use parallel or backends-serial");
        } else if (key == "harmless" || key == "summary") {
            if (value.empty())
                return fail(key + " is empty; it would excuse every failure: give the expected message");
            if (auto bad = bad_placeholder({value}, false); !bad.empty())
                return fail(key + " uses unknown placeholder " + bad + "; known: {" + join_names(placeholder_names()) + "}");
            (key == "harmless" ? s.harmless : s.summary).push_back(value);
        } else if (key == "may_fail" || key == "read_only") {
            if (value != "yes" && value != "no")
                return fail(key + " = \"" + value + "\": use yes or no");
            (key == "may_fail" ? s.may_fail : s.read_only) = value == "yes";
        } else if (key == "when") {
            const std::string failed = "failed:";
            if (value == "bootstrap-not-master")
                s.when = {Condition::Kind::bootstrap_not_master, {}, -1};
            else if (value.rfind(failed, 0) == 0 && value.size() > failed.size())
                s.when = {Condition::Kind::failed, value.substr(failed.size()), -1};  // its index: resolve_conditions()
            else
                return fail("when = \"" + value + "\": unknown condition; known: bootstrap-not-master, failed:STEP");
        } else if (key == "from") {
            return copy_source(key, value, s.copy_from);
        } else if (key == "skip_risk") {
            if (value.empty())
                return fail("skip_risk is empty; say what skipping the step risks");
            s.skip_risk = value;
        } else if (key == "agree") {
            if (value == "yes")
                s.agree = Agreement::equal;
            else if (value == "one-master")
                s.agree = Agreement::one_master;
            else if (value == "no")
                s.agree = Agreement::none;
            else
                return fail("agree = \"" + value + "\": use yes (every node reports the same value), one-master or no");
        } else
            return fail("unknown key \"" + key + "\" in [" + section +
                        "]; valid keys: title, roles, run, run.deb, run.rpm, check, copy, gate, order, timeout, "
                        "retry, retries, backoff, harmless, summary, when, may_fail, agree, read_only, skip_risk, from");
        return true;
    }

    bool addon_key(const std::string& key, const std::string& value)
    {
        Addon& a = plan.addons.back();
        if (key == "roles") {
            if (!parse_roles(value, a.roles))
                return fail("roles = \"" + value + "\": use a comma list of bootstrap, secondary, frontend, backend or all");
        } else if (key == "copy") {
            if (auto problem = copy_dir_problem(value, "{etc_dir}/" + a.name); !problem.empty())
                return fail(problem);
            a.copy = value;
        } else if (key == "copy_from") {
            return copy_source(key, value, a.copy_from);
        } else if (key == "install" || key == "reconfigure" || key == "configure" || key == "backends_after") {
            auto& argv = key == "install"       ? a.install
                         : key == "reconfigure" ? a.reconfigure
                         : key == "configure"   ? a.configure
                                                : a.backends_after;
            argv = words(value);
            if (argv.empty())
                return fail(key + " is empty; give the command and its arguments");
            if (auto bad = bad_placeholder(argv, true); !bad.empty())
                return fail(key + " uses unknown placeholder " + bad + "; known: {" + join_names(placeholder_names()) + "}");
        } else
            return fail("unknown key \"" + key + "\" in [" + section +
                        "]; valid keys: roles, copy, copy_from, install, reconfigure, configure, backends_after");
        return true;
    }

    bool on_key(const std::string& sec, const std::string& key, const std::string& value, int line)
    {
        if (sec != section)
            return fail("[" + sec + "] could not be opened");
        auto first = keys.emplace(key, line);
        // may be given more than once
        const bool list =
            (kind == Kind::step && (key == "harmless" || key == "summary")) || (kind == Kind::plan && key == "failure");
        if (!first.second && !list)
            return fail("\"" + key + "\" is set twice in [" + section + "], first at line " +
                        std::to_string(first.first->second) + "; keep one");
        switch (kind) {
        case Kind::plan: return plan_key(key, value);
        case Kind::phase: return phase_key(key, value);
        case Kind::step: return step_key(key, value);
        case Kind::addon: return addon_key(key, value);
        }
        return false;
    }
};

}  // namespace

Result<Plan> parse_plan_text(const std::string& text, const std::string& file)
{
    Parser p;
    p.plan.file = file;
    IniHandlers handlers;
    handlers.on_section = [&](const std::string& name, int line) { return p.open_section(name, line) ? std::string() : p.error; };
    handlers.on_value = [&](const std::string& section, const std::string& key, const std::string& value, int line) {
        return p.on_key(section, key, value, line) ? std::string() : p.error;
    };
    auto parsed = parse_ini(text, file, handlers);
    if (!parsed)
        return parsed.error();
    if (auto valid = validate_plan(p.plan); !valid)
        return valid.error();
    resolve_conditions(p.plan);
    return std::move(p.plan);
}

std::string plan_path(const std::string& name_or_path, const std::string& plans_dir)
{
    return name_or_path.find('/') != std::string::npos ? name_or_path : plans_dir + "/" + name_or_path + ".plan";
}

Result<Plan> load_plan(const std::string& name_or_path, const std::string& plans_dir)
{
    const bool is_path = name_or_path.find('/') != std::string::npos;
    const std::string path = plan_path(name_or_path, plans_dir);
    auto text = read_text_file(path);
    if (!text)
        return Error{text.error().message + (is_path ? "" : " (set [upgrade] plan to a plan in " + plans_dir + " or a path)")};
    return parse_plan_text(text.value(), path);
}

}  // namespace chu
