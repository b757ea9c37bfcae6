// What the D-Bus tests stand on: child processes on pipes, a private dbus-daemon configured like the
// system bus with the project's policy, and an observer that records what the bus announces. Everything
// is torn down by its destructor, also when a test fails; nothing sleeps: waits are on pipes and on the
// bus, each with a deadline.
#pragma once

#include "support/temp_dir.hpp"

#include <sdbus-c++/sdbus-c++.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace chu::bustest {

using namespace std::chrono_literals;
using Properties = std::map<std::string, sdbus::Variant>;
using test::TempDir;

struct Command {
    std::vector<std::string> argv;
    std::string bus = "";  // DBUS_SYSTEM_BUS_ADDRESS for the child; "" keeps the test's environment
    bool as_nobody = false;
};

struct Ran {
    int status = -1;  // exit status; -1 when killed at the deadline
    std::string out, err;
};

// A child with stdin on /dev/null and stdout and stderr on pipes; SIGTERM (SIGKILL at the deadline) and
// reaped when destroyed.
class Child {
public:
    explicit Child(const Command& command);
    ~Child();
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    // The next line on stdout; nullopt at its end or when `timeout` passes.
    std::optional<std::string> line(std::chrono::milliseconds timeout);
    // Waits for the child to exit, reading its output; kills it if `timeout` passes first.
    Ran finish(std::chrono::milliseconds timeout);

private:
    bool read_some(std::chrono::steady_clock::time_point until);  // false at the deadline or end of both pipes

    pid_t pid_ = -1;
    int out_ = -1, err_ = -1;
    std::string out_buffer_, err_buffer_;
};

Ran run(const Command& command, std::chrono::milliseconds timeout = 60s);

// dbus-daemon on a unix socket in its own directory, with the system bus's default policy and the
// project's policy file included.
class PrivateBus {
public:
    PrivateBus();
    const std::string& address() const { return address_; }

private:
    TempDir dir_{"chu-bus-test", 0755};  // an unprivileged caller must reach the bus socket
    std::unique_ptr<Child> daemon_;
    std::string address_;
};

// The fixture cluster (chu-bus-cluster) with its leader and secondary on their own buses.
class BusCluster {
public:
    explicit BusCluster(std::vector<std::string> options = {});
    const std::string& leader_bus() const { return leader_.address(); }
    const std::string& secondary_bus() const { return secondary_.address(); }

private:
    PrivateBus leader_, secondary_;
    std::unique_ptr<Child> cluster_;
};

// A subscriber to net.chefhaupgrade.Upgrade1 on one bus: the properties as they are now (GetAll, then
// every PropertiesChanged merged in), every change as announced, every Completed signal.
class Observer {
public:
    explicit Observer(const std::string& address);

    // Processes the bus until `condition` holds; false when `timeout` passed first.
    bool wait_for(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 60s);
    bool wait_for_state(const std::string& state, std::chrono::milliseconds timeout = 60s);

    const Properties& properties() const { return properties_; }
    template <class T>
    T get(const std::string& name) const
    {
        return properties_.at(name).get<T>();
    }
    const std::vector<Properties>& changes() const { return changes_; }
    const std::vector<std::pair<std::string, std::string>>& completions() const { return completions_; }

private:
    std::unique_ptr<sdbus::IConnection> connection_;
    std::unique_ptr<sdbus::IProxy> proxy_;
    Properties properties_;
    std::vector<Properties> changes_;
    std::vector<std::pair<std::string, std::string>> completions_;
};

// chef-ha-upgrade-ctl ARGS against `bus`.
Ran ctl(const std::string& bus, std::vector<std::string> args, bool as_nobody = false);

}  // namespace chu::bustest
