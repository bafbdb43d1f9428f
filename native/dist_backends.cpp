// The c10d backends: Gloo (CPU tensors, and CUDA tensors on a CUDA libtorch) and, in a CUDA
// build that found NCCL's and CUDA's headers, NCCL.
//
// This is the only translation unit that includes gloo's headers. They come from Debian's
// libgloo-dev, an older gloo than the one libtorch_cpu carries, and some gloo types differ in
// layout between the two. So this code stays on c10d's API: it makes the options and the
// transport device with c10d's own functions and hands them to ProcessGroupGloo; it never
// reads a gloo object's fields, subclasses a gloo class or makes a gloo object itself, and
// nothing links Debian's libgloo.
#ifdef TORCH_NODE_DISTRIBUTED
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#ifdef TORCH_NODE_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <cstdlib>
#include <string>

#include "distributed.h"
#include "errors.h"

namespace tn::dist {

namespace {

bool isLoopback(const std::string& host) { return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1"; }

}  // namespace

c10::intrusive_ptr<c10d::Backend> makeGloo(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                                           std::chrono::milliseconds timeout, const std::string& host) {
  const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
  c10::intrusive_ptr<c10d::ProcessGroupGloo::Options> options;
  if ((ifname == nullptr || *ifname == '\0') && isLoopback(host)) {
    // Every rank is on this machine: talk over loopback, whatever the hostname resolves to.
    options = c10d::ProcessGroupGloo::Options::create(timeout);
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
  } else {
    // c10d's own choice, as PyTorch makes it: GLOO_SOCKET_IFNAME's interfaces, else the
    // address this machine's hostname resolves to.
    options = c10d::ProcessGroupGloo::Options::create_default(timeout);
  }
  options->threads = static_cast<int>(options->devices.size()) * 2;
  return c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, size, options);
}

#ifdef TORCH_NODE_NCCL
c10::intrusive_ptr<c10d::Backend> makeNccl(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                                           std::chrono::milliseconds timeout) {
  auto options = c10d::ProcessGroupNCCL::Options::create();
  options->timeout = timeout;
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, size, options);
}

bool ncclCompiled() { return true; }
#else
c10::intrusive_ptr<c10d::Backend> makeNccl(const c10::intrusive_ptr<c10d::Store>&, int, int,
                                           std::chrono::milliseconds) {
  throw OpError(
      "backend 'nccl' is not available in this build: it needs a CUDA libtorch and, when the addon is built, "
      "NCCL's header (nccl.h, from the nvidia-nccl wheel or NCCL_INCLUDE_DIR) and the CUDA headers "
      "(see the README: \"Distributed training\"); use backend 'gloo'");
}

bool ncclCompiled() { return false; }
#endif

}  // namespace tn::dist

#endif
