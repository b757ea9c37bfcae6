#include "harness.hpp"

#include "bus/bus_names.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <poll.h>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace chu::bustest {

namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point until)
{
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
    return left > 0 ? static_cast<int>(left) : 0;
}

}  // namespace

Child::Child(const Command& command)
{
    std::vector<std::string> args;
    if (command.as_nobody)
        args = {"setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"};
    args.insert(args.end(), command.argv.begin(), command.argv.end());
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e)
        if (std::strncmp(*e, "DBUS_SYSTEM_BUS_ADDRESS=", 24) != 0 || command.bus.empty())
            env.emplace_back(*e);
    if (!command.bus.empty())
        env.push_back("DBUS_SYSTEM_BUS_ADDRESS=" + command.bus);
    // Everything the child needs is built before fork().
    std::vector<char*> argv, envp;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env)
        envp.push_back(e.data());
    envp.push_back(nullptr);

    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
        throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    const int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    pid_ = fork();
    if (pid_ == 0) {
        dup2(null, STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        dup2(err[1], STDERR_FILENO);
        execvpe(argv[0], argv.data(), envp.data());
        _exit(127);
    }
    close(null);
    close(out[1]);
    close(err[1]);
    out_ = out[0];
    err_ = err[0];
    if (pid_ < 0)
        throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
}

Child::~Child()
{
    if (pid_ > 0) {
        kill(pid_, SIGTERM);
        finish(5s);
    }
}

bool Child::read_some(Clock::time_point until)
{
    pollfd fds[2];
    std::string* buffers[2];
    int* owners[2];
    nfds_t n = 0;
    for (auto [fd, buffer] : {std::pair{&out_, &out_buffer_}, std::pair{&err_, &err_buffer_}})
        if (*fd >= 0) {
            fds[n] = {*fd, POLLIN, 0};
            buffers[n] = buffer;
            owners[n++] = fd;
        }
    if (n == 0)
        return false;
    const int r = poll(fds, n, remaining_ms(until));
    if (r < 0 && errno == EINTR)
        return true;
    if (r <= 0)
        return false;
    for (nfds_t i = 0; i < n; ++i) {
        if (!fds[i].revents)
            continue;
        char buf[4096];
        const ssize_t got = read(*owners[i], buf, sizeof buf);
        if (got > 0) {
            buffers[i]->append(buf, static_cast<std::size_t>(got));
        } else {
            close(*owners[i]);
            *owners[i] = -1;
        }
    }
    return true;
}

std::optional<std::string> Child::line(std::chrono::milliseconds timeout)
{
    const auto until = Clock::now() + timeout;
    for (;;) {
        const auto end = out_buffer_.find('\n');
        if (end != std::string::npos) {
            std::string l = out_buffer_.substr(0, end);
            out_buffer_.erase(0, end + 1);
            return l;
        }
        if (out_ < 0 || !read_some(until))
            return std::nullopt;
    }
}

Ran Child::finish(std::chrono::milliseconds timeout)
{
    const auto until = Clock::now() + timeout;
    while (read_some(until)) {}
    const bool late = out_ >= 0 || err_ >= 0;
    if (late)
        kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    for (int* fd : {&out_, &err_})
        if (*fd >= 0) {
            close(*fd);
            *fd = -1;
        }
    Ran ran{late || !WIFEXITED(status) ? -1 : WEXITSTATUS(status), std::move(out_buffer_), std::move(err_buffer_)};
    out_buffer_.clear();
    err_buffer_.clear();
    return ran;
}

Ran run(const Command& command, std::chrono::milliseconds timeout)
{
    return Child(command).finish(timeout);
}

Ran ctl(const std::string& bus, std::vector<std::string> args, bool as_nobody)
{
    args.insert(args.begin(), CHU_CTL);
    return run({args, bus, as_nobody});
}

PrivateBus::PrivateBus()
{
    const std::string config = dir_.str() + "/bus.conf";
    std::ofstream(config) << R"(<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <listen>unix:path=)" << dir_.str()
                          << R"(/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <!-- The system bus's defaults: anyone connects, nobody owns a name or calls a method unless allowed. -->
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  <include>)" << CHU_BUS_POLICY
                          << R"(</include>
</busconfig>
)";
    daemon_ = std::make_unique<Child>(Command{{"dbus-daemon", "--config-file=" + config, "--print-address=1", "--nofork"}});
    auto address = daemon_->line(10s);
    if (!address || address->empty())
        throw std::runtime_error("dbus-daemon did not print its address: " + daemon_->finish(1s).err);
    address_ = *address;
}

BusCluster::BusCluster(std::vector<std::string> options)
{
    std::vector<std::string> argv{CHU_BUS_CLUSTER, "--leader-bus", leader_.address(), "--secondary-bus", secondary_.address()};
    argv.insert(argv.end(), options.begin(), options.end());
    cluster_ = std::make_unique<Child>(Command{argv});
    auto ready = cluster_->line(10s);
    if (ready != "ready")
        throw std::runtime_error("chu-bus-cluster did not start: " + cluster_->finish(1s).err);
}

Observer::Observer(const std::string& address)
{
    setenv("DBUS_SYSTEM_BUS_ADDRESS", address.c_str(), 1);
    connection_ = sdbus::createSystemBusConnection();
    proxy_ = sdbus::createProxy(*connection_, bus::name, bus::object_path);
    proxy_->uponSignal("PropertiesChanged")
        .onInterface("org.freedesktop.DBus.Properties")
        .call([this](const std::string& interface, const Properties& changed, const std::vector<std::string>&) {
            if (interface != bus::name)
                return;
            changes_.push_back(changed);
            for (const auto& [name, value] : changed)
                properties_[name] = value;
        });
    proxy_->uponSignal("Completed").onInterface(bus::name).call([this](const std::string& outcome, const std::string& summary) {
        completions_.emplace_back(outcome, summary);
    });
    proxy_->finishRegistration();
    proxy_->callMethod("GetAll")
        .onInterface("org.freedesktop.DBus.Properties")
        .withArguments(std::string(bus::name))
        .storeResultsTo(properties_);
}

bool Observer::wait_for(const std::function<bool()>& condition, std::chrono::milliseconds timeout)
{
    const auto until = Clock::now() + timeout;
    for (;;) {
        while (connection_->processPendingRequest()) {
            if (condition())
                return true;
        }
        if (condition())
            return true;
        if (Clock::now() >= until)
            return false;
        const auto wait = connection_->getEventLoopPollData();
        pollfd fd{wait.fd, wait.events, 0};
        const int bus_ms = wait.getPollTimeout();
        poll(&fd, 1, bus_ms < 0 ? remaining_ms(until) : std::min(bus_ms, remaining_ms(until)));
    }
}

bool Observer::wait_for_state(const std::string& state, std::chrono::milliseconds timeout)
{
    return wait_for([&] { return get<std::string>("State") == state; }, timeout);
}

}  // namespace chu::bustest
