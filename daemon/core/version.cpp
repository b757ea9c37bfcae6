#include "version.hpp"

#include <cctype>
#include <cstdlib>

namespace chu {

int compare_versions(const std::string& a, const std::string& b)
{
    std::size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        const bool da = std::isdigit(static_cast<unsigned char>(a[i]));
        const bool db = std::isdigit(static_cast<unsigned char>(b[j]));
        if (da && db) {
            unsigned long long na = 0, nb = 0;
            for (; i < a.size() && std::isdigit(static_cast<unsigned char>(a[i])); ++i)
                na = na * 10 + static_cast<unsigned>(a[i] - '0');
            for (; j < b.size() && std::isdigit(static_cast<unsigned char>(b[j])); ++j)
                nb = nb * 10 + static_cast<unsigned>(b[j] - '0');
            if (na != nb)
                return na < nb ? -1 : 1;
        } else if (a[i] != b[j]) {
            return a[i] < b[j] ? -1 : 1;
        } else {
            ++i, ++j;
        }
    }
    if (i < a.size())
        return 1;
    return j < b.size() ? -1 : 0;
}

int major_version(const std::string& version)
{
    return std::atoi(version.c_str());
}

std::string upstream_version(const std::string& version)
{
    return version.substr(0, version.find('-'));
}

namespace {

// Skips blanks, then takes `token` if it is next.
bool take(const std::string& text, std::size_t& at, const char* token)
{
    while (at < text.size() && std::isspace(static_cast<unsigned char>(text[at])))
        ++at;
    const std::string t(token);
    if (text.compare(at, t.size(), t) != 0)
        return false;
    at += t.size();
    return true;
}

// A JSON number without sign, fraction or exponent, as partybus's integers are.
bool take_number(const std::string& text, std::size_t& at, int& out)
{
    while (at < text.size() && std::isspace(static_cast<unsigned char>(text[at])))
        ++at;
    const std::size_t start = at;
    long value = 0;
    while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at])) && at - start < 6)
        value = value * 10 + (text[at++] - '0');
    out = static_cast<int>(value);
    return at > start && (at == text.size() || !std::isdigit(static_cast<unsigned char>(text[at])));
}

}  // namespace

std::optional<MigrationLevel> parse_migration_level(const std::string& text)
{
    std::size_t at = 0;
    MigrationLevel level;
    bool seen_major = false, seen_minor = false;
    if (!take(text, at, "{"))
        return std::nullopt;
    for (int i = 0; i < 2; ++i) {
        if (i == 1 && !take(text, at, ","))
            return std::nullopt;
        const bool major = take(text, at, "\"major\"");
        if (!major && !take(text, at, "\"minor\""))
            return std::nullopt;
        bool& seen = major ? seen_major : seen_minor;
        if (seen || !take(text, at, ":") || !take_number(text, at, major ? level.major : level.minor))
            return std::nullopt;
        seen = true;
    }
    if (!take(text, at, "}"))
        return std::nullopt;
    while (at < text.size() && std::isspace(static_cast<unsigned char>(text[at])))
        ++at;
    if (at != text.size())
        return std::nullopt;
    return level;
}

std::optional<MigrationLevel> release_migration_level(const std::string& version)
{
    // The newest file of private-chef-upgrades/001/ at opscode-omnibus 1.4.6, 11.0.0/11.0.2, 11.1.0-11.1.8;
    // the EC 11.1 HA upgrade notes give the same three levels.
    const std::string v = upstream_version(version);
    if (compare_versions(v, "1.4.6") >= 0 && compare_versions(v, "1.5") < 0)
        return MigrationLevel{1, 7};
    if (compare_versions(v, "11.0") >= 0 && compare_versions(v, "11.1") < 0)
        return MigrationLevel{1, 12};
    if (compare_versions(v, "11.1") >= 0 && compare_versions(v, "11.2") < 0)
        return MigrationLevel{1, 13};
    return std::nullopt;
}

}  // namespace chu
