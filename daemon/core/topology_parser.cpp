// parse_topology (topology.hpp): the lexer's statements of private-chef.rb read into a Topology and
// validated, every refusal naming file:line and how to fix it.
#include "ruby_lexer.hpp"
#include "topology.hpp"

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chu {

namespace {

using ruby::Kind;
using ruby::render;
using ruby::Statement;
using ruby::Token;

std::string shorten(std::string s)
{
    constexpr std::size_t limit = 100;
    if (s.size() > limit)
        s = s.substr(0, limit - 3) + "...";
    return s;
}

struct Arg {
    std::optional<Token> key;  // absent: a positional value
    std::vector<Token> value;
};

bool is_ipv4(const std::string& s)
{
    int parts = 0;
    std::size_t i = 0;
    while (true) {
        std::size_t j = i;
        while (j < s.size() && s[j] >= '0' && s[j] <= '9')
            ++j;
        const std::size_t len = j - i;
        if (len == 0 || len > 3 || (len > 1 && s[i] == '0'))  // a leading zero reads as octal elsewhere
            return false;
        if (std::stoi(s.substr(i, len)) > 255)
            return false;
        ++parts;
        if (j == s.size())
            return parts == 4;
        if (s[j] != '.' || parts == 4)
            return false;
        i = j + 1;
    }
}

std::string quoted(const std::string& s)
{
    return "\"" + s + "\"";
}

// What the parser remembers beside the Topology: facts needed only to validate it.
struct ServerFacts {
    bool backend = false;
    bool bootstrap = false;
};

class Parser {
public:
    Parser(std::string_view text, const std::string& file) : text_(text), file_(file) { topology_.file = file; }

    // What kind of cluster first (a Chef Backend frontend, not HA at all), then whether the file can be read
    // without running it, then every statement in order, then the whole.
    Result<Topology> run(const std::vector<Statement>& statements)
    {
        if (auto e = chef_backend(statements))
            return *e;
        for (const Statement& st : statements)
            if (is_call(st, "topology"))
                if (auto e = statement(st))
                    return *e;
        if (auto e = ha_topology())
            return *e;
        if (auto e = guard(statements))
            return *e;
        for (const Statement& st : statements)
            if (!is_call(st, "topology"))
                if (auto e = statement(st))
                    return *e;
        if (auto e = validate())
            return *e;
        return std::move(topology_);
    }

private:
    // Whether `st` is a call of Chef's setting `name` (not `name = x`, a local variable, or `name.strip`).
    static bool is_call(const Statement& st, const char* name)
    {
        const std::vector<Token>& t = st.tokens;
        return t[0].kind == Kind::word && t[0].value == name && (t.size() == 1 || t[1].kind != Kind::punct || t[1].value == "(");
    }

    // The word of `st` that decides which cluster Chef sees (`server`, `backend_vip`, `topology`), or "".
    static std::string deciding_word(const Statement& st)
    {
        for (const Token& t : st.tokens)
            if (t.kind == Kind::word && (t.value == "server" || t.value == "backend_vip" || t.value == "topology"))
                return t.value;
        return {};
    }

    static bool has_word(const Statement& st, std::initializer_list<const char*> words, std::size_t from = 0)
    {
        for (std::size_t k = from; k < st.tokens.size(); ++k)
            if (st.tokens[k].kind == Kind::word)
                for (const char* w : words)
                    if (st.tokens[k].value == w)
                        return true;
        return false;
    }

    // A Chef Backend frontend: its own kind of cluster, told apart before anything else.
    std::optional<Error> chef_backend(const std::vector<Statement>& statements) const
    {
        for (const Statement& st : statements)
            if (is_call(st, "use_chef_backend") || is_call(st, "chef_backend_members"))
                return fail(st.line, "this is a frontend of a Chef Backend cluster (" + st.tokens[0].value +
                                         "), which chef-ha-upgrade does not upgrade: it upgrades DRBD/keepalived HA "
                                         "clusters (topology \"ha\"); follow Chef's Chef Backend upgrade instead");
        return std::nullopt;
    }

    std::optional<Error> ha_topology() const
    {
        if (topology_line_ == 0)
            return fail(last_line(), "no topology statement: this is not an HA topology, and chef-ha-upgrade upgrades "
                                     "only \"ha\" clusters; add topology \"ha\" if this is one, or upgrade by hand");
        if (topology_value_ != "ha")
            return fail(topology_line_, "topology is " + quoted(topology_value_) +
                                            ": this is not an HA topology, and chef-ha-upgrade upgrades only \"ha\" "
                                            "clusters; set topology \"ha\" or upgrade by hand");
        return std::nullopt;
    }

    // Ruby this reader does not run. Where it could change which server, backend_vip or topology calls Chef
    // makes (a condition, a loop, a block, a method, code loaded from elsewhere) the file is refused, naming
    // the construct; elsewhere it is ignored like any other setting. A line that only continues the one
    // before it (a missing comma) is the syntax error Ruby would stop at.
    std::optional<Error> guard(const std::vector<Statement>& statements) const
    {
        const std::string fix = "chef-ha-upgrade reads this file without running it, so it cannot tell which servers Chef "
                                "sees; write each server (and backend_vip, topology) on its own line, outside any condition, "
                                "loop or block";
        std::vector<std::pair<std::string, int>> open;  // constructs not yet closed by `end`: what, line
        for (std::size_t i = 0; i < statements.size(); ++i) {
            const Statement& st = statements[i];
            const Token& head = st.tokens[0];
            const std::string word = head.kind == Kind::word ? head.value : "";
            if (head.kind == Kind::label || head.kind == Kind::arrow ||
                (st.tokens.size() > 1 && st.tokens[1].kind == Kind::arrow))
                return fail(st.line,
                            "Ruby stops here with a syntax error: `" + shorten(render(text_, st.tokens, 0, st.tokens.size())) +
                                "` continues nothing" +
                                (i > 0 ? "; line " + std::to_string(statements[i - 1].line) + " before it needs a `,` at its end"
                                       : std::string()));
            if (word == "eval" || word == "instance_eval" || word == "class_eval" || word == "instance_exec" || word == "load" ||
                word == "require" || word == "require_relative" || word == "send" || word == "public_send")
                return fail(st.line, "`" + word + "` runs Ruby from elsewhere, which may declare servers; " + fix);
            const std::string decides = deciding_word(st);
            if (!decides.empty() && !open.empty())
                return fail(st.line, "`" + decides + "` inside " + open.back().first + " opened on line " +
                                         std::to_string(open.back().second) + "; " + fix);
            if (word == "end") {
                if (!open.empty())
                    open.pop_back();
                continue;
            }
            const bool keyword = word == "if" || word == "unless" || word == "while" || word == "until" || word == "case" ||
                                 word == "for" || word == "begin" || word == "def" || word == "class" || word == "module";
            std::string what = keyword ? "`" + word + "`" : has_word(st, {"do"}) ? "a block (`do`)" : "";
            const bool brace_block = std::adjacent_find(st.tokens.begin(), st.tokens.end(), [](const Token& a, const Token& b) {
                                         return a.value == "{" && b.value == "|";
                                     }) != st.tokens.end();
            if (!decides.empty() && (keyword || brace_block || !what.empty()))
                return fail(st.line, "`" + decides + "` in " + (what.empty() ? std::string("a block (`{ |…| }`)") : what) +
                                         " on this line; " + fix);
            if (!decides.empty() && has_word(st, {"if", "unless", "while", "until", "rescue"}, 1))
                return fail(st.line, "`" + decides + "` with a condition on the same line; " + fix);
            if (!what.empty() && !(keyword && st.tokens.back().value == "end"))
                open.emplace_back(what, st.line);
        }
        return std::nullopt;
    }

    std::optional<Error> statement(const Statement& st)
    {
        const Token& head = st.tokens.front();
        // `server = x` or `api_fqdn.strip` is Ruby about a local name, not the Chef setting.
        const bool call =
            is_call(st, "topology") || is_call(st, "server") || is_call(st, "backend_vip") || is_call(st, "api_fqdn");
        if (!call) {
            topology_.notes.push_back(file_ + ":" + std::to_string(st.line) + ": ignored `" +
                                      shorten(render(text_, st.tokens, 0, st.tokens.size())) + "`");
            return std::nullopt;
        }
        std::vector<Arg> args;
        if (auto e = call_args(st, args))
            return e;
        if (head.value == "topology")
            return topology_statement(st, args);
        if (head.value == "server")
            return server_statement(st, args);
        if (head.value == "backend_vip")
            return backend_vip_statement(st, args);
        return api_fqdn_statement(st, args);
    }

    std::optional<Error> fail(int line, const std::string& what) const { return error_at(file_, line, what); }

    static std::size_t matching(const std::vector<Token>& t, std::size_t open)
    {
        int depth = 0;
        for (std::size_t k = open; k < t.size(); ++k) {
            if (t[k].kind != Kind::punct)
                continue;
            if (t[k].value == "(" || t[k].value == "[" || t[k].value == "{") {
                ++depth;
            } else if (t[k].value == ")" || t[k].value == "]" || t[k].value == "}") {
                if (--depth == 0)
                    return k;
            }
        }
        return t.size();  // the lexer balances brackets per statement, so this is not reached
    }

    std::optional<Error> call_args(const Statement& st, std::vector<Arg>& args) const
    {
        const std::vector<Token>& t = st.tokens;
        if (t.size() > 1 && t[1].kind == Kind::punct && t[1].value == "(") {
            const std::size_t close = matching(t, 1);
            if (close + 1 < t.size())
                return fail(st.line, "unexpected `" + render(text_, t, close + 1, t.size()) + "` after `" + t[0].value +
                                         "(…)`; remove it");
            return split_args(st, t, 2, close, args);
        }
        return split_args(st, t, 1, t.size(), args);
    }

    // Splits tokens [from, to) at top-level commas into positional values and key => value pairs.
    std::optional<Error> split_args(const Statement& st, const std::vector<Token>& t, std::size_t from, std::size_t to,
                                    std::vector<Arg>& args) const
    {
        if (from == to)
            return std::nullopt;
        std::size_t start = from;
        int depth = 0;
        for (std::size_t k = from; k <= to; ++k) {
            if (k < to && t[k].kind == Kind::punct) {
                if (t[k].value == "(" || t[k].value == "[" || t[k].value == "{")
                    ++depth;
                else if (t[k].value == ")" || t[k].value == "]" || t[k].value == "}")
                    --depth;
            }
            if (k < to && !(depth == 0 && t[k].kind == Kind::punct && t[k].value == ","))
                continue;
            if (start == k) {
                const std::string where = k < to ? "a stray `,`" : "`,` with nothing after it";
                return fail(st.line, "`" + t[0].value + "` has " + where +
                                         "; write the items separated by single commas, like "
                                         ":ipaddress => \"192.168.4.1\", :role => \"backend\"");
            }
            if (auto e = one_arg(st, t, start, k, args))
                return e;
            start = k + 1;
        }
        return std::nullopt;
    }

    std::optional<Error> one_arg(const Statement& st, const std::vector<Token>& t, std::size_t from, std::size_t to,
                                 std::vector<Arg>& args) const
    {
        // An explicit hash: server "x", { :ipaddress => "…" }
        if (t[from].kind == Kind::punct && t[from].value == "{" && matching(t, from) == to - 1)
            return split_args(st, t, from + 1, to - 1, args);
        Arg arg;
        if (t[from].kind == Kind::label) {
            arg.key = t[from];
            arg.value.assign(t.begin() + static_cast<std::ptrdiff_t>(from + 1), t.begin() + static_cast<std::ptrdiff_t>(to));
        } else if (to - from >= 2 && t[from + 1].kind == Kind::arrow) {
            if (t[from].kind != Kind::symbol && t[from].kind != Kind::string)
                return fail(st.line, "cannot read the key `" + render(text_, t, from, from + 1) + "` in `" + t[0].value +
                                         "`; write keys as symbols, like :" + t[from].value + " => \"…\"");
            arg.key = t[from];
            arg.value.assign(t.begin() + static_cast<std::ptrdiff_t>(from + 2), t.begin() + static_cast<std::ptrdiff_t>(to));
        } else {
            arg.value.assign(t.begin() + static_cast<std::ptrdiff_t>(from), t.begin() + static_cast<std::ptrdiff_t>(to));
        }
        args.push_back(std::move(arg));
        return std::nullopt;
    }

    // `what` names the value in the message; `example` shows a correct spelling.
    std::optional<Error> want_string(int line, const std::vector<Token>& v, const std::string& what, const std::string& example,
                                     std::string& out) const
    {
        if (v.empty())
            return fail(line, what + " has no value; write " + example);
        if (v[0].kind == Kind::string && v.size() > 1)
            return fail(line, what + " is followed by `" + render(text_, v, 1, v.size()) +
                                  "` without a comma; separate the items with `,`, like " + example);
        if (v.size() != 1 || v[0].kind != Kind::string)
            return fail(line,
                        what + " must be a quoted string, like " + example + "; found `" + render(text_, v, 0, v.size()) + "`");
        if (v[0].interpolated)
            return fail(line, what +
                                  " uses Ruby interpolation `#{…}`; chef-ha-upgrade reads this file "
                                  "without running it, so write the value out, like " +
                                  example);
        out = v[0].value;
        return std::nullopt;
    }

    // `prefix`: the address may end in /NN, as a VIP does where Chef Server 12 splits "addr/NN" (and Private
    // Chef's install docs wrote it). An IPv6 address is named as such: the mesh speaks IPv4 only.
    std::optional<Error> want_ipv4(int line, const std::vector<Token>& v, const std::string& what, const std::string& key,
                                   std::string& out, bool prefix = false) const
    {
        if (auto e = want_string(line, v, what, ":" + key + " => \"192.168.4.1\"", out))
            return e;
        if (out.find(':') != std::string::npos)
            return fail(line, what + " " + quoted(out) +
                                  " is an IPv6 address; chef-ha-upgrade supports IPv4 clusters only (its peers talk over "
                                  "IPv4): upgrade this cluster by hand, or give every node an IPv4 address here");
        const auto slash = out.find('/');
        if (prefix && slash != std::string::npos) {
            const std::string bits = out.substr(slash + 1);
            if (bits.empty() || bits.size() > 2 || bits.find_first_not_of("0123456789") != std::string::npos ||
                std::stoi(bits) > 32 || !is_ipv4(out.substr(0, slash)))
                return fail(line, what + " " + quoted(out) +
                                      " is not an IPv4 address with a prefix length; write it like \"192.168.4.7\" or "
                                      "\"192.168.4.7/24\"");
            return std::nullopt;
        }
        if (!is_ipv4(out))
            return fail(line, what + " " + quoted(out) +
                                  " is not an IPv4 address; write four numbers 0-255 without leading zeros, like "
                                  "\"192.168.4.1\"");
        return std::nullopt;
    }

    // Takes the keys `known` from `args` (after the name); any other key is ignored.
    std::optional<Error> take_keys(int line, const std::vector<Arg>& args, const std::string& owner,
                                   const std::vector<std::string>& known, std::map<std::string, std::vector<Token>>& found) const
    {
        for (std::size_t k = 1; k < args.size(); ++k) {
            const Arg& a = args[k];
            if (!a.key)
                return fail(line, owner + " has an extra value `" + render(text_, a.value, 0, a.value.size()) +
                                      "`; after the name write only :key => \"value\" pairs");
            const std::string& key = a.key->value;
            if (std::find(known.begin(), known.end(), key) == known.end())
                continue;  // other keys Chef may know; they do not matter to the upgrade
            if (found.count(key))
                return fail(line, owner + " gives :" + key + " twice; keep one");
            found[key] = a.value;
        }
        return std::nullopt;
    }

    std::optional<Error> name_of(const Statement& st, const std::vector<Arg>& args, const std::string& example,
                                 std::string& name) const
    {
        const std::string& keyword = st.tokens[0].value;
        if (args.empty() || args[0].key)
            return fail(st.line, keyword + " has no name; start with the name, like " + example);
        if (auto e = want_string(st.line, args[0].value, "the " + keyword + " name", example, name))
            return e;
        if (name.empty())
            return fail(st.line, keyword + " has an empty name; write the name, like " + example);
        return std::nullopt;
    }

    std::optional<Error> single_value(const Statement& st, const std::vector<Arg>& args, const std::string& example,
                                      std::string& out) const
    {
        const std::string& keyword = st.tokens[0].value;
        if (args.empty())
            return fail(st.line, keyword + " has no value; write " + example);
        if (args[0].key || args.size() > 1)
            return fail(st.line, keyword + " takes one quoted value, like " + example + "; found `" +
                                     render(text_, st.tokens, 1, st.tokens.size()) + "`");
        return want_string(st.line, args[0].value, keyword, example, out);
    }

    std::optional<Error> once(const Statement& st, int& seen_line) const
    {
        if (seen_line != 0)
            return fail(st.line,
                        st.tokens[0].value + " is set twice (first on line " + std::to_string(seen_line) + "); keep one");
        seen_line = st.line;
        return std::nullopt;
    }

    std::optional<Error> topology_statement(const Statement& st, const std::vector<Arg>& args)
    {
        if (auto e = once(st, topology_line_))
            return e;
        return single_value(st, args, "topology \"ha\"", topology_value_);
    }

    std::optional<Error> api_fqdn_statement(const Statement& st, const std::vector<Arg>& args)
    {
        if (auto e = once(st, api_fqdn_line_))
            return e;
        return single_value(st, args, "api_fqdn \"chef.example.com\"", topology_.api_fqdn);
    }

    std::optional<Error> backend_vip_statement(const Statement& st, const std::vector<Arg>& args)
    {
        if (auto e = once(st, backend_vip_line_))
            return e;
        const std::string example = "backend_vip \"be.example.com\", :ipaddress => \"192.168.4.7\", :device => \"eth0\"";
        if (auto e = name_of(st, args, example, topology_.backend_vip))
            return e;
        const std::string owner = "backend_vip " + quoted(topology_.backend_vip);
        std::map<std::string, std::vector<Token>> keys;
        if (auto e = take_keys(st.line, args, owner, {"ipaddress", "device", "heartbeat_device"}, keys))
            return e;
        if (!keys.count("ipaddress"))
            return fail(st.line, owner + " has no :ipaddress; add the virtual address, like :ipaddress => \"192.168.4.7\"");
        if (auto e = want_ipv4(st.line, keys["ipaddress"], ":ipaddress of " + owner, "ipaddress", topology_.backend_vip_ipaddress,
                               true))
            return e;
        backend_vip_ip_ = topology_.backend_vip_ipaddress.substr(0, topology_.backend_vip_ipaddress.find('/'));
        if (keys.count("device"))
            if (auto e = want_string(st.line, keys["device"], ":device of " + owner, ":device => \"eth0\"",
                                     topology_.backend_vip_device))
                return e;
        if (keys.count("heartbeat_device"))
            if (auto e = want_string(st.line, keys["heartbeat_device"], ":heartbeat_device of " + owner,
                                     ":heartbeat_device => \"eth1\"", topology_.backend_vip_heartbeat_device))
                return e;
        return std::nullopt;
    }

    std::optional<Error> server_statement(const Statement& st, const std::vector<Arg>& args)
    {
        Server server;
        server.line = st.line;
        if (auto e =
                name_of(st, args, "server \"be1.example.com\", :ipaddress => \"192.168.4.1\", :role => \"backend\"", server.name))
            return e;
        const std::string owner = "server " + quoted(server.name);
        std::map<std::string, std::vector<Token>> keys;
        if (auto e = take_keys(st.line, args, owner, {"ipaddress", "role", "bootstrap", "cluster_ipaddress"}, keys))
            return e;

        if (!keys.count("ipaddress"))
            return fail(st.line, owner + " has no :ipaddress; add its address, like :ipaddress => \"192.168.4.1\"");
        if (auto e = want_ipv4(st.line, keys["ipaddress"], ":ipaddress of " + owner, "ipaddress", server.ipaddress))
            return e;
        if (keys.count("cluster_ipaddress"))
            if (auto e = want_ipv4(st.line, keys["cluster_ipaddress"], ":cluster_ipaddress of " + owner, "cluster_ipaddress",
                                   server.cluster_ipaddress))
                return e;

        if (!keys.count("role"))
            return fail(st.line, owner + " has no :role; add :role => \"backend\" or :role => \"frontend\"");
        std::string role;
        if (auto e = want_string(st.line, keys["role"], ":role of " + owner, ":role => \"backend\"", role))
            return e;
        if (role != "backend" && role != "frontend")
            return fail(st.line, owner + " has :role " + quoted(role) +
                                     ", which is not a role; write :role => \"backend\" or :role => \"frontend\"");

        ServerFacts facts;
        facts.backend = role == "backend";
        if (keys.count("bootstrap")) {
            const std::vector<Token>& v = keys["bootstrap"];
            if (v.size() != 1 || v[0].kind != Kind::word || (v[0].value != "true" && v[0].value != "false"))
                return fail(st.line, owner + " has :bootstrap => " +
                                         (v.empty() ? std::string("(nothing)") : render(text_, v, 0, v.size())) +
                                         "; write :bootstrap => true on the bootstrap backend (false, or "
                                         "nothing, on the others), without quotes");
            facts.bootstrap = v[0].value == "true";
        }
        server.role = !facts.backend ? Role::frontend : facts.bootstrap ? Role::bootstrap : Role::secondary;
        topology_.servers.push_back(std::move(server));
        facts_.push_back(facts);
        return std::nullopt;
    }

    int last_line() const
    {
        int lines = static_cast<int>(std::count(text_.begin(), text_.end(), '\n'));
        if (!text_.empty() && text_.back() != '\n')
            ++lines;
        return std::max(lines, 1);
    }

    std::optional<Error> validate() const
    {
        Seen seen;
        for (std::size_t k = 0; k < topology_.servers.size(); ++k) {
            if (auto e = unique_name_and_addresses(k, seen))
                return e;
            if (auto e = count_role(k, seen))
                return e;
        }
        if (auto e = vip_of_its_own(seen))
            return e;
        return whole_cluster(seen);
    }

    // What validate() has seen of the servers so far.
    struct Seen {
        std::map<std::string, std::pair<std::size_t, std::string>> addresses;  // -> server index, key
        std::vector<std::size_t> backends;
        std::optional<std::size_t> bootstrap;
        bool any_frontend = false;
    };

    std::optional<Error> unique_name_and_addresses(std::size_t k, Seen& seen) const
    {
        const std::vector<Server>& servers = topology_.servers;
        const Server& s = servers[k];
        const std::string owner = "server " + quoted(s.name);
        const Server* first_named = topology_.find(s.name);  // the first entry of this name, any case
        if (first_named != &s)
            return fail(s.line, owner + " is listed twice (first on line " + std::to_string(first_named->line) +
                                    "); remove one entry or correct the name");
        std::vector<std::pair<std::string, std::string>> mine{{"ipaddress", s.ipaddress}};
        if (!s.cluster_ipaddress.empty() && s.cluster_ipaddress != s.ipaddress)
            mine.emplace_back("cluster_ipaddress", s.cluster_ipaddress);
        for (const auto& [key, address] : mine) {
            const auto [at, fresh] = seen.addresses.emplace(address, std::make_pair(k, key));
            if (!fresh) {
                const Server& first = servers[at->second.first];
                return fail(s.line, owner + " has :" + key + " " + quoted(address) + ", already the :" + at->second.second +
                                        " of server " + quoted(first.name) + " (line " + std::to_string(first.line) +
                                        "); give each server its own address");
            }
        }
        return std::nullopt;
    }

    std::optional<Error> count_role(std::size_t k, Seen& seen) const
    {
        const std::vector<Server>& servers = topology_.servers;
        const Server& s = servers[k];
        const std::string owner = "server " + quoted(s.name);
        if (!facts_[k].backend) {
            if (facts_[k].bootstrap)
                return fail(s.line, owner + " is a frontend marked :bootstrap => true; only a backend can "
                                            "be the bootstrap: remove :bootstrap from it, or give it :role => "
                                            "\"backend\" if it is one");
            seen.any_frontend = true;
            return std::nullopt;
        }
        seen.backends.push_back(k);
        const auto& backends = seen.backends;
        if (backends.size() == 3)
            return fail(s.line, owner + " is a third backend (the others are " + quoted(servers[backends[0]].name) + " on line " +
                                    std::to_string(servers[backends[0]].line) + " and " + quoted(servers[backends[1]].name) +
                                    " on line " + std::to_string(servers[backends[1]].line) +
                                    "); an HA cluster has exactly two backends: make it :role => "
                                    "\"frontend\" or remove it");
        if (facts_[k].bootstrap) {
            if (seen.bootstrap)
                return fail(s.line, owner + " is a second bootstrap backend (the first is " +
                                        quoted(servers[*seen.bootstrap].name) + " on line " +
                                        std::to_string(servers[*seen.bootstrap].line) +
                                        "); keep :bootstrap => true on exactly one backend");
            seen.bootstrap = k;
        }
        return std::nullopt;
    }

    std::optional<Error> vip_of_its_own(const Seen& seen) const
    {
        if (backend_vip_line_ == 0)
            return std::nullopt;
        const auto at = seen.addresses.find(backend_vip_ip_);
        if (at == seen.addresses.end())
            return std::nullopt;
        const Server& s = topology_.servers[at->second.first];
        return fail(backend_vip_line_, "backend_vip :ipaddress " + quoted(backend_vip_ip_) +
                                           " is also the :" + at->second.second + " of server " + quoted(s.name) + " (line " +
                                           std::to_string(s.line) +
                                           "); the VIP needs an address of its own, which keepalived "
                                           "moves between the backends");
    }

    std::optional<Error> whole_cluster(const Seen& seen) const
    {
        const std::vector<Server>& servers = topology_.servers;
        const auto& backends = seen.backends;
        if (backends.empty())
            return fail(last_line(), "no backend servers; an HA cluster has exactly two, one of them with "
                                     ":bootstrap => true: add them with :role => \"backend\"");
        if (backends.size() == 1)
            return fail(last_line(), "only one backend server (" + quoted(servers[backends[0]].name) + " on line " +
                                         std::to_string(servers[backends[0]].line) +
                                         "); an HA cluster has exactly two backends: add the other one with "
                                         ":role => \"backend\"");
        if (!seen.bootstrap)
            return fail(servers[backends[0]].line, "no backend has :bootstrap => true (" + quoted(servers[backends[0]].name) +
                                                       " on line " + std::to_string(servers[backends[0]].line) + ", " +
                                                       quoted(servers[backends[1]].name) + " on line " +
                                                       std::to_string(servers[backends[1]].line) +
                                                       "); add :bootstrap => true to the one the cluster was first installed on");
        if (!seen.any_frontend)
            return fail(last_line(), "no frontend servers; an HA cluster serves the API from frontends: add "
                                     "them with server \"fe1.example.com\", :ipaddress => \"…\", :role => "
                                     "\"frontend\"");
        return std::nullopt;
    }

    std::string_view text_;
    const std::string& file_;
    Topology topology_;
    std::vector<ServerFacts> facts_;  // parallel to topology_.servers
    int topology_line_ = 0;
    std::string topology_value_;
    int api_fqdn_line_ = 0;
    int backend_vip_line_ = 0;
    std::string backend_vip_ip_;
};

}  // namespace

Result<Topology> parse_topology(std::string_view text, const std::string& file)
{
    Result<std::vector<Statement>> statements = ruby::lex(text, file);
    if (!statements)
        return statements.error();
    return Parser(text, file).run(statements.value());
}

}  // namespace chu
