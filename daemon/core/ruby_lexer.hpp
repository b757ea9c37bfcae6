// The tokenizer of the Ruby subset Chef operators write in private-chef.rb: text to statements of tokens,
// so that the topology parser can read the file without running it.
#pragma once

#include "result.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace chu::ruby {

enum class Kind { word, label, symbol, string, number, arrow, punct };

struct Token {
    Kind kind = Kind::punct;
    std::string value;      // decoded: string contents, symbol or label name, word, punctuation
    std::size_t begin = 0;  // source span, to quote the statement back in notes and messages
    std::size_t end = 0;
    int line = 0;
    bool interpolated = false;  // a "…#{…}…" string: its value is only known to Ruby
};

struct Statement {
    std::vector<Token> tokens;
    int line = 0;
};

// The statements of `text` as Ruby splits them (at newlines and `;`, joining continued lines); refuses, at
// file:line, brackets that do not pair and a string or =begin comment left open.
Result<std::vector<Statement>> lex(std::string_view text, const std::string& file);

// Quotes tokens back as the operator wrote them, one line, whitespace and comments collapsed to a space.
std::string render(std::string_view text, const std::vector<Token>& tokens, std::size_t from, std::size_t to);

}  // namespace chu::ruby
