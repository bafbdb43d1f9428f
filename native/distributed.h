// Distributed training over c10d, shared by distributed.cpp (store, process group,
// collectives), dist_backends.cpp (the Gloo and NCCL backends) and ddp.cpp (DDP's Reducer).
//
// Everything here exists only when the addon was built with TORCH_NODE_DISTRIBUTED (gloo's
// headers found; see CMakeLists.txt). Otherwise the addon exports `distInfo` alone, which says
// what was missing.
#pragma once
#include <napi.h>

namespace tn {

void registerDistributed(Napi::Env env, Napi::Object exports);
void registerDdp(Napi::Env env, Napi::Object exports);

}  // namespace tn

#ifdef TORCH_NODE_DISTRIBUTED
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>

#include <chrono>
#include <string>

namespace tn::dist {

// The process group that initProcessGroup made on this JavaScript thread; throws OpError when
// there is none.
const c10::intrusive_ptr<c10d::ProcessGroup>& processGroup();

// Called by destroyProcessGroup before the group goes: DDP's reducers hold it.
void releaseReducers();

// The backends (dist_backends.cpp, the only translation unit that sees gloo's and NCCL's
// headers). `host` is the address of the rank-0 store; for a loopback address Gloo binds to
// loopback too, otherwise to this machine's hostname (or GLOO_SOCKET_IFNAME's interfaces).
c10::intrusive_ptr<c10d::Backend> makeGloo(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                                           std::chrono::milliseconds timeout, const std::string& host);
c10::intrusive_ptr<c10d::Backend> makeNccl(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                                           std::chrono::milliseconds timeout);
bool ncclCompiled();

}  // namespace tn::dist
#endif
