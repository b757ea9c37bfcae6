// decode_frame on arbitrary bytes: what a peer (or anyone reaching the port, without CURVE) can send.
// A frame it accepts re-encodes to a frame it accepts again, and from then on the bytes are stable.
#include "core/topology.hpp"
#include "core/wire.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view frame(reinterpret_cast<const char*>(data), size);
    auto decoded = chu::decode_frame(frame);
    if (!decoded) {
        CHU_FUZZ_CHECK(!decoded.error().message.empty());
        return 0;
    }
    CHU_FUZZ_CHECK(!decoded->from.empty());
    // Enumerations arrive in range: the daemon converts them without checking again.
    if (const auto* beat = std::get_if<chu::Beat>(&decoded->message)) {
        CHU_FUZZ_CHECK(beat->state <= static_cast<std::uint8_t>(chu::last_state));
        for (const auto& peer : beat->peers)
            CHU_FUZZ_CHECK(peer.role <= static_cast<std::uint8_t>(chu::Role::frontend) &&
                           peer.state <= static_cast<std::uint8_t>(chu::last_state));
    }
    const std::string once = chu::encode_frame(decoded.value());
    CHU_FUZZ_CHECK(once.size() <= size);  // flags normalise to 0/1, nothing else changes in size
    auto again = chu::decode_frame(once);
    CHU_FUZZ_CHECK(again);
    CHU_FUZZ_CHECK(again->message.index() == decoded->message.index());
    CHU_FUZZ_CHECK(chu::encode_frame(again.value()) == once);
    return 0;
}
