// The peer mesh on loopback: two nodes' meshes on one sd-event loop, as two daemons would run them.
#include "mesh/mesh.hpp"

#include <catch2/catch.hpp>

#include <systemd/sd-event.h>
#include <unistd.h>

#include <chrono>

using namespace chu;

namespace {

const char* const topology_text = R"(topology "ha"
server "be1.example.com", :ipaddress => "127.0.0.1", :role => "backend", :bootstrap => true
server "be2.example.com", :ipaddress => "127.0.0.2", :role => "backend"
server "fe1.example.com", :ipaddress => "127.0.0.3", :role => "frontend"
)";

// Runs the loop until `done` holds (bounded).
template <class F>
bool run_until(sd_event* event, F done)
{
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done() && std::chrono::steady_clock::now() < until)
        sd_event_run(event, 10'000);
    return done();
}

std::string hello_frame(std::uint64_t n)
{
    Presence h;
    h.epoch = n;  // numbers the messages
    return encode_frame(Envelope{"be2.example.com", h});
}

}  // namespace

TEST_CASE("a burst of messages reaches the daemon in order, in a few batches rather than one by one", "[mesh]")
{
    auto topology = parse_topology(topology_text, "private-chef.rb");
    REQUIRE(topology);
    sd_event* event = nullptr;
    REQUIRE(sd_event_new(&event) >= 0);
    Logger log("test");
    Mesh::Options options;
    options.port = static_cast<std::uint16_t>(20000 + getpid() % 20000);  // tests run side by side
    std::vector<std::uint64_t> received;
    std::size_t batches = 0;
    {
        Mesh leader(event, log, topology.value(), "be1.example.com", options, [&](const std::vector<Envelope>& batch) {
            ++batches;
            for (const auto& e : batch)
                received.push_back(std::get<Presence>(e.message).epoch);
        });
        Mesh follower(event, log, topology.value(), "be2.example.com", options, [](const std::vector<Envelope>&) {});
        REQUIRE(leader.listen());
        REQUIRE(follower.listen());
        // Until connected, sends are dropped (the core re-sends): knock until one gets through.
        REQUIRE(run_until(event, [&] {
            follower.send("be1.example.com", hello_frame(0));
            return !received.empty();
        }));
        const auto settled = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
        run_until(event, [&] { return std::chrono::steady_clock::now() >= settled; });  // the last knocks arrive
        received.clear();
        batches = 0;

        constexpr std::uint64_t burst = 200;
        for (std::uint64_t n = 1; n <= burst; ++n)  // the leader's loop is busy meanwhile (an fsync, say)
            follower.send("be1.example.com", hello_frame(n));
        REQUIRE(run_until(event, [&] { return received.size() == burst; }));
        for (std::uint64_t n = 1; n <= burst; ++n)
            CHECK(received[n - 1] == n);
        CHECK(batches < burst / 4);
    }
    sd_event_unref(event);
}
