#include "faults.hpp"

#include "cluster.hpp"
#include "core/records.hpp"
#include "core/words.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <stdexcept>

namespace chu::faults {

namespace {

constexpr const char* nft = "/usr/sbin/nft";
constexpr const char* table_prefix = "chu_fault_";
constexpr unsigned peer_port = 9683;  // the daemon's default [cluster] port, which the harness keeps

// Free when a plain bind (no SO_REUSEADDR) succeeds: nothing listens there and no connection of an
// earlier cluster lingers in TIME_WAIT on it.
bool port_free(const std::string& address)
{
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(peer_port);
    inet_pton(AF_INET, address.c_str(), &sa.sin_addr);
    const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
    close(fd);
    return ok;
}

int nft_run(const std::vector<std::string>& args, std::string* out)
{
    std::vector<std::string> argv{nft};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run_program(argv, {}, out);
}

}  // namespace

std::string fresh_network(unsigned run)
{
    const unsigned pid = static_cast<unsigned>(getpid());
    for (unsigned attempt = 0; attempt < 1000; ++attempt) {
        const unsigned n = pid / 4 + run + attempt * 37;
        const std::string net = "127." + std::to_string(251 + pid % 4) + "." + std::to_string(1 + n % 250) + ".";
        bool free = true;
        for (const char* host : {"11", "12", "21", "22"})
            free = free && port_free(net + host);
        if (free)
            return net;
    }
    throw std::runtime_error("no free loopback /24 in 127.251-254.x.x");
}

Partition::Partition(const std::string& address) : table_(table_prefix + std::to_string(getpid()))
{
    // One table, one chain, created and filled in a single transaction: never half a cut.
    const std::string rules = "table inet " + table_ +
                              " {\n"
                              "  chain cut {\n"
                              "    type filter hook input priority 0; policy accept;\n"
                              "    iifname \"lo\" ip saddr " +
                              address +
                              " drop\n"
                              "    iifname \"lo\" ip daddr " +
                              address +
                              " drop\n"
                              "  }\n"
                              "}\n";
    char path[] = "/tmp/chu-fault-nft-XXXXXX";
    const int fd = mkstemp(path);
    if (fd < 0)
        throw std::runtime_error("mkstemp failed");
    close(fd);
    std::ofstream(path) << rules;
    std::string out;
    const int status = nft_run({"-f", path}, &out);
    unlink(path);
    if (status != 0)
        throw std::runtime_error("nft could not cut " + address + ": " + out);
    cut_ = true;
}

Partition::~Partition()
{
    heal();
}

void Partition::heal()
{
    if (!cut_)
        return;
    std::string out;
    if (nft_run({"delete", "table", "inet", table_}, &out) == 0)
        cut_ = false;
}

bool Partition::available()
{
    std::string out;
    return access(nft, X_OK) == 0 && nft_run({"list", "tables"}, &out) == 0;
}

void Partition::sweep_stale()
{
    std::string out;
    if (access(nft, X_OK) != 0 || nft_run({"list", "tables"}, &out) != 0)
        return;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
        const auto w = words(line);  // "table inet chu_fault_1234"
        if (w.size() != 3 || w[1] != "inet" || w[2].rfind(table_prefix, 0) != 0)
            continue;
        const int pid = std::atoi(w[2].c_str() + std::string(table_prefix).size());
        if (pid > 0 && kill(pid, 0) != 0 && errno == ESRCH)
            nft_run({"delete", "table", "inet", w[2]}, &out);
    }
}

std::string tear_journal(const std::string& path, std::mt19937_64& rng)
{
    std::string data;
    {
        std::ifstream in(path, std::ios::binary);
        std::ostringstream s;
        s << in.rdbuf();
        data = s.str();
    }
    const JournalScan scan = scan_journal(data);
    if (scan.records.empty())
        return {};
    // Records encode the same way every time: the last one's size tells where it begins.
    const std::size_t last = encode_record(scan.records.back()).size();
    const std::size_t begin = scan.valid_bytes - last;
    std::uniform_int_distribution<std::size_t> inside(begin + 1, scan.valid_bytes - 1);
    const std::size_t cut = inside(rng);
    if (truncate(path.c_str(), static_cast<off_t>(cut)) != 0)
        throw std::runtime_error("cannot truncate " + path);
    static const char* const kinds[] = {"epoch", "joined", "started", "finished", "report", "phase", "decision", "dropped"};
    static_assert(std::variant_size_v<Record> == std::size(kinds), "a name for every kind of journal record");
    const std::size_t kind = scan.records.back().index();
    return "journal cut at byte " + std::to_string(cut) + " of " + std::to_string(data.size()) + ", inside its last record (" +
           (kind < std::size(kinds) ? kinds[kind] : "?") + ", bytes " + std::to_string(begin) + "-" +
           std::to_string(scan.valid_bytes) + ")";
}

std::vector<Call> read_calls(const std::string& calls_log)
{
    std::vector<Call> calls;
    std::map<std::string, std::vector<std::size_t>> open;  // node: its calls without an end line yet
    std::istringstream in(calls_log);
    for (std::string line; std::getline(in, line);) {
        const auto w = words(line);  // <ms> <node> <role> begin|end|note <status|fact> <program> <args...>
        if (w.size() < 6)
            continue;
        std::string command = w[5];
        for (std::size_t i = 6; i < w.size(); ++i)
            command += " " + w[i];
        auto& mine = open[w[1]];
        if (w[3] == "begin") {
            mine.push_back(calls.size());
            calls.push_back(Call{w[1], command, std::atoll(w[0].c_str()), false, false});
            continue;
        }
        const auto it = std::find_if(mine.rbegin(), mine.rend(), [&](std::size_t i) { return calls[i].command == command; });
        if (it == mine.rend())
            continue;
        Call& c = calls[*it];
        if (w[3] == "note") {
            c.succeeded = c.succeeded || w[4] == "cleanup=done";  // cleanup's expected chef-mover error
        } else if (w[3] == "end") {
            c.ended = true;
            c.succeeded = c.succeeded || w[4] == "0";
            mine.erase(std::next(it).base());
        }
    }
    return calls;
}

std::vector<std::string> unexplained_reruns(const std::vector<Call>& calls)
{
    std::map<std::string, int> successes;
    std::map<std::string, bool> interrupted;
    for (const auto& c : calls) {
        const std::string key = c.node + " " + c.command;
        successes[key] += c.ended && c.succeeded;
        interrupted[key] = interrupted[key] || !c.ended;
    }
    std::vector<std::string> out;
    for (const auto& [key, n] : successes) {
        const bool by_design = key.find(" keepalived") != std::string::npos;
        if (n > 1 && !interrupted[key] && !by_design)
            out.push_back(key + " succeeded " + std::to_string(n) + " times, never interrupted");
    }
    return out;
}

}  // namespace chu::faults
