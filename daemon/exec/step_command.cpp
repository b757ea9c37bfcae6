#include "exec/step_command.hpp"

#include "config/text_file.hpp"
#include "posix/posix.hpp"

#include <unistd.h>

namespace chu {

namespace {

// Packing reads /etc/opscode and writes a file in the state dir: nothing on the cluster changes, so a timer
// may end it; ten minutes is far beyond any real directory.
constexpr unsigned pack_timeout_s = 600;
constexpr std::string_view check_frame = "chu-check/1 ";

// The last non-empty line: what a command said last, on failure.
std::string last_line(std::string_view text)
{
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
        text.remove_suffix(1);
    const auto nl = text.rfind('\n');
    return std::string(nl == std::string_view::npos ? text : text.substr(nl + 1));
}

// "<n>:<n bytes>" at `pos`, moving pos past it.
std::optional<std::string> counted(std::string_view in, std::size_t& pos)
{
    const auto colon = in.find(':', pos);
    if (colon == std::string_view::npos || colon == pos || colon - pos > 9)
        return std::nullopt;
    std::size_t n = 0;
    for (std::size_t i = pos; i < colon; ++i) {
        if (in[i] < '0' || in[i] > '9')
            return std::nullopt;
        n = n * 10 + static_cast<std::size_t>(in[i] - '0');
    }
    if (n > in.size() - colon - 1)
        return std::nullopt;
    pos = colon + 1 + n;
    return std::string(in.substr(colon + 1, n));
}

}  // namespace

std::optional<StepCommand> step_command(const RunStep& run, const std::string& step_id, const ChildContext& ctx)
{
    StepCommand c;
    c.exec.phase = run.phase;
    c.exec.step = step_id;
    c.exec.timeout_s = run.action.timeout_s;
    switch (run.action.kind) {
    case StepKind::run: c.exec.argv = run.action.argv; break;
    case StepKind::check:
        c.exec.argv = {ctx.self, "--config", ctx.config_path, "--run-check", check_name(run.action.check)};
        if (ctx.rehearsal)
            c.exec.argv.push_back("--rehearse");
        c.exec.log_out = false;  // the frame; the child says its verdict on stderr
        c.reads_check_report = true;
        break;
    case StepKind::copy:
        c.input = ctx.state_dir + "/incoming.tar";
        c.exec.argv = {ctx.self, "--config", ctx.config_path, "--install-archive", c.input, "--dir", run.action.dir};
        break;
    case StepKind::gate: return std::nullopt;
    }
    return c;
}

Status prepare(const StepCommand& command, const RunStep& run)
{
    if (command.input.empty())
        return Ok{};
    return write_file_atomic(command.input, run.archive, 0600);  // it holds the cluster's secrets
}

StepOutcome step_outcome(const StepCommand& command, const ExecResult& result)
{
    if (!command.input.empty())
        unlink(command.input.c_str());
    StepOutcome end{result.outcome, result.exit_code, {}, {}};
    if (!command.reads_check_report) {
        end.detail = result.tail;
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

PackCommand pack_command(const PackArchive& pack, const std::string& step_id, const ChildContext& ctx)
{
    const std::string out = ctx.state_dir + "/outgoing.tar";
    return {Exec{{ctx.self, "--pack-archive", pack.dir, "--out", out}, pack_timeout_s, pack.phase, step_id}, out};
}

Result<std::string> packed_archive(const PackCommand& command, const ExecResult& result)
{
    if (result.outcome != Outcome::ok)
        return Error{last_line(result.err.empty() ? result.tail : result.err)};
    auto bytes = read_text_file(command.out);
    unlink(command.out.c_str());
    return bytes;
}

std::string encode_check_report(const CheckReport& report)
{
    return std::string(check_frame) + std::to_string(report.value.size()) + ":" + report.value + " " +
           std::to_string(report.message.size()) + ":" + report.message + "\n";
}

std::optional<CheckReport> decode_check_report(std::string_view out)
{
    std::optional<CheckReport> last;
    for (std::size_t at = 0; at < out.size();) {
        std::size_t pos = at + check_frame.size();
        if (out.substr(at, check_frame.size()) == check_frame) {
            auto value = counted(out, pos);
            const bool spaced = value && pos < out.size() && out[pos] == ' ';
            auto message = spaced ? counted(out, ++pos) : std::nullopt;
            if (message && pos < out.size() && out[pos] == '\n') {
                last = CheckReport{std::move(*value), std::move(*message)};
                at = pos + 1;
                continue;
            }
        }
        const auto nl = out.find('\n', at);
        if (nl == std::string_view::npos)
            break;
        at = nl + 1;
    }
    return last;
}

}  // namespace chu
