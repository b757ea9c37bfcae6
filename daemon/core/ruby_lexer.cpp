// The tokenizer of private-chef.rb's Ruby subset (ruby_lexer.hpp): Ruby's own rules for strings, symbols,
// labels, comments and where a statement ends, so that the parser sees the statements Chef would run.
#include "ruby_lexer.hpp"

#include <algorithm>
#include <optional>
#include <utility>

namespace chu::ruby {

namespace {

bool is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool is_ident_char(char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

char closer_of(char open)
{
    return open == '(' ? ')' : open == '[' ? ']' : '}';
}

class Lexer {
public:
    Lexer(std::string_view text, const std::string& file) : text_(text), file_(file) {}

    Result<std::vector<Statement>> run()
    {
        const std::size_t n = text_.size();
        if (text_.substr(0, 3) == "\xEF\xBB\xBF")
            i_ = 3;
        bool line_start = true;
        while (i_ < n) {
            const char c = text_[i_];
            if (line_start && begins_block_comment()) {
                if (auto e = skip_block_comment())
                    return *e;
                continue;
            }
            if (line_start && open_.empty() && ends_program())
                break;  // Ruby reads nothing after `__END__`, and neither does Chef's instance_eval
            line_start = false;
            if (c == '\n') {
                ++i_;
                ++line_;
                line_start = true;
                if (open_.empty() && !continues())
                    finish();
            } else if (is_blank(c)) {
                ++i_;
            } else if (c == '#') {
                while (i_ < n && text_[i_] != '\n')
                    ++i_;
            } else if (c == '\\' && backslash_continues()) {
                // skipped up to and past the newline: the statement goes on on the next line
            } else if (c == '"' || c == '\'') {
                if (auto e = lex_string(Kind::string, i_, i_))
                    return *e;
            } else if (c == '=' && i_ + 1 < n && text_[i_ + 1] == '>') {
                push(Kind::arrow, "=>", i_, i_ + 2);
            } else if (c == ':' && i_ + 1 < n && text_[i_ + 1] == ':') {
                push(Kind::punct, "::", i_, i_ + 2);
            } else if (c == ':' && i_ + 1 < n && is_ident_start(text_[i_ + 1])) {
                std::size_t j = i_ + 1;
                while (j < n && is_ident_char(text_[j]))
                    ++j;
                push(Kind::symbol, std::string(text_.substr(i_ + 1, j - i_ - 1)), i_, j);
            } else if (c == ':' && i_ + 1 < n && (text_[i_ + 1] == '"' || text_[i_ + 1] == '\'')) {
                if (auto e = lex_string(Kind::symbol, i_, i_ + 1))
                    return *e;
            } else if (is_ident_start(c)) {
                lex_word();
            } else if (c >= '0' && c <= '9') {
                std::size_t j = i_;
                while (j < n && (is_ident_char(text_[j]) || text_[j] == '.'))
                    ++j;
                push(Kind::number, std::string(text_.substr(i_, j - i_)), i_, j);
            } else if (c == '(' || c == '[' || c == '{') {
                push(Kind::punct, std::string(1, c), i_, i_ + 1);
                open_.emplace_back(c, line_);
            } else if (c == ')' || c == ']' || c == '}') {
                if (auto e = close_bracket(c))
                    return *e;
            } else if (c == ';' && open_.empty()) {
                ++i_;
                finish();
            } else {
                push(Kind::punct, std::string(1, c), i_, i_ + 1);
            }
        }
        if (!open_.empty())
            return error_at(file_, statement_line(),
                            std::string("`") + open_.back().first + "` opened on line " + std::to_string(open_.back().second) +
                                " is never closed; add the closing `" + closer_of(open_.back().first) + "`");
        finish();
        return std::move(statements_);
    }

private:
    int statement_line() const { return current_.tokens.empty() ? line_ : current_.line; }

    void lex_word()
    {
        const std::size_t n = text_.size();
        std::size_t j = i_;
        while (j < n && is_ident_char(text_[j]))
            ++j;
        if (j < n && (text_[j] == '?' || text_[j] == '!') && (j + 1 >= n || text_[j + 1] != '='))
            ++j;  // a Ruby predicate or bang method name, `enabled?`
        std::string word(text_.substr(i_, j - i_));
        if (j < n && text_[j] == ':' && (j + 1 >= n || text_[j + 1] != ':'))
            push(Kind::label, std::move(word), i_, j + 1);  // Ruby 1.9 `key: value`
        else
            push(Kind::word, std::move(word), i_, j);
    }

    std::optional<Error> close_bracket(char c)
    {
        if (open_.empty())
            return error_at(file_, statement_line(),
                            std::string("`") + c + "` has no matching opening bracket; remove it or add the opening one");
        if (closer_of(open_.back().first) != c)
            return error_at(file_, statement_line(),
                            std::string("`") + c + "` does not match the `" + open_.back().first + "` opened on line " +
                                std::to_string(open_.back().second) + "; close brackets in the order they were opened");
        open_.pop_back();
        push(Kind::punct, std::string(1, c), i_, i_ + 1);
        return std::nullopt;
    }

    void push(Kind kind, std::string value, std::size_t begin, std::size_t end)
    {
        if (current_.tokens.empty())
            current_.line = line_;
        Token t;
        t.kind = kind;
        t.value = std::move(value);
        t.begin = begin;
        t.end = end;
        t.line = line_;
        current_.tokens.push_back(std::move(t));
        i_ = end;
    }

    void finish()
    {
        if (!current_.tokens.empty())
            statements_.push_back(std::move(current_));
        current_ = Statement{};
    }

    // Ruby reads on past a newline when the line ends in a comma, `=>`, a `key:` label or a binary operator
    // (but not in the `|x|` of a block).
    bool continues() const
    {
        const std::vector<Token>& t = current_.tokens;
        if (t.empty())
            return false;
        const Token& last = t.back();
        if (last.kind == Kind::arrow || last.kind == Kind::label)
            return true;
        if (last.kind != Kind::punct)
            return false;
        if (last.value == "|")
            return t.size() >= 2 && t[t.size() - 2].value == "|" && t[t.size() - 2].end == last.begin;
        return last.value.size() == 1 && std::string_view(",=+-*/&?:.<>%^").find(last.value[0]) != std::string_view::npos;
    }

    bool backslash_continues()
    {
        std::size_t j = i_ + 1;
        while (j < text_.size() && is_blank(text_[j]))
            ++j;
        if (j < text_.size() && text_[j] != '\n')
            return false;
        i_ = j < text_.size() ? j + 1 : j;
        if (j < text_.size())
            ++line_;
        return true;
    }

    // A line that is exactly `__END__` (a carriage return allowed).
    bool ends_program() const
    {
        if (text_.substr(i_, 7) != "__END__")
            return false;
        std::size_t j = i_ + 7;
        if (j < text_.size() && text_[j] == '\r')
            ++j;
        return j == text_.size() || text_[j] == '\n';
    }

    bool begins_block_comment() const
    {
        return text_.substr(i_, 6) == "=begin" && (i_ + 6 == text_.size() || is_blank(text_[i_ + 6]) || text_[i_ + 6] == '\n');
    }

    std::optional<Error> skip_block_comment()
    {
        const int start = line_;
        for (;;) {
            const std::size_t nl = text_.find('\n', i_);
            if (nl == std::string_view::npos)
                return error_at(file_, start, "=begin comment is never closed; add a line =end after it");
            i_ = nl + 1;
            ++line_;
            if (text_.substr(i_, 4) == "=end") {
                const std::size_t end = text_.find('\n', i_);
                i_ = end == std::string_view::npos ? text_.size() : end;  // its newline ends the line as usual
                return std::nullopt;
            }
        }
    }

    // A string from `quote` on; `begin` is where the token starts (the colon of a :"symbol").
    std::optional<Error> lex_string(Kind kind, std::size_t begin, std::size_t quote_at)
    {
        const char quote = text_[quote_at];
        std::string value;
        bool interpolated = false;
        std::size_t j = quote_at + 1;
        for (;;) {
            if (j >= text_.size() || text_[j] == '\n') {
                std::string head(text_.substr(quote_at, std::min<std::size_t>(j - quote_at, 40)));
                return error_at(file_, statement_line(),
                                "unterminated string `" + head + "`: the closing " + quote + " is missing on line " +
                                    std::to_string(line_) + "; add it");
            }
            const char c = text_[j];
            if (c == quote)
                break;
            if (c == '\\' && j + 1 < text_.size() && text_[j + 1] != '\n') {
                const char next = text_[j + 1];
                if (quote == '\'')
                    value += (next == '\\' || next == '\'') ? std::string(1, next) : std::string{'\\', next};
                else
                    value += next == 'n' ? '\n' : next == 't' ? '\t' : next;
                j += 2;
                continue;
            }
            if (quote == '"' && c == '#' && j + 1 < text_.size() && text_[j + 1] == '{')
                interpolated = true;
            value += c;
            ++j;
        }
        std::size_t end = j + 1;
        if (kind == Kind::string && end < text_.size() && text_[end] == ':' &&
            (end + 1 >= text_.size() || text_[end + 1] != ':')) {
            kind = Kind::label;  // "key": value
            ++end;
        }
        push(kind, std::move(value), begin, end);
        current_.tokens.back().interpolated = interpolated;
        return std::nullopt;
    }

    std::string_view text_;
    const std::string& file_;
    std::size_t i_ = 0;
    int line_ = 1;
    std::vector<std::pair<char, int>> open_;  // brackets still open, with their lines
    Statement current_;
    std::vector<Statement> statements_;
};

}  // namespace

std::string render(std::string_view text, const std::vector<Token>& tokens, std::size_t from, std::size_t to)
{
    std::string out;
    for (std::size_t k = from; k < to && k < tokens.size(); ++k) {
        if (k > from && tokens[k].begin > tokens[k - 1].end)
            out += ' ';
        out += text.substr(tokens[k].begin, tokens[k].end - tokens[k].begin);
    }
    return out;
}

Result<std::vector<Statement>> lex(std::string_view text, const std::string& file)
{
    return Lexer(text, file).run();
}

}  // namespace chu::ruby
