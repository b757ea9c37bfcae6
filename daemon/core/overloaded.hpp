// std::visit with one handler per alternative: a record or message type added to its variant without a
// handler here does not compile, so nothing new is ignored by accident.
#pragma once

namespace chu {

template <class... F>
struct Overloaded : F... {
    using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

}  // namespace chu
