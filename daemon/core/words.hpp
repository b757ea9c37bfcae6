// Splitting a line at whitespace (plan values, and in the tests the simulated Chef node's call log and
// nft's listings), and joining names for a message.
#pragma once

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace chu {

// The whitespace-separated words of `text`, in order; none for a blank text.
inline std::vector<std::string> words(std::string_view text)
{
    const auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
    std::vector<std::string> out;
    std::size_t i = 0;
    for (;;) {
        while (i < text.size() && space(text[i]))
            ++i;
        if (i == text.size())
            return out;
        const std::size_t start = i;
        while (i < text.size() && !space(text[i]))
            ++i;
        out.emplace_back(text.substr(start, i - start));
    }
}

// "a, b, c": nodes, checks or keys named in a message.
inline std::string join_names(const std::vector<std::string>& names)
{
    std::string out;
    for (const auto& n : names)
        out += (out.empty() ? "" : ", ") + n;
    return out;
}

}  // namespace chu
