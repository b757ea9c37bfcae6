// The simulated network between the nodes: each run's network drops, duplicates, reorders and delays frames
// (encoded and decoded, as on the wire). A crashed node's restart comes as a delivery to it too.
#pragma once

#include "core/effects.hpp"
#include "random.hpp"

#include <cstdint>
#include <optional>
#include <queue>
#include <string>
#include <vector>

namespace chu::sim {

struct Delivery {
    std::int64_t at = 0;
    std::uint64_t seq = 0;  // what is due at one instant comes in the order it was sent
    std::string to;
    std::string frame;  // empty: the node restarts
    bool operator>(const Delivery& o) const { return at != o.at ? at > o.at : seq > o.seq; }
};

class Network {
public:
    explicit Network(Random& random);  // draws how lossy and slow this run's network is
    // False: the message was lost. Otherwise it arrives once or twice, each copy after its own delay, so
    // that messages overtake each other.
    bool send(const std::string& from, const Send& send, std::int64_t now);
    // A crashed node boots again from its journal after 0.1 to 15 s.
    void restart(const std::string& node, std::int64_t now);
    std::int64_t next_at() const { return queue_.empty() ? never : queue_.top().at; }
    std::optional<Delivery> take_due(std::int64_t now);

private:
    Random& random_;
    double drop_ = 0, dup_ = 0;
    std::int64_t max_delay_ = 1;
    std::uint64_t seq_ = 0;
    std::priority_queue<Delivery, std::vector<Delivery>, std::greater<Delivery>> queue_;
};

}  // namespace chu::sim
