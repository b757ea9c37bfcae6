#include "text.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace chu::ctl {

namespace {

std::string local(std::uint64_t us, const char* format)
{
    const std::time_t t = static_cast<std::time_t>(us / 1000000);
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[64];
    return std::strftime(buf, sizeof buf, format, &tm) ? buf : "";
}

}  // namespace

std::uint64_t now_us()
{
    using namespace std::chrono;
    return static_cast<std::uint64_t>(duration_cast<microseconds>(system_clock::now().time_since_epoch()).count());
}

std::string clock_time(std::uint64_t us)
{
    // strftime's %z is "+0200"; ISO 8601's extended form, as date -Iseconds prints it, is "+02:00".
    std::string t = local(us, "%Y-%m-%dT%H:%M:%S%z");
    if (t.size() > 2)
        t.insert(t.size() - 2, ":");
    return t;
}

std::string time_of_day(std::uint64_t us)
{
    return local(us, "%H:%M:%S");
}

std::string duration(std::uint64_t us)
{
    char buf[48];
    const std::uint64_t s = us / 1000000;
    if (s < 10)
        std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(us) / 1e6);
    else if (s < 60)
        std::snprintf(buf, sizeof buf, "%llu s", static_cast<unsigned long long>(s));
    else if (s < 3600)
        std::snprintf(buf, sizeof buf, "%llu min %02llu s", static_cast<unsigned long long>(s / 60),
                      static_cast<unsigned long long>(s % 60));
    else
        std::snprintf(buf, sizeof buf, "%llu h %02llu min", static_cast<unsigned long long>(s / 3600),
                      static_cast<unsigned long long>(s % 3600 / 60));
    return buf;
}

std::string xml_text(const std::string& s)
{
    std::string out;
    for (const char c : s) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&apos;"; break;
        default:
            // XML 1.0 allows no other control characters than tab and newlines.
            if (static_cast<unsigned char>(c) >= 0x20 || c == '\t' || c == '\n' || c == '\r')
                out += c;
        }
    }
    return out;
}

std::string first_line(const std::string& s)
{
    return s.substr(0, s.find('\n'));
}

}  // namespace chu::ctl
