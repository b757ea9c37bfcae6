#include "checks/check_report.hpp"

namespace chu {

namespace {

constexpr std::string_view check_frame = "chu-check/1 ";

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
