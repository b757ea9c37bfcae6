// What a frontend does as the source of a copy step that copies from a frontend (add-on files Chef makes on
// one frontend, like manage's secrets.rb): packs the step's directory when the leader asks, says its size and
// digest, and serves it to the leader chunk by chunk; the leader relays it to every frontend.
#pragma once

#include "outbox.hpp"
#include "result.hpp"
#include "setup.hpp"

#include <string>

namespace chu {

class SourceArchive {
public:
    SourceArchive(const NodeSetup& setup, Outbox& out) : setup_(setup), out_(out) {}

    void on_pack(const Pack& pack);     // from the leader: re-sent until answered, answered each time
    void on_fetch(const Fetch& fetch);  // from the leader
    void on_archive(StepRef ref, const Result<std::string>& archive);

private:
    const NodeSetup& setup_;
    Outbox& out_;
    StepRef ref_{-1, -1};
    std::uint64_t epoch_ = 0;  // of the leader that asked
    bool packing_ = false;
    std::string bytes_;  // packed; empty: not (yet)
    std::string digest_;
};

}  // namespace chu
