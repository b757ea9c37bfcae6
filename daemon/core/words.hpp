// Splitting a line at whitespace: plan values, and in the tests the simulated Chef node's call log and
// nft's listings.
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

}  // namespace chu
