// Drives the real chu-simchef binary in temporary worlds, as the daemon does (execve, argv[0] the command's
// full path, a fixed environment): what a simulated node refuses, what it logs, and what verify concludes.
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono;

namespace {

const std::string simchef = CHU_SIMCHEF;

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

std::size_t count(const std::string& text, const std::string& part)
{
    std::size_t n = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size()))
        ++n;
    return n;
}

std::string read_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const std::string& path, const std::string& text)
{
    std::ofstream(path, std::ios::trunc) << text;
}

std::string trim(std::string s)
{
    while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
        s.pop_back();
    return s;
}

struct Result {
    int status = -1;
    std::string out, err;
    bool timed_out = false;
};

// A chu-simchef process with its stdout and stderr on pipes; killed on destruction if still running.
class Child {
public:
    explicit Child(const std::vector<std::string>& argv)
    {
        int out[2], err[2];
        REQUIRE(pipe2(out, O_CLOEXEC) == 0);
        REQUIRE(pipe2(err, O_CLOEXEC) == 0);
        pid_ = fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            dup2(out[1], 1);
            dup2(err[1], 2);
            std::vector<char*> args;
            for (const auto& a : argv)
                args.push_back(const_cast<char*>(a.c_str()));
            args.push_back(nullptr);
            char path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
            char lang[] = "LANG=C.UTF-8";
            char* env[] = {path, lang, nullptr};
            execve(args[0], args.data(), env);
            _exit(127);
        }
        close(out[1]);
        close(err[1]);
        fds_[0] = out[0];
        fds_[1] = err[0];
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    ~Child()
    {
        if (pid_ > 0)
            kill_now();
        for (int fd : fds_)
            if (fd >= 0)
                close(fd);
    }

    // Reads output until `text` shows on stdout or stderr; false at the deadline or when the process ended.
    bool read_until(const std::string& text, milliseconds timeout)
    {
        const auto deadline = steady_clock::now() + timeout;
        while (!contains(result_.out + result_.err, text))
            if (!pump(deadline))
                return false;
        return true;
    }

    // Reads until the process closes its output and exits; kills it at the deadline (timed_out).
    Result finish(milliseconds timeout)
    {
        const auto deadline = steady_clock::now() + timeout;
        while (pump(deadline)) {}
        if (fds_[0] >= 0 || fds_[1] >= 0)
            result_.timed_out = true;
        kill_now();
        return result_;
    }

    void kill_now()
    {
        if (pid_ <= 0)
            return;
        if (result_.status < 0 && (fds_[0] >= 0 || fds_[1] >= 0))
            kill(pid_, SIGKILL);
        int status = 0;
        waitpid(pid_, &status, 0);
        result_.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        pid_ = -1;
    }

private:
    // One round of reading; false once both streams closed or the deadline passed.
    bool pump(steady_clock::time_point deadline)
    {
        if (fds_[0] < 0 && fds_[1] < 0)
            return false;
        const auto left = duration_cast<milliseconds>(deadline - steady_clock::now()).count();
        if (left <= 0)
            return false;
        pollfd p[2] = {{fds_[0], POLLIN, 0}, {fds_[1], POLLIN, 0}};
        if (poll(p, 2, static_cast<int>(left)) <= 0)
            return true;
        for (int i = 0; i < 2; ++i) {
            if (fds_[i] < 0 || !p[i].revents)
                continue;
            char buf[4096];
            const ssize_t n = read(fds_[i], buf, sizeof buf);
            if (n > 0) {
                (i == 0 ? result_.out : result_.err).append(buf, static_cast<std::size_t>(n));
            } else {
                close(fds_[i]);
                fds_[i] = -1;
            }
        }
        return true;
    }

    pid_t pid_ = -1;
    int fds_[2] = {-1, -1};
    Result result_;
};

Result run(const std::vector<std::string>& argv)
{
    Child child(argv);
    return child.finish(seconds(30));
}

// What the daemon's copy step does: the tree replaced by the source's, modes and symlinks kept.
void copy_tree(const std::string& from, const std::string& to)
{
    struct stat st {};
    REQUIRE(lstat(from.c_str(), &st) == 0);
    if (S_ISLNK(st.st_mode)) {
        char target[4096];
        const ssize_t n = readlink(from.c_str(), target, sizeof target);
        REQUIRE(symlink(std::string(target, static_cast<std::size_t>(n)).c_str(), to.c_str()) == 0);
    } else if (S_ISDIR(st.st_mode)) {
        REQUIRE(mkdir(to.c_str(), st.st_mode & 07777) == 0);
        chmod(to.c_str(), st.st_mode & 07777);
        DIR* d = opendir(from.c_str());
        while (const dirent* e = readdir(d)) {
            const std::string name = e->d_name;
            if (name != "." && name != "..")
                copy_tree(from + "/" + name, to + "/" + name);
        }
        closedir(d);
    } else {
        std::ofstream(to, std::ios::binary) << read_file(from);
        chmod(to.c_str(), st.st_mode & 07777);
    }
}

// One command of a hand-driven run. Pseudo programs: "copy" (the bootstrap's args[0] tree, e.g. etc/opscode,
// to this node) and "approve" (the operator approves the cleanup).
struct Step {
    std::string node, program;
    std::vector<std::string> args;
};

// A world of simulated nodes be1 (bootstrap), be2 (secondary), fe1, fe2 in a temporary directory.
class Cluster {
public:
    explicit Cluster(const std::string& flavor, const std::string& package_ext = ".deb", const std::string& master = "bootstrap",
                     const std::string& cs12_version = "12.0.8")
        : flavor_(flavor)
    {
        world = root_ + "/world";
        const bool ec11 = flavor == "ec11";
        version = ec11 ? "11.1.8" : cs12_version;
        package = world + (ec11 ? "/private-chef_" : "/chef-server-core_") + version + "-1_amd64" + package_ext;
        REQUIRE(run({simchef, "make-package", package, "--version", version}).status == 0);
        for (const auto& node : nodes) {
            const std::string dir = root_ + "/" + node;
            const std::string role = node == "be1" ? "bootstrap" : node == "be2" ? "secondary" : "frontend";
            const Result r = run({simchef,
                                  "init",
                                  "--node-dir",
                                  dir,
                                  "--name",
                                  name(node),
                                  "--role",
                                  role,
                                  "--world",
                                  world,
                                  "--opscode-dir",
                                  dir + "/etc/opscode",
                                  "--keepalived-dir",
                                  dir + "/var/keepalived",
                                  "--upgrades-dir",
                                  dir + "/var/upgrades",
                                  "--flavor",
                                  flavor,
                                  "--master",
                                  master});
            INFO(r.err);
            REQUIRE(r.status == 0);
            write_file(dir + "/etc/opscode/private-chef.rb", "topology \"ha\"\napi_fqdn \"chef.example.com\"\n");
        }
    }
    Cluster(const Cluster&) = delete;
    Cluster& operator=(const Cluster&) = delete;

    static std::string name(const std::string& node) { return node + ".example.com"; }
    std::string dir(const std::string& node) const { return root_ + "/" + node; }
    std::string bin(const std::string& node, const std::string& program) const { return dir(node) + "/bin/" + program; }
    std::vector<std::string> argv(const Step& s) const
    {
        std::vector<std::string> out = {bin(s.node, s.program)};
        out.insert(out.end(), s.args.begin(), s.args.end());
        return out;
    }
    Result call(const std::string& node, const std::string& program, const std::vector<std::string>& args) const
    {
        return run(argv({node, program, args}));
    }
    std::string keepalived_status(const std::string& node) const
    {
        return trim(read_file(dir(node) + "/var/keepalived/current_cluster_status"));
    }
    std::string calls() const { return read_file(world + "/calls.log"); }
    std::string violations() const { return read_file(world + "/violations.log"); }
    Result verify(const std::string& plan, std::vector<std::string> flags = {}) const
    {
        std::vector<std::string> argv = {simchef, "verify", "--world", world, "--plan", plan};
        argv.insert(argv.end(), flags.begin(), flags.end());
        return run(argv);
    }

    // Runs the steps in order; with `expect_success`, each must succeed (cleanup: exit 1, the chef-mover message).
    void perform(const std::vector<Step>& steps, bool expect_success = true) const
    {
        for (const auto& s : steps) {
            if (s.program == "copy") {
                std::filesystem::remove_all(dir(s.node) + "/" + s.args[0]);
                copy_tree(dir("be1") + "/" + s.args[0], dir(s.node) + "/" + s.args[0]);
                continue;
            }
            if (s.program == "approve") {
                write_file(world + "/approved",
                           std::to_string(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count()));
                continue;
            }
            const Result r = run(argv(s));
            if (!expect_success)
                continue;
            INFO(s.node << " " << s.program << " " << (s.args.empty() ? "" : s.args[0]) << "\n" << r.out << r.err);
            const std::string verb = s.args.empty() ? "" : s.args[0];
            if (verb == "ha-status" || verb == "status") {
                REQUIRE(only_expected(r.out));
                // ha.rb exits 7 for a service, the old status 3 (the first), the new one their sum
                if (count(r.out, "[ERROR]") > 0 || count(r.out, "down: ") > 0)
                    REQUIRE(r.status ==
                            (verb == "ha-status" ? 7 : 3 * (s.program == "chef-server-ctl" ? count(r.out, "down: ") : 1)));
                else
                    REQUIRE(r.status == 0);
            } else {
                REQUIRE(r.status == 0);
            }
        }
    }

    // What verify's status and ha-status may report before cleanup, as the plans accept it: the mover, down by
    // design (listed by EC11's status, opscode-omnibus#480; on the bootstrap's ha-status until 12.3.0,
    // chef/chef-server#361), and the previous release's services that cleanup removes (12's removed_services;
    // the 1.4 services the EC 11.1 HA upgrade notes list). Nothing else may be wrong.
    bool only_expected(const std::string& out) const
    {
        std::vector<std::string> old = {"opscode-chef-mover"};
        if (flavor_ == "cs12")
            old.insert(old.end(), {"couchdb", "opscode-account", "opscode-certificate", "opscode-org-creator", "opscode-solr",
                                   "opscode-webui"});
        else
            old.insert(old.end(), {"fcgiwrap", "nagios", "nrpe", "opscode-chef", "php-fpm", "redis"});
        std::istringstream lines(out);
        for (std::string line; std::getline(lines, line);) {
            if (line.rfind("[ERROR] ERRORS WERE DETECTED", 0) == 0)
                continue;
            const bool error = line.rfind("[ERROR] ", 0) == 0 || line.rfind("down: ", 0) == 0;
            const bool expected = std::any_of(old.begin(), old.end(), [&](const std::string& name) {
                return line.rfind("[ERROR] " + name + " is not running", 0) == 0 || line.rfind("down: " + name + ": ", 0) == 0;
            });
            if (error && !expected)
                return false;
        }
        return true;
    }

    std::vector<Step> install_steps() const
    {
        std::vector<Step> out;
        for (const auto& n : nodes) {
            if (package.substr(package.size() - 4) == ".deb")
                out.push_back({n, "dpkg", {"-D10", "-i", package}});
            else if (flavor_ == "cs12")
                out.push_back({n, "rpm", {"-Uvh", "--nopostun", package}});
            else
                out.push_back({n, "rpm", {"-Uvh", package}});
        }
        return out;
    }

    // The Chef Server 12 runbook in the plan's order; `fix` adds the keepalived sequence after the secondary's upgrade.
    std::vector<Step> chef_server_12_runbook(bool fix = false) const
    {
        const std::string old_ctl = "private-chef-ctl", ctl = "chef-server-ctl";
        std::vector<Step> s;
        for (const auto& n : nodes)
            s.push_back({n, old_ctl, {"reconfigure"}});
        s.push_back({"fe1", old_ctl, {"stop"}});
        s.push_back({"fe2", old_ctl, {"stop"}});
        s.push_back({"be2", old_ctl, {"stop", "keepalived"}});
        for (const auto& step : install_steps())
            s.push_back(step);
        s.push_back({"be1", ctl, {"stop"}});
        s.push_back({"be1", ctl, {"upgrade"}});
        for (const char* n : {"be2", "fe1", "fe2"})
            s.push_back({n, "copy", {"etc/opscode"}});
        s.push_back({"be2", ctl, {"upgrade"}});
        s.push_back({"be2", ctl, {"start", "keepalived"}});  // nothing in Chef 12 starts it again
        if (fix) {
            s.push_back({"be2", ctl, {"stop", "keepalived"}});
            s.push_back({"be1", ctl, {"restart", "keepalived"}});
            s.push_back({"be2", ctl, {"restart", "keepalived"}});
        }
        s.push_back({"fe1", ctl, {"upgrade"}});
        s.push_back({"fe2", ctl, {"upgrade"}});
        for (const char* n : {"be1", "fe1", "fe2"})
            s.push_back({n, ctl, {"start"}});
        for (const char* n : {"be1", "fe1", "fe2"})
            s.push_back({n, ctl, {"status"}});
        s.push_back({"be1", ctl, {"ha-status"}});
        s.push_back({"be2", ctl, {"ha-status"}});
        s.push_back({"be1", "approve", {}});
        for (const auto& n : nodes)
            s.push_back({n, ctl, {"cleanup"}});
        return s;
    }

    // The Enterprise Chef 11 runbook in the plan's order.
    std::vector<Step> enterprise_chef_11_runbook() const
    {
        const std::string ctl = "private-chef-ctl";
        std::vector<Step> s = {{"fe1", ctl, {"stop"}}, {"fe2", ctl, {"stop"}}, {"be2", ctl, {"stop", "keepalived"}}};
        for (const auto& step : install_steps())
            s.push_back(step);
        s.push_back({"be1", ctl, {"upgrade"}});
        for (const char* n : {"be2", "fe1", "fe2"})
            s.push_back({n, "copy", {"etc/opscode"}});
        s.push_back({"be2", ctl, {"upgrade"}});
        for (const char* n : {"fe1", "fe2"}) {
            s.push_back({n, ctl, {"upgrade"}});
            s.push_back({n, ctl, {"start"}});
        }
        for (const char* n : {"be1", "fe1", "fe2"})
            s.push_back({n, ctl, {"status"}});
        s.push_back({"be1", ctl, {"ha-status"}});
        s.push_back({"be2", ctl, {"ha-status"}});
        s.push_back({"be1", "approve", {}});
        for (const auto& n : nodes)
            s.push_back({n, ctl, {"cleanup"}});
        return s;
    }

    std::string world, package, version;
    const std::vector<std::string> nodes = {"be1", "be2", "fe1", "fe2"};

private:
    chu::test::TempDir tmp_{"chu-simchef-test"};
    std::string root_ = tmp_.str(), flavor_;
};

// Where the first step of `node` running `program` with first argument `verb` is in a runbook.
std::size_t index_of(const std::vector<Step>& steps, const std::string& node, const std::string& program, const std::string& verb)
{
    for (std::size_t i = 0; i < steps.size(); ++i)
        if (steps[i].node == node && steps[i].program == program &&
            (steps[i].args.empty() ? verb.empty() : steps[i].args[0] == verb))
            return i;
    FAIL("no step " << node << " " << program << " " << verb);
    return 0;
}

std::vector<Step> slice(const std::vector<Step>& steps, std::size_t from, std::size_t to)
{
    return {steps.begin() + static_cast<long>(from), steps.begin() + static_cast<long>(std::min(to, steps.size()))};
}

}  // namespace

TEST_CASE("a correct Chef Server 12 run on 2 backends and 2 frontends passes verify --complete", "[simchef][verify]")
{
    const std::string ext = GENERATE(".deb", ".rpm");
    Cluster c("cs12", ext);
    c.perform(c.chef_server_12_runbook());
    const Result v = c.verify("chef-server-12", {"--approval", "--complete"});
    INFO(v.out << v.err << c.calls());
    CHECK(v.status == 0);
    CHECK(c.violations().empty());
    CHECK(!contains(v.out, "FAIL"));
    // What the copy step must carry: the bootstrap's upgrade changed its /etc/opscode as Chef 12 does.
    CHECK(read_file(c.dir("be1") + "/etc/opscode/chef-server-running.json").find("12.0.8") != std::string::npos);
    CHECK(read_file(c.dir("be2") + "/var/upgrades/migration-level") == read_file(c.dir("fe1") + "/var/upgrades/migration-level"));
}

TEST_CASE("a correct Enterprise Chef 11 run on 2 backends and 2 frontends passes verify --complete", "[simchef][verify]")
{
    const std::string ext = GENERATE(".deb", ".rpm");
    Cluster c("ec11", ext);
    c.perform(c.enterprise_chef_11_runbook());
    const Result v = c.verify("enterprise-chef-11", {"--approval", "--complete"});
    INFO(v.out << v.err << c.calls());
    CHECK(v.status == 0);
    CHECK(c.violations().empty());
    // The 11 package keeps private-chef-ctl: no chef-server-ctl appears.
    CHECK(access(c.bin("be1", "chef-server-ctl").c_str(), F_OK) != 0);
}

TEST_CASE("every call is logged as a begin and an end line, with the facts verify reads as notes", "[simchef][log]")
{
    Cluster c("cs12");
    c.perform(slice(c.install_steps(), 0, 1));
    const std::string log = c.calls();
    CHECK(contains(log, " be1.example.com bootstrap begin - dpkg -D10 -i " + c.package + "\n"));
    CHECK(contains(log, " be1.example.com bootstrap note installed=12.0.8 dpkg -D10 -i " + c.package + "\n"));
    CHECK(contains(log, " be1.example.com bootstrap end 0 dpkg -D10 -i " + c.package + "\n"));
}

TEST_CASE("dpkg -D10 streams a debug line per file, as the real one does", "[simchef][packages]")
{
    Cluster c("cs12");
    const Result r = c.call("be1", "dpkg", {"-D10", "-i", c.package});
    REQUIRE(r.status == 0);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') >= 100);
    CHECK(contains(r.out, "Setting up chef-server-core (12.0.8)"));
}

TEST_CASE("upgrade before the package is installed is refused and flagged", "[simchef][refusals]")
{
    Cluster c("cs12");
    const Result r = c.call("be1", "private-chef-ctl", {"upgrade"});
    CHECK(r.status == 1);
    CHECK(contains(r.err, "install the new package first"));
    CHECK(contains(c.violations(), "be1.example.com bootstrap [ERROR] nothing to upgrade"));
}

TEST_CASE("without the bootstrap's /etc/opscode a secondary's upgrade stops at Chef's FATAL H/A guard; 12.0 exits 1",
          "[simchef][refusals]")
{
    Cluster c("cs12");
    const auto runbook = c.chef_server_12_runbook();
    const std::size_t copy = index_of(runbook, "be2", "copy", "etc/opscode");
    c.perform(slice(runbook, 0, copy));

    // 12.0.8 needs oc_id's secrets, which only the bootstrap's upgrade made (libraries/private_chef.rb).
    const Result stale = c.call("be2", "chef-server-ctl", {"upgrade"});
    CHECK(stale.status == 1);
    CHECK(contains(stale.out, "FATAL: Attempt to create secrets on non-bootstrap node in an H/A topology, please copy "
                              "/etc/opscode/* around instead."));
    CHECK(!contains(stale.out, "Chef Server Upgraded!"));
    CHECK(contains(c.calls(), "be2.example.com secondary note opscode=differs chef-server-ctl upgrade"));
    CHECK(contains(c.calls(), "be2.example.com secondary note secrets=missing:oc_id.secret_key_base chef-server-ctl upgrade"));

    c.perform({{"be2", "copy", {"etc/opscode"}}});
    const Result fresh = c.call("be2", "chef-server-ctl", {"upgrade"});
    INFO(fresh.err);
    CHECK(fresh.status == 0);
    CHECK(contains(c.calls(), "be2.example.com secondary note opscode=same:"));
}

TEST_CASE("Chef Server 12.4's upgrade past the FATAL H/A guard says Upgraded and exits 0, and the node is not upgraded",
          "[simchef][refusals]")
{
    Cluster c("cs12", ".deb", "bootstrap", "12.4.1");
    const auto runbook = c.chef_server_12_runbook();
    const std::size_t copy = index_of(runbook, "fe1", "copy", "etc/opscode");
    c.perform(slice(runbook, 0, copy));

    // omnibus-ctl 0.4.2's exit! only sets a flag: upgrade.rb migrates and reports success (12.2.0-12.4.1).
    const Result hidden = c.call("fe1", "chef-server-ctl", {"upgrade"});
    CHECK(hidden.status == 0);
    CHECK(contains(hidden.out, "FATAL: Attempt to create secrets on non-bootstrap node"));
    CHECK(contains(hidden.out, "Chef Server Upgraded!"));
    CHECK(!contains(c.calls(), "fe1.example.com frontend note upgraded="));
    const Result start = c.call("fe1", "chef-server-ctl", {"start"});
    CHECK(start.status == 1);  // its services still have the old configuration
    CHECK(contains(start.err, "is installed but 11.1.8 is configured"));

    c.perform({{"fe1", "copy", {"etc/opscode"}}});
    CHECK(c.call("fe1", "chef-server-ctl", {"upgrade"}).status == 0);
    CHECK(contains(c.calls(), "fe1.example.com frontend note upgraded=12.4.1"));
}

TEST_CASE("chef-server-ctl appears only when the Chef Server 12 package is installed", "[simchef][packages]")
{
    Cluster c("cs12");
    CHECK(access(c.bin("be1", "chef-server-ctl").c_str(), F_OK) != 0);
    REQUIRE(c.call("be1", "dpkg", {"-D10", "-i", c.package}).status == 0);
    CHECK(access(c.bin("be1", "chef-server-ctl").c_str(), X_OK) == 0);
    CHECK(access(c.bin("be2", "chef-server-ctl").c_str(), F_OK) != 0);
}

TEST_CASE("reconfigure between the install and the upgrade fails like a real one", "[simchef][refusals]")
{
    Cluster c("cs12");
    REQUIRE(c.call("fe1", "dpkg", {"-D10", "-i", c.package}).status == 0);
    const Result r = c.call("fe1", "chef-server-ctl", {"reconfigure"});
    CHECK(r.status == 1);
    CHECK(contains(r.err, "run `chef-server-ctl upgrade` first"));
}

TEST_CASE("start on the secondary is refused and flagged", "[simchef][refusals]")
{
    Cluster c("cs12");
    const Result r = c.call("be2", "private-chef-ctl", {"start"});
    CHECK(r.status == 1);
    CHECK(contains(r.err, "Do not run this command on the secondary"));
    CHECK(contains(c.violations(), "be2.example.com secondary"));
    CHECK(c.call("be2", "private-chef-ctl", {"restart", "keepalived"}).status == 0);
}

TEST_CASE("dpkg and rpm accept only the runbooks' command lines and their own package format", "[simchef][packages]")
{
    Cluster c("cs12");
    REQUIRE(run({simchef, "make-package", c.world + "/chef-server-core-12.0.8-1.el6.x86_64.rpm", "--version", "12.0.8"}).status ==
            0);
    const std::string rpm = c.world + "/chef-server-core-12.0.8-1.el6.x86_64.rpm";

    const Result no_debug = c.call("be1", "dpkg", {"-i", c.package});
    CHECK(no_debug.status == 1);
    CHECK(contains(no_debug.err, "dpkg -D10 -i PACKAGE"));

    const Result rpm_to_dpkg = c.call("be1", "dpkg", {"-D10", "-i", rpm});
    CHECK(rpm_to_dpkg.status == 1);
    CHECK(contains(rpm_to_dpkg.err, "is not a Debian format archive"));

    const Result postun = c.call("be1", "rpm", {"-Uvh", rpm});
    CHECK(postun.status == 1);
    CHECK(contains(postun.err, "rpm -Uvh --nopostun PACKAGE"));

    const Result deb_to_rpm = c.call("be1", "rpm", {"-Uvh", "--nopostun", c.package});
    CHECK(deb_to_rpm.status == 1);
    CHECK(contains(deb_to_rpm.err, "not an rpm package"));

    CHECK(c.call("be1", "dpkg", {"-D10", "-i", c.world + "/missing.deb"}).status == 1);
    CHECK(c.call("be1", "rpm", {"-Uvh", "--nopostun", rpm}).status == 0);
    const Result again = c.call("be1", "rpm", {"-Uvh", "--nopostun", rpm});
    CHECK(again.status == 1);
    CHECK(contains(again.err, "is already installed"));
    CHECK(contains(c.violations(), "dpkg -i"));
}

TEST_CASE("make-package writes an ar .deb with its three members and an .rpm with the lead magic", "[simchef][packages]")
{
    Cluster c("cs12");
    const std::string deb = read_file(c.package);
    CHECK(deb.compare(0, 8, "!<arch>\n") == 0);
    CHECK(deb.compare(8, 16, "debian-binary   ") == 0);
    CHECK(contains(deb, "control.tar.gz"));
    CHECK(contains(deb, "data.tar.xz"));
    CHECK(contains(deb, "\nVersion: 12.0.8\n"));
    CHECK(deb.size() > 200 * 1024);
    const std::string rpm_path = c.world + "/p.rpm";
    REQUIRE(run({simchef, "make-package", rpm_path, "--version", "12.0.8"}).status == 0);
    CHECK(read_file(rpm_path).compare(0, 4, "\xed\xab\xee\xdb") == 0);
    CHECK(run({simchef, "make-package", c.world + "/p.tgz", "--version", "12.0.8"}).status == 2);
}

TEST_CASE("two calls at once on one node are refused and flagged", "[simchef][refusals]")
{
    Cluster c("cs12");
    write_file(c.world + "/faults", "be1.example.com hang 1 private-chef-ctl status\n");
    Child hanging(c.argv({"be1", "private-chef-ctl", {"status"}}));
    REQUIRE(hanging.read_until("simulated hang", seconds(10)));

    const Result second = c.call("be1", "private-chef-ctl", {"reconfigure"});
    CHECK(second.status == 1);
    CHECK(contains(second.err, "another command is running on be1.example.com"));
    CHECK(contains(c.violations(), "another command is running"));
    CHECK(c.call("be2", "private-chef-ctl", {"reconfigure"}).status == 0);  // other nodes are not held up

    hanging.kill_now();
    CHECK(c.call("be1", "private-chef-ctl", {"reconfigure"}).status == 0);  // a killed call holds nothing
}

TEST_CASE("the bootstrap's upgrade is refused while it is not keepalived master, and stops its services itself",
          "[simchef][refusals]")
{
    Cluster c("cs12", ".deb", "secondary");
    REQUIRE(c.call("be1", "dpkg", {"-D10", "-i", c.package}).status == 0);
    const Result backup = c.call("be1", "chef-server-ctl", {"upgrade"});
    CHECK(backup.status == 1);
    CHECK(contains(backup.out, "The bootstrap server must be the HA-master at the time of upgrade."));

    REQUIRE(c.call("be2", "private-chef-ctl", {"stop", "keepalived"}).status == 0);
    REQUIRE(c.keepalived_status("be1") == "master");
    const Result upgraded = c.call("be1", "chef-server-ctl", {"upgrade"});
    CHECK(upgraded.status == 0);
    CHECK(contains(upgraded.out, "[private-chef-upgrade] - Current Migration Version: 1.13"));
    CHECK(contains(upgraded.out, "[private-chef-upgrade] - Finished Migration 1.21 in 1 seconds"));
    CHECK(contains(upgraded.out, "Chef Server Upgraded!"));
    // upgrade.rb stops every service but postgresql itself; the runbook's start brings them back. 12's HA
    // services have a down file (enterprise-chef-common 0.5.1): sv says no ", normally up" of them.
    const Result status = c.call("be1", "chef-server-ctl", {"status"});
    CHECK(status.status == 3 * 10);
    CHECK(contains(status.out, "run: postgresql: (pid "));
    CHECK(contains(status.out, "down: nginx: 220s; run: log:"));
    CHECK(!contains(status.out, "couchdb"));             // EC 11's, removed_services: status skips them until cleanup
    CHECK(!contains(status.out, "opscode-chef-mover"));  // hidden in Chef Server 12
    CHECK(c.violations().empty());
}

TEST_CASE("Chef Server 12's stop leaves keepalived running; the old stop takes it down", "[simchef][keepalived]")
{
    Cluster c("cs12");
    REQUIRE(c.call("be1", "dpkg", {"-D10", "-i", c.package}).status == 0);
    REQUIRE(c.call("be1", "chef-server-ctl", {"stop"}).status == 0);
    CHECK(c.keepalived_status("be1") == "master");
    CHECK(c.call("be2", "private-chef-ctl", {"stop"}).status == 0);
    const Result status = c.call("be2", "private-chef-ctl", {"status"});
    CHECK(status.status == 3);  // EC11's omnibus-ctl: the first service's sv status 3 (down)
    CHECK(contains(status.out, "down: keepalived:"));
}

TEST_CASE("a fail fault fails the first N matching calls, counted across runs", "[simchef][faults]")
{
    Cluster c("cs12");
    write_file(c.world + "/faults", "# tests write these\nbe1.example.com fail 2 private-chef-ctl reconfigure\n");
    for (int i = 0; i < 2; ++i) {
        const Result r = c.call("be1", "private-chef-ctl", {"reconfigure"});
        CHECK(r.status == 1);
        CHECK(contains(r.err, "[ERROR] simulated failure"));
    }
    CHECK(c.call("be2", "private-chef-ctl", {"reconfigure"}).status == 0);
    CHECK(c.call("be1", "private-chef-ctl", {"reconfigure"}).status == 0);
    CHECK(c.violations().empty());
}

TEST_CASE("a hang fault hangs the call until it is killed, and the run still verifies", "[simchef][faults]")
{
    Cluster c("cs12");
    const auto runbook = c.chef_server_12_runbook();
    const std::size_t upgrade = index_of(runbook, "be1", "chef-server-ctl", "upgrade");
    c.perform(slice(runbook, 0, upgrade));
    write_file(c.world + "/faults", "be1.example.com hang 1 chef-server-ctl upgrade\n");

    Child hanging(c.argv(runbook[upgrade]));
    const Result killed = hanging.finish(milliseconds(500));
    CHECK(killed.timed_out);
    CHECK(killed.status == 128 + SIGKILL);

    c.perform(slice(runbook, upgrade, runbook.size()));  // the re-run, then the rest
    const Result v = c.verify("chef-server-12", {"--approval", "--complete"});
    INFO(v.out << c.calls());
    CHECK(v.status == 0);
}

TEST_CASE("delay_ms makes every call take at least that long", "[simchef][faults]")
{
    Cluster c("cs12");
    write_file(c.world + "/delay_ms", "300\n");
    const auto start = steady_clock::now();
    REQUIRE(c.call("fe1", "private-chef-ctl", {"status"}).status == 0);
    CHECK(steady_clock::now() - start >= milliseconds(300));
}

TEST_CASE("when keepalived stops on the master, the other backend takes over only after failover_ms", "[simchef][keepalived]")
{
    Cluster c("cs12", ".deb", "secondary");
    write_file(c.world + "/failover_ms", "1500\n");
    REQUIRE(c.keepalived_status("be2") == "master");
    const auto stopped = steady_clock::now();
    const Result r = c.call("be2", "private-chef-ctl", {"stop", "keepalived"});
    REQUIRE(r.status == 0);
    if (steady_clock::now() - stopped < milliseconds(1500))
        CHECK(c.keepalived_status("be1") == "backup");
    CHECK(c.keepalived_status("be2") == "backup");
    // Nothing else runs: the detached takeover flips the state the daemon reads.
    const auto deadline = steady_clock::now() + seconds(20);
    while (c.keepalived_status("be1") != "master" && steady_clock::now() < deadline)
        std::this_thread::sleep_for(milliseconds(20));
    CHECK(c.keepalived_status("be1") == "master");
    CHECK(steady_clock::now() - stopped >= milliseconds(1500));
    CHECK(trim(read_file(c.world + "/keepalived/master")) == "be1.example.com");
}

TEST_CASE("with the flip flag the secondary's keepalived, started after its upgrade, takes master, and the runbook's "
          "keepalived sequence gives it back",
          "[simchef][keepalived]")
{
    Cluster c("cs12");
    write_file(c.world + "/flip_master_after_secondary_upgrade", "");
    const auto runbook = c.chef_server_12_runbook(true);
    const std::size_t fix = index_of(runbook, "be2", "chef-server-ctl", "stop");
    c.perform(slice(runbook, 0, fix));
    CHECK(c.keepalived_status("be2") == "master");
    CHECK(c.keepalived_status("be1") == "backup");

    SECTION("with the sequence the run completes")
    {
        c.perform(slice(runbook, fix, runbook.size()));
        CHECK(c.keepalived_status("be1") == "master");
        CHECK(c.keepalived_status("be2") == "backup");
        const Result v = c.verify("chef-server-12", {"--approval", "--complete"});
        INFO(v.out);
        CHECK(v.status == 0);
    }
    SECTION("without it the bootstrap is not master at the end")
    {
        c.perform(slice(runbook, fix + 3, runbook.size()), false);  // be1's services do not run: its status fails
        const Result v = c.verify("chef-server-12", {"--approval", "--complete"});
        CHECK(v.status == 1);
        CHECK(contains(v.out,
                       "FAIL complete:\n    keepalived master at the end: be2.example.com, not the bootstrap be1.example.com"));
    }
}

TEST_CASE("cleanup succeeds without a mover line; a command after it other than an add-on's is flagged", "[simchef][cleanup]")
{
    Cluster c("cs12");
    c.perform(c.chef_server_12_runbook());  // checks cleanup's exit 0 (cleanup.rb never runs the mover)
    CHECK(c.violations().empty());
    CHECK(c.call("be1", "chef-server-ctl", {"status"}).status == 0);
    CHECK(contains(c.violations(), "a command after the cleanup that is not an add-on command -- chef-server-ctl status"));
}

TEST_CASE("cleanup before the upgrade is refused", "[simchef][cleanup]")
{
    Cluster c("cs12");
    const Result r = c.call("fe1", "private-chef-ctl", {"cleanup"});
    CHECK(r.status == 1);
    CHECK(contains(r.err, "[ERROR] this node is not upgraded"));
    CHECK(contains(c.violations(), "fe1.example.com frontend [ERROR] this node is not upgraded"));
}

TEST_CASE("an add-on's NAME-ctl reconfigure on another node needs the bootstrap's /etc/NAME", "[simchef][addons]")
{
    Cluster c("cs12");
    c.perform(c.chef_server_12_runbook());
    const std::string addon = "opscode-push-jobs-server";
    c.perform({{"be1", "chef-server-ctl", {"install", addon}},
               {"be1", "chef-server-ctl", {"reconfigure"}},
               {"be1", addon + "-ctl", {"reconfigure"}},
               {"be2", "chef-server-ctl", {"install", addon}},
               {"be2", "chef-server-ctl", {"reconfigure"}}});
    const Result before_copy = c.call("be2", addon + "-ctl", {"reconfigure"});
    CHECK(before_copy.status == 1);
    CHECK(contains(before_copy.err, "/etc/" + addon + " differs from the bootstrap's"));
    c.perform({{"be2", "copy", {"etc/" + addon}}, {"be2", addon + "-ctl", {"reconfigure"}}});
    CHECK(c.call("fe1", addon + "-ctl", {"reconfigure"}).status == 127);  // not installed there
    CHECK(!contains(c.violations(), "after the cleanup"));
}

TEST_CASE("installing before the frontends stopped fails verify, naming the rule", "[simchef][verify]")
{
    Cluster c("cs12");
    auto runbook = c.chef_server_12_runbook();
    const std::size_t stop = index_of(runbook, "fe1", "private-chef-ctl", "stop");
    const std::size_t install = index_of(runbook, "fe1", "dpkg", "-D10");
    std::rotate(runbook.begin() + static_cast<long>(stop), runbook.begin() + static_cast<long>(install),
                runbook.begin() + static_cast<long>(install) + 1);  // fe1's install first
    c.perform(runbook);
    const Result v = c.verify("chef-server-12", {"--approval", "--complete"});
    CHECK(v.status == 1);
    CHECK(contains(v.out, "FAIL frontends-stopped-before-install:\n"));
    CHECK(contains(v.out, "ok   bootstrap-stopped-before-its-upgrade\n"));
}

TEST_CASE("a frontend started before the secondary's upgrade fails verify, naming the rule", "[simchef][verify]")
{
    Cluster c("cs12");
    auto runbook = c.chef_server_12_runbook();
    const std::size_t secondary = index_of(runbook, "be2", "chef-server-ctl", "upgrade");
    const std::size_t start = index_of(runbook, "fe1", "chef-server-ctl", "start");
    const std::size_t fe1_upgrade = index_of(runbook, "fe1", "chef-server-ctl", "upgrade");
    std::vector<Step> wrong = slice(runbook, 0, secondary);
    wrong.push_back(runbook[fe1_upgrade]);
    wrong.push_back(runbook[start]);
    for (std::size_t i = secondary; i < runbook.size(); ++i)
        if (i != fe1_upgrade && i != start)
            wrong.push_back(runbook[i]);
    c.perform(wrong);
    const Result v = c.verify("chef-server-12");
    CHECK(v.status == 1);
    CHECK(contains(v.out, "FAIL start-never-on-secondary-and-frontends-after-upgrades:\n    "));
    CHECK(contains(v.out, "fe1.example.com frontend begin - chef-server-ctl start"));
}

TEST_CASE("an Enterprise Chef 11 install before keepalived stops on the secondary fails verify, naming the rule",
          "[simchef][verify]")
{
    Cluster c("ec11");
    auto runbook = c.enterprise_chef_11_runbook();
    const std::size_t keepalived = index_of(runbook, "be2", "private-chef-ctl", "stop");
    std::rotate(runbook.begin() + static_cast<long>(keepalived), runbook.begin() + static_cast<long>(keepalived) + 1,
                runbook.begin() + static_cast<long>(keepalived) + 3);  // be1 and be2 install first
    c.perform(runbook);
    const Result v = c.verify("enterprise-chef-11", {"--complete"});
    CHECK(v.status == 1);
    CHECK(contains(v.out, "FAIL keepalived-stopped-on-secondary-before-install:\n"));
    CHECK(contains(v.out, "ok   frontends-stopped-before-secondary-keepalived\n"));
}

TEST_CASE("a frontend gone for good mid-stop passes verify only when dropped and its death is known", "[simchef][verify]")
{
    Cluster c("cs12");
    auto runbook = c.chef_server_12_runbook();
    const std::size_t stop = index_of(runbook, "fe2", "private-chef-ctl", "stop");
    std::vector<Step> before, after;
    for (std::size_t i = 0; i < runbook.size(); ++i)
        if (runbook[i].node != "fe2")
            (i < stop ? before : after).push_back(runbook[i]);
    c.perform(before);
    // fe2's stop began and the machine died under it: a begin line and no end, as a kill leaves it.
    const auto now = [] { return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count(); };
    std::ofstream(c.world + "/calls.log", std::ios::app) << now() << " fe2.example.com frontend begin - private-chef-ctl stop\n";
    std::this_thread::sleep_for(milliseconds(5));
    const auto gone = now();
    std::this_thread::sleep_for(milliseconds(5));
    c.perform(after);

    const Result lost = c.verify("chef-server-12", {"--approval", "--complete"});
    CHECK(lost.status == 1);
    CHECK(contains(lost.out, "FAIL frontends-stopped-before-install:\n"));
    CHECK(contains(lost.out, "FAIL cleanup-last:\n"));
    CHECK(contains(lost.out, "fe2.example.com: not upgraded to 12.0.8"));

    const Result dropped = c.verify("chef-server-12", {"--approval", "--complete", "--dropped", "fe2.example.com"});
    CHECK(dropped.status == 1);  // no longer asked to have stopped, but its stop never ended
    CHECK(!contains(dropped.out, "fe2.example.com: not stopped before the first install began"));
    CHECK(contains(dropped.out, "FAIL cleanup-last:\n"));
    CHECK(contains(dropped.out, "ok   complete\n"));

    write_file(c.world + "/gone", std::to_string(gone) + " fe2.example.com\n");
    const Result v = c.verify("chef-server-12", {"--approval", "--complete", "--dropped", "fe2.example.com"});
    INFO(v.out);
    CHECK(v.status == 0);
}

TEST_CASE("a cleanup before the operator's approval fails verify --approval", "[simchef][verify]")
{
    Cluster c("cs12");
    auto runbook = c.chef_server_12_runbook();
    const std::size_t approve = index_of(runbook, "be1", "approve", "");
    runbook.erase(runbook.begin() + static_cast<long>(approve));
    c.perform(runbook);
    CHECK(c.verify("chef-server-12", {"--complete"}).status == 0);
    const Result v = c.verify("chef-server-12", {"--approval", "--complete"});
    CHECK(v.status == 1);
    CHECK(contains(v.out, "FAIL cleanup-after-approval:\n"));
}

TEST_CASE("a command that succeeded twice on a node fails verify unless reruns are allowed", "[simchef][verify]")
{
    Cluster c("ec11");
    auto runbook = c.enterprise_chef_11_runbook();
    const std::size_t upgrade = index_of(runbook, "be1", "private-chef-ctl", "upgrade");
    runbook.insert(runbook.begin() + static_cast<long>(upgrade) + 1, runbook[upgrade]);  // re-run: nothing left to do
    c.perform(runbook);
    const Result strict = c.verify("enterprise-chef-11", {"--complete"});
    CHECK(strict.status == 1);
    CHECK(contains(strict.out, "FAIL no-success-twice:\n"));
    CHECK(c.verify("enterprise-chef-11", {"--complete", "--allow-reruns"}).status == 0);
}

TEST_CASE("a node without simchef.ini exits 127, and init refuses a node twice", "[simchef][init]")
{
    Cluster c("cs12");
    const std::string stray_node = c.world + "/stray";
    REQUIRE(mkdir(stray_node.c_str(), 0755) == 0);
    REQUIRE(mkdir((stray_node + "/bin").c_str(), 0755) == 0);
    REQUIRE(symlink(simchef.c_str(), (stray_node + "/bin/chef-server-ctl").c_str()) == 0);
    const Result stray = run({stray_node + "/bin/chef-server-ctl", "status"});
    CHECK(stray.status == 127);
    CHECK(contains(stray.err, "simchef.ini is missing"));

    const std::string be1 = c.dir("be1");
    const Result again = run({simchef, "init", "--node-dir", be1, "--name", "be1.example.com", "--role", "bootstrap", "--world",
                              c.world, "--opscode-dir", be1 + "/etc/opscode", "--keepalived-dir", be1 + "/var/keepalived",
                              "--upgrades-dir", be1 + "/var/upgrades", "--flavor", "cs12"});
    CHECK(again.status != 0);
    CHECK(contains(again.err, "is a simulated node already"));
    // Every node's secrets are the same: derived from the world, as a real cluster shares them.
    CHECK(read_file(be1 + "/etc/opscode/private-chef-secrets.json") ==
          read_file(c.dir("fe2") + "/etc/opscode/private-chef-secrets.json"));
}

TEST_CASE("a command reached through a link into a node's bin, as /usr/bin/chef-server-ctl is, acts on that node",
          "[simchef][init]")
{
    Cluster c("cs12");
    // The container test's layout: the node in /opt/opscode, /usr/bin/<command> linking into its bin.
    const std::string usr_bin = c.world + "/usr/bin";
    REQUIRE(mkdir((c.world + "/usr").c_str(), 0755) == 0);
    REQUIRE(mkdir(usr_bin.c_str(), 0755) == 0);
    REQUIRE(symlink(c.bin("fe1", "private-chef-ctl").c_str(), (usr_bin + "/private-chef-ctl").c_str()) == 0);
    REQUIRE(symlink(c.bin("fe1", "chef-server-ctl").c_str(), (usr_bin + "/chef-server-ctl").c_str()) == 0);
    // Dangling until the package is installed: a daemon sees no chef-server-ctl yet, as on a real node.
    CHECK(access((usr_bin + "/chef-server-ctl").c_str(), X_OK) != 0);

    const Result stop = run({usr_bin + "/private-chef-ctl", "stop"});
    INFO(stop.err);
    CHECK(stop.status == 0);
    CHECK(contains(c.calls(), "fe1.example.com frontend begin - private-chef-ctl stop"));
    REQUIRE(c.call("fe1", "dpkg", {"-D10", "-i", c.package}).status == 0);
    CHECK(access((usr_bin + "/chef-server-ctl").c_str(), X_OK) == 0);
    CHECK(run({usr_bin + "/chef-server-ctl", "status"}).status != 127);
    CHECK(c.violations().empty());
}

TEST_CASE("Chef Server 12 never starts the secondary's keepalived again: ha-status and status say so until it is started",
          "[simchef][keepalived]")
{
    Cluster c("cs12");
    const auto runbook = c.chef_server_12_runbook();
    const std::size_t started = index_of(runbook, "be2", "chef-server-ctl", "start");
    c.perform(slice(runbook, 0, started));  // through the secondary's upgrade

    const Result ha = c.call("be2", "chef-server-ctl", {"ha-status"});
    CHECK(ha.status == 7);
    CHECK(contains(ha.out, "\n[ERROR] keepalived is not running.\n"));
    const Result status = c.call("be2", "chef-server-ctl", {"status", "keepalived"});
    CHECK(status.status == 3);
    CHECK(contains(status.out, "down: keepalived: 220s, normally up; run: log:"));
    // A reconfigure leaves it down too (runit's :enable of an enabled service does nothing).
    REQUIRE(c.call("be2", "chef-server-ctl", {"reconfigure"}).status == 0);
    CHECK(c.call("be2", "chef-server-ctl", {"status", "keepalived"}).status == 3);
    const Result unfinished = c.verify("chef-server-12", {"--complete"});
    CHECK(contains(unfinished.out, "be2.example.com: keepalived is not running at the end: the cluster has no standby"));

    REQUIRE(c.call("be2", "chef-server-ctl", {"start", "keepalived"}).status == 0);
    CHECK(c.keepalived_status("be2") == "backup");
    CHECK(c.call("be2", "chef-server-ctl", {"ha-status"}).status == 0);
    CHECK(c.violations().empty());
}

TEST_CASE("a migration level that is not a level: EC 11's upgrade refuses a missing one on a backend, partybus takes any "
          "other for 0 and runs every migration again",
          "[simchef][migration]")
{
    SECTION("Enterprise Chef 11, missing on the bootstrap: the sanity check stops the upgrade")
    {
        Cluster c("ec11");
        const auto runbook = c.enterprise_chef_11_runbook();
        c.perform(slice(runbook, 0, index_of(runbook, "be1", "private-chef-ctl", "upgrade")));
        std::filesystem::remove(c.dir("be1") + "/var/upgrades/migration-level");
        const Result r = c.call("be1", "private-chef-ctl", {"upgrade"});
        CHECK(r.status == 1);
        CHECK(contains(r.out, "The /var/opt/opscode/upgrades/migration-level file is missing or corrupt!  Please read "
                              "http://docs.opscode.com/upgrade_server_ha_notes.html#pre-flight-check"));
        CHECK(contains(r.out, "FATAL: "));
    }
    SECTION("Chef Server 12, not JSON on the bootstrap: every migration again from 1.1")
    {
        Cluster c("cs12");
        const auto runbook = c.chef_server_12_runbook();
        c.perform(slice(runbook, 0, index_of(runbook, "be1", "chef-server-ctl", "upgrade")));
        write_file(c.dir("be1") + "/var/upgrades/migration-level", "1.13\n");
        const Result r = c.call("be1", "chef-server-ctl", {"upgrade"});
        CHECK(r.status == 0);
        CHECK(contains(r.out, "[private-chef-upgrade] - Current Migration Version: 0.0\n"));
        CHECK(contains(r.out, "[private-chef-upgrade] - Starting Migration 1.1\n"));
        CHECK(
            contains(c.violations(), "partybus read the migration level as 0 (\"1.13\") and ran every migration again from 1.1"));
    }
}

TEST_CASE("a stop that times out by itself says so the way sv does, on a frontend too, and exits 1", "[simchef][faults]")
{
    Cluster c("cs12");
    write_file(c.world + "/faults", "fe1.example.com timeout 1 private-chef-ctl stop\n");
    const Result r = c.call("fe1", "private-chef-ctl", {"stop"});
    CHECK(r.status == 1);
    CHECK(contains(r.out, "timeout: run: opscode-erchef: (pid "));
    CHECK(contains(r.out, "765s, want down\n"));
    CHECK(contains(r.out, "ok: down: nginx: 0s, normally up\n"));
    CHECK(c.call("fe1", "private-chef-ctl", {"stop"}).status == 0);  // the runbook's re-run finishes it
}

TEST_CASE("verify --complete wants manage running with one frontend's secrets.rb everywhere and keepalived knowing push "
          "jobs",
          "[simchef][addons]")
{
    Cluster c("cs12");
    c.perform(c.chef_server_12_runbook());
    for (const char* n : {"be1", "be2", "fe1", "fe2"}) {  // the bootstrap's /etc/opscode-push-jobs-server copied first
        if (std::string(n) != "be1")
            c.perform({{n, "copy", {"etc/opscode-push-jobs-server"}}});
        REQUIRE(c.call(n, "chef-server-ctl", {"install", "opscode-push-jobs-server"}).status == 0);
        REQUIRE(c.call(n, "chef-server-ctl", {"reconfigure"}).status == 0);
        REQUIRE(c.call(n, "opscode-push-jobs-server-ctl", {"reconfigure"}).status == 0);
    }
    for (const char* n : {"fe1", "fe2"}) {
        REQUIRE(c.call(n, "chef-server-ctl", {"install", "opscode-manage"}).status == 0);
        REQUIRE(c.call(n, "chef-server-ctl", {"reconfigure"}).status == 0);
        REQUIRE(c.call(n, "opscode-manage-ctl", {"reconfigure"}).status == 0);
    }
    const Result before = c.verify("chef-server-12", {"--approval", "--complete", "--allow-reruns"});
    CHECK(before.status == 1);
    CHECK(contains(before.out, "be2.example.com: keepalived's scripts do not know opscode-pushy-server"));
    CHECK(contains(before.out, "fe2.example.com: its manage runs with another /etc/opscode-manage/secrets.rb than "
                               "fe1.example.com's"));

    // Chef's HA install docs: reconfigure each backend again; copy one frontend's secrets.rb, configure again.
    for (const char* n : {"be1", "be2"})
        REQUIRE(c.call(n, "chef-server-ctl", {"reconfigure"}).status == 0);
    std::filesystem::copy_file(c.dir("fe1") + "/etc/opscode-manage/secrets.rb", c.dir("fe2") + "/etc/opscode-manage/secrets.rb",
                               std::filesystem::copy_options::overwrite_existing);
    REQUIRE(c.call("fe2", "opscode-manage-ctl", {"reconfigure"}).status == 0);
    const Result after = c.verify("chef-server-12", {"--approval", "--complete", "--allow-reruns"});
    INFO(after.out);
    CHECK(after.status == 0);
}
