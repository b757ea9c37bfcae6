// chu-bus-cluster: a three-node cluster in one process for the D-Bus tests. Real cores (bootstrap leader,
// secondary, one frontend; the chef-server-12 plan) wired to each other in memory, every step finishing
// after a short timer, all on one sd-event loop; the leader's and the secondary's BusService each on the
// private bus the test gives it. Prints "ready" when both are on their buses; stops on SIGTERM.
//
//   chu-bus-cluster --leader-bus ADDRESS --secondary-bus ADDRESS [--step-ms N] [--no-auto-start]
//                   [--fail-once STEP]... [--disagree-once]
// --fail-once STEP: the first run of STEP fails. --disagree-once: fe1 reads another migration level the
// first time, so the nodes disagree.
#include "bus/bus_service.hpp"
#include "config/plan_file.hpp"
#include "core/carry.hpp"

#include <systemd/sd-event.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>

using namespace chu;

namespace {

const char* const topology_text = R"(topology "ha"
server "be1.example.com", :ipaddress => "192.0.2.1", :role => "backend", :bootstrap => true
server "be2.example.com", :ipaddress => "192.0.2.2", :role => "backend"
server "fe1.example.com", :ipaddress => "192.0.2.3", :role => "frontend"
)";

std::int64_t now_ms()
{
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

template <class T>
T must(Result<T> r)
{
    if (!r)
        throw std::runtime_error(r.error().message);
    return std::move(r.value());
}

void check(int r, const char* what)
{
    if (r < 0)
        throw std::runtime_error(std::string(what) + ": " + std::strerror(-r));
}

struct Options {
    std::string leader_bus, secondary_bus;
    unsigned step_ms = 20;
    bool auto_start = true;
    std::set<std::string> fail_once;  // step ids whose first run fails
    bool disagree_once = false;
};

class Cluster {
public:
    Cluster(sd_event* event, Options options) : event_(event), options_(std::move(options))
    {
        Config config;
        config.cluster.heartbeat_ms = 50;
        config.cluster.peer_timeout_ms = 2000;
        config.upgrade.auto_start = options_.auto_start;
        config.upgrade.package = "/srv/chef-server-core_12.19.31-1_amd64.deb";
        config.commands.retries = 0;  // a --fail-once step pauses the cluster at once, whatever its retry policy
        const Plan plan = must(effective_plan(must(load_plan(CHU_SOURCE_DIR "/conf/plans/chef-server-12.plan", "")), config));
        for (const char* name : {"be1.example.com", "be2.example.com", "fe1.example.com"}) {
            const NodeSetup s = make_setup(must(parse_topology(topology_text, "private-chef.rb")), plan, config, name,
                                           NodeFacts{"/usr/bin/private-chef-ctl", config.upgrade.package, PackageFormat::deb},
                                           "package", "key", "test");
            Member& m = members_[name];
            m.name = name;
            m.setup = s;
            m.core = std::make_unique<Node>(s);
            check(sd_event_add_time(event_, &m.tick, CLOCK_REALTIME, 0, 1000, on_tick, &m), "tick timer");
            m.cluster = this;
        }
        check(sd_event_add_defer(event_, &post_, on_post, this), "post office");
        check(sd_event_source_set_enabled(post_, SD_EVENT_OFF), "post office");
        serve("be1.example.com", options_.leader_bus);
        serve("be2.example.com", options_.secondary_bus);
    }

    ~Cluster()
    {
        for (auto& [name, m] : members_)
            sd_event_source_disable_unref(m.tick);
        sd_event_source_disable_unref(post_);
    }

    void boot()
    {
        for (auto& [name, m] : members_)
            if (!m.core->boot({}, now_ms()))
                throw std::runtime_error("an empty journal refused");
        pump();
    }

private:
    // A node: its core, and the ports its effects go through (nothing is journaled here).
    struct Member final : Ports {
        Cluster* cluster = nullptr;
        std::string name;
        NodeSetup setup;
        std::unique_ptr<Node> core;
        std::unique_ptr<BusService> bus;
        sd_event_source* tick = nullptr;

        bool write(const std::vector<Record>&) override { return true; }
        bool underway() override { return true; }
        void send(Send& send) override { cluster->mail_.push_back({send.to, Envelope{name, std::move(send.message)}}); }
        void run(RunStep& run) override { cluster->run_step(name, *this, run); }
        void interrupt(const Interrupt&) override {}  // steps here end on their timer
        void pack(const PackArchive& pack) override
        {
            core->on_archive(pack.phase, pack.step, std::string("a tar of ") + pack.dir, now_ms());
        }
        void log(const Log& log) override
        {
            std::fprintf(stderr, "%s: %s%s%s\n", name.c_str(), log.step.c_str(), log.step.empty() ? "" : ": ", log.text.c_str());
        }
        void answer(const Answer& answer) override
        {
            if (bus)
                bus->answer(answer);
        }
        void completed(const Completed& completed) override
        {
            if (bus)  // every node says it; only some have a bus here
                bus->completed(completed);
        }
        void notify(const Notify& notify) override
        {
            if (bus)
                bus->event(notify.event);
        }
        void stop(const Stop&) override {}  // no node is dropped here
        void halt(const Halt& halt) override { throw std::runtime_error(name + ": " + halt.reason); }
    };
    struct Mail {
        std::string to;
        Envelope envelope;
    };
    struct StepTimer {
        Cluster* cluster;
        std::string node;
        StepResult result;
    };

    void serve(const std::string& name, const std::string& address)
    {
        setenv("DBUS_SYSTEM_BUS_ADDRESS", address.c_str(), 1);  // read when the BusService connects
        Member& m = members_.at(name);
        m.bus = std::make_unique<BusService>(
            event_, *m.core, m.setup,
            [this, &m](const Command& call) {
                m.core->on_operator(call, now_ms());
                pump();
            },
            [name](const std::string& warning) { std::fprintf(stderr, "%s: %s\n", name.c_str(), warning.c_str()); });
    }

    // Carries out every core's effects; messages travel on a later loop iteration, as over a network, so
    // that a forwarded call is answered asynchronously.
    void pump()
    {
        for (auto& [name, m] : members_)
            carry(*m.core, m);
        const std::int64_t now = now_ms();
        for (auto& [name, m] : members_) {
            sd_event_source_set_time(m.tick, static_cast<std::uint64_t>(m.core->next_deadline()) * 1000);
            sd_event_source_set_enabled(m.tick, SD_EVENT_ONESHOT);
            if (m.bus)
                m.bus->publish(m.core->status(now), now);
        }
        sd_event_source_set_enabled(post_, mail_.empty() ? SD_EVENT_OFF : SD_EVENT_ONESHOT);
    }

    void run_step(const std::string& name, Member& m, const RunStep& run)
    {
        const Step& step = m.setup.plan.phases[static_cast<std::size_t>(run.phase)].steps[static_cast<std::size_t>(run.step)];
        StepResult result{run.phase, run.step, run.round, run.attempt, {Outcome::ok, 0, {}, "done"}};
        if (options_.fail_once.erase(step.id)) {
            result.end.outcome = Outcome::failed;
            result.end.exit_code = 1;
            result.end.detail = "simulated failure of " + step.id + " on " + name;
        } else if (run.action.check == Check::keepalived_status || run.action.check == Check::keepalived_master) {
            result.end.value = m.setup.topology.find(name)->role == Role::bootstrap ? "master" : "backup";
        } else if (run.action.check == Check::migration_level) {
            const bool odd = options_.disagree_once && name == "fe1.example.com";
            options_.disagree_once = options_.disagree_once && !odd;
            result.end.value = odd ? "0.9" : "1";
        }
        auto* timer = new StepTimer{this, name, result};
        sd_event_source* source = nullptr;
        check(sd_event_add_time_relative(event_, &source, CLOCK_MONOTONIC, options_.step_ms * 1000ull, 1000, on_step_done, timer),
              "step timer");
        sd_event_source_set_destroy_callback(source, [](void* p) { delete static_cast<StepTimer*>(p); });
    }

    static int on_step_done(sd_event_source* source, std::uint64_t, void* p)
    {
        auto* t = static_cast<StepTimer*>(p);
        Cluster* c = t->cluster;
        c->members_.at(t->node).core->on_step_finished(t->result, now_ms());
        sd_event_source_disable_unref(source);  // frees t
        c->pump();
        return 0;
    }

    static int on_tick(sd_event_source*, std::uint64_t, void* p)
    {
        auto* m = static_cast<Member*>(p);
        m->core->on_tick(now_ms());
        m->cluster->pump();
        return 0;
    }

    static int on_post(sd_event_source*, void* p)
    {
        auto* c = static_cast<Cluster*>(p);
        std::deque<Mail> mail;
        mail.swap(c->mail_);
        for (const auto& letter : mail)
            c->members_.at(letter.to).core->on_message(letter.envelope, now_ms());
        c->pump();
        return 0;
    }

    sd_event* event_;
    Options options_;
    std::map<std::string, Member> members_;
    std::deque<Mail> mail_;
    sd_event_source* post_ = nullptr;
};

Options parse(int argc, char** argv)
{
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool has_value = i + 1 < argc;
        if (a == "--leader-bus" && has_value)
            o.leader_bus = argv[++i];
        else if (a == "--secondary-bus" && has_value)
            o.secondary_bus = argv[++i];
        else if (a == "--step-ms" && has_value)
            o.step_ms = static_cast<unsigned>(std::stoul(argv[++i]));
        else if (a == "--fail-once" && has_value)
            o.fail_once.insert(argv[++i]);
        else if (a == "--no-auto-start")
            o.auto_start = false;
        else if (a == "--disagree-once")
            o.disagree_once = true;
        else
            throw std::runtime_error("unexpected argument " + a);
    }
    if (o.leader_bus.empty() || o.secondary_bus.empty())
        throw std::runtime_error("--leader-bus and --secondary-bus are needed");
    return o;
}

}  // namespace

int main(int argc, char** argv)
{
    try {
        const Options options = parse(argc, argv);
        sd_event* event = nullptr;
        check(sd_event_default(&event), "sd-event");
        sigset_t stop;
        sigemptyset(&stop);
        sigaddset(&stop, SIGTERM);
        sigaddset(&stop, SIGINT);
        sigprocmask(SIG_BLOCK, &stop, nullptr);
        check(sd_event_add_signal(event, nullptr, SIGTERM, nullptr, nullptr), "SIGTERM");
        check(sd_event_add_signal(event, nullptr, SIGINT, nullptr, nullptr), "SIGINT");
        int r = 0;
        {
            Cluster cluster(event, options);
            cluster.boot();
            std::printf("ready\n");
            std::fflush(stdout);
            r = sd_event_loop(event);
        }
        sd_event_unref(event);
        return r < 0 ? 1 : 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "chu-bus-cluster: %s\n", e.what());
        return 1;
    }
}
