#include "source_archive.hpp"

#include "digest.hpp"

#include <algorithm>

namespace chu {

void SourceArchive::on_pack(const Pack& pack)
{
    const StepRef ref{pack.phase, pack.step};
    const Step* step = find_step(setup_.plan, ref);
    if (!step || step->kind != StepKind::copy)
        return;  // not a copy step of this plan: a peer of another build, refused at join
    epoch_ = pack.epoch;
    if (ref == ref_ && !bytes_.empty()) {
        out_.send(setup_.topology.bootstrap().name, Packed{epoch_, ref.phase, ref.step, bytes_.size(), digest_, {}});
        return;
    }
    if (ref == ref_ && packing_)
        return;  // answered once it is packed
    ref_ = ref;
    bytes_.clear();
    digest_.clear();
    auto action = resolve_action(*step, setup_.config, setup_.plan, setup_.facts);
    if (!action) {
        out_.send(setup_.topology.bootstrap().name, Packed{epoch_, ref.phase, ref.step, 0, {}, action.error().message});
        return;
    }
    packing_ = true;
    out_.push(PackArchive{ref.phase, ref.step, step->id, action->dir});
}

void SourceArchive::on_archive(StepRef ref, const Result<std::string>& archive)
{
    if (!packing_ || ref != ref_)
        return;
    packing_ = false;
    if (!archive) {  // said to the leader, which asks again
        out_.send(setup_.topology.bootstrap().name, Packed{epoch_, ref.phase, ref.step, 0, {}, archive.error().message});
        return;
    }
    bytes_ = archive.value();
    digest_ = archive_digest(bytes_);
    out_.send(setup_.topology.bootstrap().name, Packed{epoch_, ref.phase, ref.step, bytes_.size(), digest_, {}});
}

void SourceArchive::on_fetch(const Fetch& fetch)
{
    if (StepRef{fetch.phase, fetch.step} != ref_ || bytes_.empty() || fetch.offset >= bytes_.size())
        return;
    const std::size_t n = std::min<std::size_t>(chunk_size, bytes_.size() - fetch.offset);
    out_.send(setup_.topology.bootstrap().name,
              Chunk{fetch.epoch, fetch.phase, fetch.step, fetch.offset, bytes_.substr(fetch.offset, n)});
}

}  // namespace chu
