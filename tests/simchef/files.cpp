// Files, locks, versions and command lines for chu-simchef.
#include "simchef.hpp"

#include "core/digest.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace simchef {

namespace {

std::string errno_text()
{
    return std::strerror(errno);
}

void write_all(int fd, const std::string& data, const std::string& path)
{
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            throw Failure("cannot write " + path + ": " + errno_text());
        done += static_cast<std::size_t>(n);
    }
}

std::string octal(mode_t mode)
{
    std::ostringstream s;
    s << std::oct << (mode & 07777);
    return s.str();
}

void digest_tree(chu::Sha256& hash, const std::string& root, const std::string& rel)
{
    const std::string dir = rel.empty() ? root : root + "/" + rel;
    DIR* d = opendir(dir.c_str());
    if (!d)
        throw Failure("cannot read " + dir + ": " + errno_text());
    std::vector<std::string> names;
    while (const dirent* e = readdir(d)) {
        const std::string name = e->d_name;
        if (name != "." && name != "..")
            names.push_back(name);
    }
    closedir(d);
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
        const std::string path = rel.empty() ? name : rel + "/" + name;
        const std::string full = root + "/" + path;
        struct stat st {};
        if (lstat(full.c_str(), &st) != 0)
            throw Failure("cannot stat " + full + ": " + errno_text());
        if (S_ISLNK(st.st_mode)) {
            char target[4096];
            const ssize_t n = readlink(full.c_str(), target, sizeof target);
            if (n < 0)
                throw Failure("cannot read the link " + full + ": " + errno_text());
            hash.update("l " + path + " " + std::string(target, static_cast<std::size_t>(n)) + "\n");
        } else if (S_ISDIR(st.st_mode)) {
            hash.update("d " + path + " " + octal(st.st_mode) + "\n");
            digest_tree(hash, root, path);
        } else {
            const std::string content = read_file(full);
            hash.update("f " + path + " " + octal(st.st_mode) + " " + std::to_string(content.size()) + "\n");
            hash.update(content);
        }
    }
}

}  // namespace

std::string read_file(const std::string& path, bool* found)
{
    std::ifstream in(path, std::ios::binary);
    if (found)
        *found = bool(in);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

bool exists(const std::string& path)
{
    struct stat st {};
    return lstat(path.c_str(), &st) == 0;
}

void write_file(const std::string& path, const std::string& data, mode_t mode)
{
    const std::string temp = path + ".simchef-" + std::to_string(getpid());
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        throw Failure("cannot create " + temp + ": " + errno_text());
    write_all(fd, data, temp);
    fchmod(fd, mode);  // whatever the umask
    ::close(fd);
    if (std::rename(temp.c_str(), path.c_str()) != 0)
        throw Failure("cannot rename " + temp + " to " + path + ": " + errno_text());
}

void make_dirs(const std::string& path)
{
    if (path.empty() || exists(path))
        return;
    make_dirs(dir_of(path));
    if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST)
        throw Failure("cannot create " + path + ": " + errno_text());
}

void replace_symlink(const std::string& target, const std::string& link)
{
    const std::string temp = link + ".simchef-" + std::to_string(getpid());
    std::remove(temp.c_str());
    if (symlink(target.c_str(), temp.c_str()) != 0 || std::rename(temp.c_str(), link.c_str()) != 0)
        throw Failure("cannot link " + link + " to " + target + ": " + errno_text());
}

std::string dir_of(const std::string& path)
{
    const auto slash = path.find_last_of('/');
    if (slash == std::string::npos)
        return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_of(const std::string& path)
{
    const auto slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string absolute(const std::string& path)
{
    if (path.empty() || path[0] == '/')
        return path;
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd))
        throw Failure("cannot read the working directory: " + errno_text());
    return std::string(cwd) + "/" + path;
}

std::string tree_digest(const std::string& dir)
{
    if (!exists(dir))
        return "";
    chu::Sha256 hash;
    digest_tree(hash, dir, "");
    return hash.hex();
}

long long now_ms()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void sleep_ms(long long ms)
{
    if (ms > 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

std::string trim(const std::string& s)
{
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string::npos)
        return "";
    return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

std::string join(const std::vector<std::string>& items, const std::string& sep)
{
    std::string out;
    for (const auto& item : items)
        out += (out.empty() ? "" : sep) + item;
    return out;
}

bool starts_with(const std::string& s, const std::string& prefix)
{
    return s.compare(0, prefix.size(), prefix) == 0;
}

FileLock::FileLock(const std::string& path, bool wait)
{
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
        throw Failure("cannot open the lock " + path + ": " + errno_text());
    int r;
    while ((r = flock(fd_, LOCK_EX | (wait ? 0 : LOCK_NB))) != 0 && errno == EINTR) {}
    held_ = r == 0;
    if (!held_ && errno != EWOULDBLOCK)
        throw Failure("cannot lock " + path + ": " + errno_text());
}

FileLock::~FileLock()
{
    ::close(fd_);  // releases the lock
}

void append_line(const std::string& path, const std::string& line)
{
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        throw Failure("cannot open " + path + ": " + errno_text());
    while (flock(fd, LOCK_EX) != 0 && errno == EINTR) {}
    write_all(fd, !line.empty() && line.back() == '\n' ? line : line + "\n", path);
    ::close(fd);
}

std::string product_of(const std::string& version)
{
    const int major = major_version(version);
    return major >= 12 ? "Chef Server" : major == 11 ? "Enterprise Chef" : "Private Chef";
}

std::string Options::get(const std::string& name) const
{
    const auto it = values.find(name);
    return it == values.end() ? "" : it->second;
}

std::string Options::required(const std::string& name) const
{
    const auto it = values.find(name);
    if (it == values.end() || it->second.empty())
        throw Usage("--" + name + " is required");
    return it->second;
}

Options parse_options(const std::vector<std::string>& args, const std::set<std::string>& valued,
                      const std::set<std::string>& switches)
{
    Options out;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (!starts_with(args[i], "--")) {
            out.positional.push_back(args[i]);
            continue;
        }
        const std::string name = args[i].substr(2);
        if (switches.count(name)) {
            out.flags.insert(name);
        } else if (valued.count(name)) {
            if (i + 1 == args.size())
                throw Usage(args[i] + " needs a value");
            if (!out.values.emplace(name, args[++i]).second)
                throw Usage(args[i - 1] + " given twice");
        } else {
            throw Usage("unknown option " + args[i]);
        }
    }
    return out;
}

}  // namespace simchef
