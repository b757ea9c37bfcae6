#include "digest.hpp"

#include <sodium.h>

#include <cstring>
#include <stdexcept>

namespace chu {

static_assert(sizeof(crypto_hash_sha256_state) <= 256, "Sha256 state buffer too small");

namespace {
std::string to_hex(const unsigned char* bytes, std::size_t n)
{
    static const char digits[] = "0123456789abcdef";
    std::string out(n * 2, '0');
    for (std::size_t i = 0; i < n; ++i) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    return out;
}
}  // namespace

std::string sha256_hex(std::string_view data)
{
    Sha256 h;
    h.update(data);
    return h.hex();
}

Sha256::Sha256()
{
    crypto_hash_sha256_init(reinterpret_cast<crypto_hash_sha256_state*>(state_));
}

void Sha256::update(std::string_view data)
{
    crypto_hash_sha256_update(reinterpret_cast<crypto_hash_sha256_state*>(state_),
                              reinterpret_cast<const unsigned char*>(data.data()), data.size());
}

std::string Sha256::hex()
{
    unsigned char out[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(reinterpret_cast<crypto_hash_sha256_state*>(state_), out);
    return to_hex(out, sizeof out);
}

std::string archive_digest(std::string_view archive)
{
    unsigned char out[32];
    crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(archive.data()), archive.size(), nullptr, 0);
    return to_hex(out, sizeof out);
}

std::uint64_t checksum64(std::string_view data)
{
    unsigned char out[8];
    crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(data.data()), data.size(), nullptr, 0);
    std::uint64_t v = 0;
    std::memcpy(&v, out, sizeof v);
    return v;
}

}  // namespace chu
