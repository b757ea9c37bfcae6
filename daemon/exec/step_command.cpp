#include "exec/step_command.hpp"

#include "config/text_file.hpp"

#include <unistd.h>

namespace chu {

namespace {

// Packing reads /etc/opscode and writes a file in the state dir: nothing on the cluster changes, so a timer
// may end it; ten minutes is far beyond any real directory.
constexpr unsigned pack_timeout_s = 600;

// The last non-empty line: what a command said last, on failure.
std::string last_line(std::string_view text)
{
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
        text.remove_suffix(1);
    const auto nl = text.rfind('\n');
    return std::string(nl == std::string_view::npos ? text : text.substr(nl + 1));
}

}  // namespace

std::string check_helper(const std::string& self)
{
    const auto slash = self.rfind('/');
    return (slash == std::string::npos ? std::string(".") : self.substr(0, slash)) + "/" + CHU_CHECK_HELPER;
}

std::optional<StepCommand> step_command(const RunStep& run, const ChildContext& ctx)
{
    StepCommand c;
    c.exec.phase = run.phase;
    c.exec.step = run.step_id;
    c.exec.timeout_s = run.action.timeout_s;
    switch (run.action.kind) {
    case StepKind::run:
        c.exec.argv = run.action.argv;
        c.exec.keep = run.action.failures;
        break;
    case StepKind::check:
        c.exec.argv = {check_helper(ctx.self), "--config", ctx.config_path, check_name(run.action.check)};
        if (ctx.rehearsal)
            c.exec.argv.push_back("--rehearse");
        c.exec.log_out = false;  // the frame; the child says its verdict on stderr
        c.reads_check_report = true;
        break;
    case StepKind::copy:  // the archive holds the cluster's secrets: on stdin, never written to disk here
        c.exec.argv = {ctx.self, "--config", ctx.config_path, "--install-archive", "/dev/stdin", "--dir", run.action.dir};
        c.exec.input = run.archive;
        break;
    case StepKind::gate: return std::nullopt;
    }
    return c;
}

StepOutcome step_outcome(const StepCommand& command, const ExecResult& result)
{
    StepOutcome end{result.outcome, result.exit_code, {}, {}};
    if (!command.reads_check_report) {
        // A failure line that scrolled out of the tail still reaches the core, which judges it.
        const bool scrolled = !result.kept.empty() && result.tail.find(result.kept) == std::string::npos;
        end.detail = scrolled ? result.kept + "...\n" + result.tail : result.tail;
        return end;
    }
    if (auto report = decode_check_report(result.out)) {
        end.value = std::move(report->value);
        end.detail = std::move(report->message);
    } else if (result.outcome == Outcome::ok) {
        end = {Outcome::failed, result.exit_code, {}, "the check exited 0 without its report: " + last_line(result.tail)};
    } else {
        end.detail = last_line(result.err.empty() ? result.tail : result.err);  // it died before its verdict
    }
    return end;
}

PackCommand pack_command(const PackArchive& pack, const ChildContext& ctx)
{
    const std::string out = ctx.state_dir + "/outgoing.tar";
    return {Exec{{ctx.self, "--pack-archive", pack.dir, "--out", out}, pack_timeout_s, pack.phase, pack.step_id}, out};
}

Result<std::string> packed_archive(const PackCommand& command, const ExecResult& result)
{
    if (result.outcome != Outcome::ok)
        return Error{last_line(result.err.empty() ? result.tail : result.err)};
    auto bytes = read_text_file(command.out);
    unlink(command.out.c_str());
    return bytes;
}

}  // namespace chu
