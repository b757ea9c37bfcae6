#include "config/ini_file.hpp"

#include <ini.h>

#include <algorithm>
#include <string_view>
#include <vector>

namespace chu {

namespace {

constexpr std::size_t max_section = 50;  // inih's MAX_SECTION, with its terminating NUL

struct Parse {
    Parse(const std::string& text_, const IniHandlers& handlers_) : text(text_), handlers(handlers_) {}
    const std::string& text;
    const IniHandlers& handlers;
    std::size_t pos = 0;
    int line = 0;                    // the line inih is working on
    std::vector<std::string> lines;  // as read, for messages about lines inih refused
    int error_line = 0;
    std::string error;

    void fail(std::string what)
    {
        if (error_line == 0 && !what.empty()) {
            error_line = line;
            error = std::move(what);
        }
    }
};

char* read_line(char* buffer, int size, void* stream)
{
    Parse& parse = *static_cast<Parse*>(stream);
    if (parse.pos >= parse.text.size())
        return nullptr;
    ++parse.line;
    const std::size_t end = std::min(parse.text.find('\n', parse.pos), parse.text.size());
    std::string_view line(parse.text.data() + parse.pos, end - parse.pos);
    parse.pos = end + 1;
    if (parse.line == 1 && line.substr(0, 3) == "\xEF\xBB\xBF")
        line.remove_prefix(3);
    // inih would take an indented line for the continuation of the previous value.
    line.remove_prefix(std::min(line.find_first_not_of(" \t\v\f"), line.size()));
    parse.lines.emplace_back(line.substr(0, line.find_last_not_of(" \t\r\v\f") + 1));

    const std::size_t room = static_cast<std::size_t>(size) - 2;  // for "\n" and the terminating NUL
    if (line.find('\0') != std::string_view::npos) {
        parse.fail("the line holds a NUL byte; the file must be plain text");
        line = {};
    } else if (line.size() > room) {
        // inih would silently cut the value; a cut path is worse than an error.
        parse.fail("the line is longer than " + std::to_string(room) + " characters; shorten it");
        line = {};
    } else if (!line.empty() && line.front() == '[' && line.find(']') != std::string_view::npos) {
        const std::string name(line.substr(1, line.find(']') - 1));
        if (name.size() >= max_section)  // inih would cut it
            parse.fail("the section name is longer than " + std::to_string(max_section - 1) + " characters; shorten it");
        else if (parse.handlers.on_section)
            parse.fail(parse.handlers.on_section(name, parse.line));
    }
    line.copy(buffer, line.size());
    buffer[line.size()] = '\n';
    buffer[line.size() + 1] = '\0';
    return buffer;
}

int on_value(void* user, const char* section, const char* key, const char* value)
{
    Parse& parse = *static_cast<Parse*>(user);
    if (parse.error_line != 0)
        return 0;
    if (*section == '\0') {
        parse.fail(std::string("key `") + key + "` comes before any section header; put it under its [section]");
        return 0;
    }
    parse.fail(parse.handlers.on_value(section, key, value, parse.line));
    return parse.error_line == 0 ? 1 : 0;
}

}  // namespace

Status parse_ini(const std::string& text, const std::string& file, const IniHandlers& handlers)
{
    Parse parse(text, handlers);
    const int first_error = ini_parse_stream(read_line, &parse, on_value, &parse);
    if (first_error < 0)
        return Error{file + ": out of memory while parsing"};
    if (parse.error_line != 0 && (first_error == 0 || parse.error_line <= first_error))
        return error_at(file, parse.error_line, parse.error);
    if (first_error > 0) {
        const std::string& line = parse.lines.at(static_cast<std::size_t>(first_error - 1));
        if (!line.empty() && line.front() == '[')
            return error_at(file, first_error, "section header `" + line + "` has no closing ]; write it as [name]");
        return error_at(file, first_error,
                        "`" + line +
                            "` is neither a [section] header nor a `key = value` line; fix it, or make it "
                            "a comment by starting it with #");
    }
    return Ok{};
}

}  // namespace chu
