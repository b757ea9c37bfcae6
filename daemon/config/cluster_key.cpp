#include "config/cluster_key.hpp"

#include "config/text_file.hpp"
#include "posix/posix.hpp"
#include "core/digest.hpp"

#include <sodium.h>
#include <unistd.h>

#include <cstring>

namespace chu {

namespace {

std::string kept_path(const Config& config)
{
    return config.paths.state_dir + "/cluster.key";
}

ClusterKey from_seed(const unsigned char (&seed)[32], std::string source)
{
    ClusterKey key;
    std::memcpy(key.seed.data(), seed, sizeof seed);
    crypto_box_seed_keypair(key.public_key.data(), key.secret_key.data(), seed);
    key.id = sha256_hex("chef-ha-upgrade key id\n" + std::string(reinterpret_cast<const char*>(seed), sizeof seed)).substr(0, 16);
    key.source = std::move(source);
    return key;
}

}  // namespace

Result<ClusterKey> load_cluster_key(const Config& config)
{
    if (sodium_init() < 0)
        return Error{"libsodium failed to initialise"};
    unsigned char seed[32];
    const std::string kept = kept_path(config);
    if (access(kept.c_str(), F_OK) == 0) {
        auto text = read_text_file(kept);
        if (!text)
            return text.error();
        std::size_t len = 0;
        if (sodium_hex2bin(seed, sizeof seed, text->data(), text->size(), " \n", &len, nullptr) != 0 || len != sizeof seed)
            return Error{kept + ": not a cluster key (64 hex digits); remove it to derive the key again from " +
                         (config.cluster.key_file.empty() ? config.paths.opscode_dir + "/private-chef-secrets.json"
                                                          : config.cluster.key_file)};
        return from_seed(seed, kept);
    }
    const std::string source =
        config.cluster.key_file.empty() ? config.paths.opscode_dir + "/private-chef-secrets.json" : config.cluster.key_file;
    auto secret = read_text_file(source);
    if (!secret)
        return Error{secret.error().message +
                     " (the cluster key comes from it; set [cluster] key_file, or insecure = yes for tests)"};
    if (secret->empty())
        return Error{source + " is empty: the cluster key cannot come from it; set [cluster] key_file"};
    static const char context[] = "chef-ha-upgrade cluster key v1\n";
    crypto_generichash_state state;
    crypto_generichash_init(&state, nullptr, 0, sizeof seed);
    crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(context), sizeof context - 1);
    crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(secret->data()), secret->size());
    crypto_generichash_final(&state, seed, sizeof seed);
    return from_seed(seed, source);
}

Status keep_cluster_key(const Config& config, const ClusterKey& key)
{
    const std::string kept = kept_path(config);
    if (access(kept.c_str(), F_OK) == 0)
        return Ok{};
    char hex[2 * 32 + 1];
    sodium_bin2hex(hex, sizeof hex, key.seed.data(), key.seed.size());
    const std::string text = std::string(hex) + "\n";
    sodium_memzero(hex, sizeof hex);
    if (auto written = write_file_atomic(kept, text, 0600); !written)
        return Error{"cannot keep the cluster key: " + written.error().message +
                     "; the key would change when the upgrade rewrites " + key.source + ": free the state directory's disk"};
    return Ok{};
}

}  // namespace chu
