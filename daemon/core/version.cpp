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

}  // namespace chu
