// The simulated network: drops, duplicates, reorders and delays; and the restarts of crashed nodes.
#include "network.hpp"

namespace chu::sim {

Network::Network(Random& random) : random_(random)
{
    drop_ = random_.chance(0.5) ? 0.0 : static_cast<double>(random_.pick(0, 20)) / 100;
    dup_ = static_cast<double>(random_.pick(0, 10)) / 100;
    max_delay_ = random_.ms(1, 300);
}

bool Network::send(const std::string& from, const Send& send, std::int64_t now)
{
    if (random_.chance(drop_))
        return false;
    const int copies = random_.chance(dup_) ? 2 : 1;
    const std::string frame = encode_frame(Envelope{from, send.message});
    for (int c = 0; c < copies; ++c)
        queue_.push(Delivery{now + random_.ms(1, static_cast<std::uint64_t>(max_delay_)), seq_++, send.to, frame});
    return true;
}

void Network::restart(const std::string& node, std::int64_t now)
{
    queue_.push(Delivery{now + random_.ms(100, 15000), seq_++, node, {}});
}

std::optional<Delivery> Network::take_due(std::int64_t now)
{
    if (queue_.empty() || queue_.top().at > now)
        return std::nullopt;
    Delivery d = queue_.top();
    queue_.pop();
    return d;
}

}  // namespace chu::sim
