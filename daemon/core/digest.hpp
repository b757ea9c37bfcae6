// Hashes the core needs: SHA-256 for agreement and packages, BLAKE2b for a copy's archive, a short
// checksum for records.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace chu {

std::string sha256_hex(std::string_view data);

// BLAKE2b-256 (hex) of a copy step's archive, hashed by every receiving node: libsodium's BLAKE2b runs at
// two to three times its SHA-256 (which uses no SHA instructions), and the copy is CPU-bound.
std::string archive_digest(std::string_view archive);

// Incremental SHA-256 for data read in pieces (a package).
class Sha256 {
public:
    Sha256();
    void update(std::string_view data);
    std::string hex();

private:
    alignas(64) unsigned char state_[256];
};

// 64-bit checksum of a journal record or wire frame (BLAKE2b-64): catches torn and corrupted data.
std::uint64_t checksum64(std::string_view data);

}  // namespace chu
