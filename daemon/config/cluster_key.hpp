// The key every daemon of a cluster shares, which CURVE uses to encrypt and authenticate peer traffic. It is
// derived from a file every node of a Chef HA cluster already has (private-chef-secrets.json, or
// [cluster] key_file), and kept in the state dir once the cluster has joined, so that the upgrade rewriting
// the secrets file mid-run does not change it.
#pragma once

#include "core/config.hpp"
#include "core/result.hpp"

#include <array>
#include <string>

namespace chu {

struct ClusterKey {
    std::array<unsigned char, 32> seed{};  // what is kept; the key pair follows from it
    std::array<unsigned char, 32> public_key{};
    std::array<unsigned char, 32> secret_key{};
    std::string id;      // a short digest naming the key in Presence and the journal; reveals nothing of it
    std::string source;  // the file it came from, for messages
};

// The kept key (<state_dir>/cluster.key) if there is one, else the key derived from key_file or
// <opscode_dir>/private-chef-secrets.json.
Result<ClusterKey> load_cluster_key(const Config& config);

// Keeps `key` in <state_dir>/cluster.key (0600, atomically) unless a key is already kept there.
Status keep_cluster_key(const Config& config, const ClusterKey& key);

}  // namespace chu
