// How libtorch holds autograd graph nodes: by c10::intrusive_ptr from 2.13, by std::shared_ptr
// before (the GPU machines' Python torch is 2.11). Told from Node's base class rather than the
// version number, so that every file making nodes of its own builds against either.
#pragma once

#include <c10/util/intrusive_ptr.h>
#include <torch/csrc/autograd/function.h>

#include <memory>
#include <type_traits>
#include <utility>

namespace tn {

inline constexpr bool kIntrusiveNodes = std::is_base_of_v<c10::intrusive_ptr_target, torch::autograd::Node>;

// The owning pointer to a node of type N, as libtorch's edges and grad_fn hold it.
template <typename N>
using NodeRef = std::conditional_t<kIntrusiveNodes, c10::intrusive_ptr<N>, std::shared_ptr<N>>;

template <typename N, typename... A>
NodeRef<N> makeNode(A&&... args) {
  if constexpr (kIntrusiveNodes) {
    return c10::make_intrusive<N>(std::forward<A>(args)...);
  } else {
    return std::make_shared<N>(std::forward<A>(args)...);
  }
}

}  // namespace tn
