#include "cluster.hpp"

#include <systemd/sd-bus.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace chu::test {

namespace {

constexpr const char* bus_name = "net.chefhaupgrade.Upgrade1";
constexpr const char* object_path = "/net/chefhaupgrade/Upgrade1";

void write_file(const std::string& path, const std::string& text)
{
    std::ofstream out(path, std::ios::trunc);
    out << text;
    if (!out.flush())
        throw std::runtime_error("cannot write " + path);
}

std::string read_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void must(int status, const std::string& what, const std::string& output)
{
    if (status != 0)
        throw std::runtime_error(what + " failed (exit " + std::to_string(status) + "): " + output);
}

// The session of a process, from /proc: every command a daemon runs stays in the daemon's session.
int session_of(int pid)
{
    const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos)
        return -1;
    std::istringstream fields(stat.substr(close + 2));
    std::string state;
    int ppid = 0, pgrp = 0, session = -1;
    fields >> state >> ppid >> pgrp >> session;
    return session;
}

void kill_session(int sid)
{
    DIR* proc = opendir("/proc");
    if (!proc)
        return;
    while (dirent* e = readdir(proc)) {
        const int pid = std::atoi(e->d_name);
        if (pid > 0 && pid != getpid() && session_of(pid) == sid)
            kill(pid, SIGKILL);
    }
    closedir(proc);
}

bool wait_exit(int pid, std::chrono::milliseconds timeout)
{
    const auto until = std::chrono::steady_clock::now() + timeout;
    do {
        const int r = waitpid(pid, nullptr, WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD))
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } while (std::chrono::steady_clock::now() < until);
    return false;
}

struct Bus {
    sd_bus* bus = nullptr;
    explicit Bus(const std::string& address)
    {
        if (sd_bus_new(&bus) < 0 || sd_bus_set_address(bus, address.c_str()) < 0 || sd_bus_set_bus_client(bus, 1) < 0 ||
            sd_bus_start(bus) < 0) {
            sd_bus_unref(bus);
            bus = nullptr;
        }
    }
    ~Bus() { sd_bus_flush_close_unref(bus); }
    std::string str(const char* property, bool* ok) const
    {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        char* value = nullptr;
        const int r = sd_bus_get_property_string(bus, bus_name, object_path, bus_name, property, &error, &value);
        sd_bus_error_free(&error);
        if (r < 0) {
            *ok = false;
            return {};
        }
        std::string out = value;
        std::free(value);
        return out;
    }
    template <class T>
    T trivial(const char* property, char type, bool* ok) const
    {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        T value{};
        if (sd_bus_get_property_trivial(bus, bus_name, object_path, bus_name, property, &error, type, &value) < 0)
            *ok = false;
        sd_bus_error_free(&error);
        return value;
    }
};

void read_view(const Bus& bus, View& v, bool& ok);

}  // namespace

std::int64_t epoch_ms()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

int run_program(const std::vector<std::string>& argv, const std::vector<std::string>& env, std::string* out)
{
    // Built before fork: the test process has threads, so the child may only exec.
    std::vector<char*> args, envp;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<std::string> full = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"};
    full.insert(full.end(), env.begin(), env.end());
    for (const auto& e : full)
        envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0)
        return -1;
    const pid_t pid = fork();
    if (pid == 0) {
        dup2(pipefd[1], 1);
        dup2(pipefd[1], 2);
        execve(args[0], args.data(), envp.data());
        _exit(127);
    }
    close(pipefd[1]);
    std::string text;
    char buf[4096];
    ssize_t n;
    while ((n = read(pipefd[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0)
            text.append(buf, static_cast<std::size_t>(n));
    close(pipefd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (out)
        *out = text;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string Cluster::build_dir()
{
    return CHU_BUILD_DIR;
}

std::string Cluster::source_dir()
{
    return CHU_SOURCE_DIR;
}

Cluster::Cluster(ClusterSpec spec) : spec_(std::move(spec))
{
    char tmpl[] = "/tmp/chu-cluster-XXXXXX";
    if (!mkdtemp(tmpl))
        throw std::runtime_error("mkdtemp failed");
    root_ = tmpl;
    world_ = root_ + "/world";
    mkdir(world_.c_str(), 0755);
    std::string net = spec_.network;
    if (net.empty()) {
        // Tests run side by side: each cluster on its own loopback /24.
        const int pid = getpid();
        net = "127." + std::to_string(1 + pid % 250) + "." + std::to_string(1 + (pid / 250) % 250) + ".";
    }
    nodes_.push_back({"be1.example.com", "bootstrap", net + "11", root_ + "/be1"});
    nodes_.push_back({"be2.example.com", "secondary", net + "12", root_ + "/be2"});
    for (int i = 1; i <= spec_.frontends; ++i)
        nodes_.push_back({"fe" + std::to_string(i) + ".example.com", "frontend", net + std::to_string(20 + i),
                          root_ + "/fe" + std::to_string(i)});

    const bool ec11 = spec_.plan == "enterprise-chef-11";
    const std::string sim = build_dir() + "/tests/simchef/chu-simchef";
    package_ = world_ + (ec11 ? "/private-chef_11.1.8-1_amd64" : "/chef-server-core_12.0.8-1_amd64") + spec_.package_ext;
    std::string out;
    // As omnibus builds them: an iteration, and on an rpm a dist tag (12.0.8-1, 12.0.8-1.el6).
    const std::string upstream = !spec_.version.empty() ? spec_.version : ec11 ? "11.1.8" : "12.0.8";
    const std::string version = upstream + (spec_.package_ext == ".rpm" ? "-1.el6" : "-1");
    must(run_program({sim, "make-package", package_, "--version", version}, {}, &out), "make-package", out);
    for (const auto& n : nodes_) {
        must(run_program({sim,
                          "init",
                          "--node-dir",
                          n.dir,
                          "--name",
                          n.name,
                          "--role",
                          n.role,
                          "--world",
                          world_,
                          "--opscode-dir",
                          n.dir + "/etc/opscode",
                          "--keepalived-dir",
                          n.dir + "/var/keepalived",
                          "--upgrades-dir",
                          n.dir + "/var/upgrades",
                          "--flavor",
                          ec11 ? "ec11" : "cs12",
                          "--master",
                          spec_.master},
                         {}, &out),
             "chu-simchef init " + n.name, out);
        // make: present on every node (the bootstrap's preflight checks it).
        symlink("/bin/true", (n.dir + "/bin/make").c_str());
    }
    write_topology();
    for (const auto& n : nodes_) {
        write_config(n);
        if (spec_.buses)
            start_bus(n);
    }
}

Cluster::~Cluster()
{
    for (auto& [name, p] : daemons_) {
        if (p.pid <= 0)
            continue;
        kill(p.pid, SIGTERM);
        if (!wait_exit(p.pid, std::chrono::seconds(5))) {
            kill(p.pid, SIGKILL);
            wait_exit(p.pid, std::chrono::seconds(5));
        }
        kill_session(p.sid);
    }
    for (auto& [name, pid] : buses_) {
        kill(pid, SIGTERM);
        wait_exit(pid, std::chrono::seconds(5));
    }
    if (std::getenv("CHU_KEEP_CLUSTER")) {
        std::fprintf(stderr, "cluster kept in %s\n", root_.c_str());
        return;
    }
    std::string out;
    run_program({"/bin/rm", "-rf", root_}, {}, &out);
}

const NodeInfo& Cluster::node(const std::string& name) const
{
    for (const auto& n : nodes_)
        if (n.name == name)
            return n;
    throw std::runtime_error("no node " + name);
}

void Cluster::write_topology()
{
    std::ostringstream rb;
    rb << "# Chef HA topology of a simulated cluster\n"
          "topology \"ha\"\n"
          "api_fqdn \"chef.example.com\"\n\n";
    for (const auto& n : nodes_) {
        rb << "server \"" << n.name << "\",\n  :ipaddress => \"" << n.address << "\",\n  :role => \""
           << (n.role == "frontend" ? "frontend" : "backend") << "\"";
        if (n.role == "bootstrap")
            rb << ",\n  :bootstrap => true";
        if (n.role != "frontend")
            rb << ",\n  :cluster_ipaddress => \"" << n.address << "\"";
        rb << "\n\n";
        if (n.role == "secondary")
            rb << "backend_vip \"chef-be.example.com\",\n  :ipaddress => \"" << n.address.substr(0, n.address.rfind('.'))
               << ".10\",\n  :device => \"lo\",\n  :heartbeat_device => \"lo\"\n\n";
    }
    for (const auto& n : nodes_)
        write_file(n.dir + "/etc/opscode/private-chef.rb", rb.str());
}

void Cluster::write_config(const NodeInfo& n)
{
    std::ostringstream c;
    c << "[cluster]\n"
      << "topology = " << n.dir << "/etc/opscode/private-chef.rb\n"
      << "node = " << n.name << "\n"
      << "heartbeat_ms = " << spec_.heartbeat_ms << "\n"
      << "peer_timeout_ms = " << spec_.peer_timeout_ms << "\n"
      << (spec_.insecure ? "insecure = yes\n" : "") << "[upgrade]\n"
      << "plan = " << spec_.plan << "\n"
      << "package = " << package_ << "\n"
      << "cleanup = " << spec_.cleanup << "\n"
      << "addons = " << spec_.addons << "\n"
      << "accept_licenses = " << (spec_.accept_licenses ? "yes" : "no") << "\n"
      << "[commands]\n"
      << "chef_server_ctl = " << n.dir << "/bin/chef-server-ctl\n"
      << "private_chef_ctl = " << n.dir << "/bin/private-chef-ctl\n"
      << "dpkg = " << n.dir << "/bin/dpkg\n"
      << "rpm = " << n.dir << "/bin/rpm\n"
      << "dpkg_deb = " << n.dir << "/bin/dpkg-deb\n"
      << "make = " << n.dir << "/bin/make\n"
      << "ruby = /usr/bin/ruby\n"  // Debian's, standing in for Chef's embedded Ruby: every start compares readings
      << "timeout_s = " << spec_.timeout_s << "\n"
      << "retries = " << spec_.retries << "\n"
      << "[paths]\n"
      << "opscode_dir = " << n.dir << "/etc/opscode\n"
      << "state_dir = " << n.dir << "/state\n"
      << "plans_dir = " << source_dir() << "/conf/plans\n"
      << "keepalived_dir = " << n.dir << "/var/keepalived\n"
      << "upgrades_dir = " << n.dir << "/var/upgrades\n"
      << "data_dir = " << n.dir << "/var\n"
      << "version_manifest = " << n.dir << "/version-manifest.txt\n"
      << "open_source_chef_dir = " << n.dir << "/opt/chef-server\n";
    write_file(n.dir + "/chu.conf", c.str());
}

// A private system-like bus per node, with the project's own policy: what the daemon meets on a real node.
void Cluster::start_bus(const NodeInfo& n)
{
    const std::string conf = n.dir + "/bus.conf";
    write_file(
        conf,
        "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
        " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
        "<busconfig>\n  <type>system</type>\n  <listen>unix:path=" +
            n.dir +
            "/bus.socket</listen>\n"
            "  <auth>EXTERNAL</auth>\n"
            "  <policy context=\"default\">\n"
            "    <allow user=\"*\"/>\n    <deny own=\"*\"/>\n    <deny send_type=\"method_call\"/>\n"
            "    <allow send_type=\"signal\"/>\n"
            "    <allow send_requested_reply=\"true\" send_type=\"method_return\"/>\n"
            "    <allow send_requested_reply=\"true\" send_type=\"error\"/>\n"
            "    <allow receive_type=\"method_call\"/>\n    <allow receive_type=\"method_return\"/>\n"
            "    <allow receive_type=\"error\"/>\n    <allow receive_type=\"signal\"/>\n"
            "    <allow send_destination=\"org.freedesktop.DBus\" send_interface=\"org.freedesktop.DBus\"/>\n"
            "    <allow send_destination=\"org.freedesktop.DBus\" send_interface=\"org.freedesktop.DBus.Introspectable\"/>\n"
            "    <allow send_destination=\"org.freedesktop.DBus\" send_interface=\"org.freedesktop.DBus.Properties\"/>\n"
            "  </policy>\n"
            "  <include>" +
            source_dir() +
            "/ipc/chef-ha-upgrade-dbus.conf</include>\n"
            "</busconfig>\n");
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0)
        throw std::runtime_error("pipe failed");
    const pid_t pid = fork();
    if (pid == 0) {
        dup2(pipefd[1], 3);
        const int log = open((n.dir + "/bus.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        dup2(log, 1);
        dup2(log, 2);
        execl("/usr/bin/dbus-daemon", "dbus-daemon", ("--config-file=" + conf).c_str(), "--print-address=3", "--nofork",
              static_cast<char*>(nullptr));
        _exit(127);
    }
    close(pipefd[1]);
    // The address, once the bus listens: no sleeping.
    std::string address;
    char c;
    while (read(pipefd[0], &c, 1) == 1 && c != '\n')
        address += c;
    close(pipefd[0]);
    if (address.empty())
        throw std::runtime_error("dbus-daemon for " + n.name + " did not start");
    buses_[n.name] = pid;
    bus_addresses_[n.name] = address;
}

std::string Cluster::bus_address(const std::string& node) const
{
    // Without buses: a socket that does not exist, never the machine's own system bus.
    auto it = bus_addresses_.find(node);
    return it != bus_addresses_.end() ? it->second : "unix:path=" + this->node(node).dir + "/no-bus.socket";
}

void Cluster::start_all()
{
    for (const auto& n : nodes_)
        start(n.name);
}

void Cluster::start(const std::string& name, const std::string& other, const std::vector<std::string>& args)
{
    const NodeInfo& n = node(name);
    const std::string daemon = other.empty() ? build_dir() + "/daemon/chef-ha-upgraded" : other;
    const std::string log = n.dir + "/daemon.log";
    const std::string env_bus = "DBUS_SYSTEM_BUS_ADDRESS=" + bus_address(name);
    const std::string config = config_of(name);
    std::vector<const char*> argv{"chef-ha-upgraded", "--config", config.c_str()};
    for (const auto& a : args)
        argv.push_back(a.c_str());
    argv.push_back(nullptr);
    const pid_t pid = fork();
    if (pid == 0) {
        setsid();  // like a service: its own session, which its commands share
        const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        const char* envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", env_bus.c_str(), nullptr};
        execve(daemon.c_str(), const_cast<char* const*>(argv.data()), const_cast<char* const*>(envp));
        _exit(127);
    }
    daemons_[name] = Process{pid, pid};
}

void Cluster::kill9(const std::string& name)
{
    auto& p = daemons_.at(name);
    kill(p.pid, SIGKILL);
    wait_exit(p.pid, std::chrono::seconds(5));
    kill_session(p.sid);
    p.pid = -1;
}

int Cluster::stop(const std::string& name)
{
    auto& p = daemons_.at(name);
    kill(p.pid, SIGTERM);
    int status = 0;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (waitpid(p.pid, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > until) {
            kill(p.pid, SIGKILL);
            waitpid(p.pid, &status, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    p.pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int Cluster::exit_status(const std::string& name, std::chrono::milliseconds timeout)
{
    auto& p = daemons_.at(name);
    int status = 0;
    const auto until = std::chrono::steady_clock::now() + timeout;
    pid_t exited = 0;
    while ((exited = waitpid(p.pid, &status, WNOHANG)) == 0) {
        if (std::chrono::steady_clock::now() > until)
            return -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (exited < 0)
        return -1;        // already reaped (running() was asked after it ended)
    kill_session(p.sid);  // what systemd's control-group cleanup would end: commands it left behind
    p.pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void Cluster::signal(const std::string& name, int sig)
{
    // Never kill(-1, ...) for a node that is down: that would signal every process we may signal.
    if (const int pid = daemons_.at(name).pid; pid > 0)
        kill(pid, sig);
}

bool Cluster::running(const std::string& name) const
{
    auto it = daemons_.find(name);
    return it != daemons_.end() && it->second.pid > 0 && waitpid(it->second.pid, nullptr, WNOHANG) == 0;
}

int Cluster::pid(const std::string& name) const
{
    auto it = daemons_.find(name);
    return it == daemons_.end() ? -1 : it->second.pid;
}

void Cluster::add_fault(const std::string& line)
{
    std::ofstream out(world_ + "/faults", std::ios::app);
    out << line << "\n";
}

void Cluster::drop_in(const std::string& name, const std::string& ini)
{
    const std::string dir = node(name).dir + "/conf.d";
    mkdir(dir.c_str(), 0755);
    write_file(dir + "/50-test.conf", ini);
}

View Cluster::view(const std::string& node) const
{
    View v;
    Bus bus(bus_address(node));
    if (!bus.bus)
        return v;
    bool ok = true;
    // Properties are read one by one: read again if the phase moved meanwhile, so the view is consistent.
    for (int tries = 0; tries < 5; ++tries) {
        const auto phase = bus.trivial<std::int32_t>("Phase", 'i', &ok);
        read_view(bus, v, ok);
        if (v.phase == phase)
            break;
    }
    v.reachable = ok;
    return v;
}

namespace {

void read_view(const Bus& bus, View& v, bool& ok)
{
    v.state = bus.str("State", &ok);
    v.phase_name = bus.str("PhaseName", &ok);
    v.step = bus.str("CurrentStep", &ok);
    v.last_error = bus.str("LastError", &ok);
    v.role = bus.str("Role", &ok);
    v.leader = bus.str("Leader", &ok);
    v.phase = bus.trivial<std::int32_t>("Phase", 'i', &ok);
    v.phase_count = bus.trivial<std::int32_t>("PhaseCount", 'i', &ok);
    v.progress = bus.trivial<std::uint32_t>("Progress", 'u', &ok);
    v.downtime_start_usec = bus.trivial<std::uint64_t>("DowntimeStartUSec", 't', &ok);
    v.downtime_end_usec = bus.trivial<std::uint64_t>("DowntimeEndUSec", 't', &ok);
}

}  // namespace

std::string Cluster::call(const std::string& node, const std::string& method) const
{
    Bus bus(bus_address(node));
    if (!bus.bus)
        return "cannot connect to the bus of " + node;
    sd_bus_error error = SD_BUS_ERROR_NULL;
    sd_bus_message* reply = nullptr;
    const int r = sd_bus_call_method(bus.bus, bus_name, object_path, bus_name, method.c_str(), &error, &reply, "");
    std::string out = r < 0 ? std::string(error.message ? error.message : std::strerror(-r)) : "";
    sd_bus_error_free(&error);
    sd_bus_message_unref(reply);
    return out;
}

int Cluster::ctl(const std::string& node, const std::vector<std::string>& args, std::string* out) const
{
    std::vector<std::string> argv = {build_dir() + "/daemon/ctl/chef-ha-upgrade-ctl"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_program(argv, {"DBUS_SYSTEM_BUS_ADDRESS=" + bus_address(node)}, out);
}

void Cluster::approve(const std::string& node)
{
    write_file(world_ + "/approved", std::to_string(epoch_ms()) + "\n");
    std::string out;
    must(ctl(node, {"approve", "--yes"}, &out), "chef-ha-upgrade-ctl approve on " + node, out);
}

bool Cluster::wait_for(const std::function<bool()>& condition, std::chrono::milliseconds timeout) const
{
    const auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (condition())
            return true;
        if (std::chrono::steady_clock::now() >= until)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

bool Cluster::wait_for_state(const std::string& node, const std::string& state, std::chrono::milliseconds timeout) const
{
    return wait_for([&] { return view(node).state == state; }, timeout);
}

bool Cluster::verify(const std::vector<std::string>& flags, std::string* report) const
{
    std::vector<std::string> argv = {
        build_dir() + "/tests/simchef/chu-simchef", "verify", "--world", world_, "--plan", spec_.plan};
    argv.insert(argv.end(), flags.begin(), flags.end());
    return run_program(argv, {}, report) == 0;
}

std::string Cluster::daemon_log(const std::string& node) const
{
    return read_file(this->node(node).dir + "/daemon.log");
}

std::string Cluster::calls() const
{
    return read_file(world_ + "/calls.log");
}

}  // namespace chu::test
