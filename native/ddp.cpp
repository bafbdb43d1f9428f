// DistributedDataParallel's engine: c10d's own Reducer, the one PyTorch's DDP drives.
//
// The Reducer registers a hook on each parameter's gradient accumulator. During backward, as
// gradients become ready, it copies them into flat buckets and starts an asynchronous
// all-reduce per full bucket, so communication overlaps the rest of the backward pass; at the
// end of backward it waits for the buckets and writes the averaged gradients back into
// `param.grad`. lib/engine/model/wrappers/distributed.ts calls prepareForward/prepareBackward
// around each forward, as PyTorch's DistributedDataParallel.forward does, and skips them under
// noSync so that gradients accumulate locally.
#include "distributed.h"

#ifdef TORCH_NODE_DISTRIBUTED
#include <torch/csrc/distributed/c10d/comm.hpp>
#include <torch/csrc/distributed/c10d/reducer.hpp>

#include <algorithm>
#include <limits>
#include <memory>
#include <unordered_map>

#include "args.h"
#endif

namespace tn {

#ifndef TORCH_NODE_DISTRIBUTED

void registerDdp(Napi::Env, Napi::Object) {}

#else

namespace {

struct ReducerTable {
  std::unordered_map<int32_t, std::unique_ptr<c10d::Reducer> > reducers;
  int32_t next = 0;
};
thread_local ReducerTable reducerTable;

c10d::Reducer& reducerAt(const Args& a) {
  const auto it = reducerTable.reducers.find(static_cast<int32_t>(a.int64(0, "reducer")));
  if (it == reducerTable.reducers.end()) {
    throw OpError("this DistributedDataParallel was disposed (or its process group destroyed)");
  }
  return *it->second;
}

// ddpNew(params[], names[], bucketCapBytes, firstBucketBytes, findUnusedParameters,
// gradientAsBucketView): checks that every rank has the same parameters (count, shapes, dtypes),
// assigns them to buckets and makes the Reducer. Buckets start as PyTorch's do: one bucket of
// everything (or size-capped ones with findUnusedParameters), rebuilt after the first backward
// in the order the gradients arrived.
Napi::Value ddpNew(const Napi::CallbackInfo& info) {
  const Args a(info, "DistributedDataParallel");
  return run(a, [&]() -> Napi::Value {
    const auto& pg = dist::processGroup();
    std::vector<at::Tensor> params = a.tensorList(0, "params");
    const auto names = a.info()[1].As<Napi::Array>();
    const int64_t cap = a.int64(2, "bucketCapBytes");
    const int64_t first = a.int64(3, "firstBucketBytes");
    const bool findUnused = a.boolean(4, "findUnusedParameters");
    const bool asView = a.boolean(5, "gradientAsBucketView");
    if (params.empty()) throw OpError("the module has no parameter that requires grad");
    std::unordered_map<size_t, std::string> paramNames;
    for (size_t i = 0; i < params.size(); i++) {
      if (!params[i].requires_grad()) throw OpError("parameter " + std::to_string(i) + " does not require grad");
      paramNames[i] = names.Get(static_cast<uint32_t>(i)).As<Napi::String>().Utf8Value();
    }
    c10d::verify_params_across_processes(pg, params, std::nullopt);

    const std::vector<size_t> limits = findUnused && first < cap
                                           ? std::vector<size_t>{static_cast<size_t>(first), static_cast<size_t>(cap)}
                                       : findUnused ? std::vector<size_t>{static_cast<size_t>(cap)}
                                                    : std::vector<size_t>{std::numeric_limits<size_t>::max()};
    const std::vector<bool> sparse(params.size(), false);
    auto [buckets, perBucketLimits] = c10d::compute_bucket_assignment_by_size(params, limits, sparse);
    // Gradients arrive roughly in reverse order of the parameters' definition.
    std::reverse(buckets.begin(), buckets.end());

    auto reducer = std::make_unique<c10d::Reducer>(params, std::move(buckets), pg, sparse, cap, findUnused, asView,
                                                   std::move(paramNames), first, /*skip_all_reduce_unused=*/false,
                                                   /*use_python_reducer=*/false, std::vector<int64_t>{});
    const int32_t id = reducerTable.next++;
    reducerTable.reducers.emplace(id, std::move(reducer));
    return Napi::Number::New(a.env(), id);
  });
}

Napi::Value ddpFree(const Napi::CallbackInfo& info) {
  const Args a(info, "DistributedDataParallel.dispose");
  return run(a, [&]() -> Napi::Value {
    reducerTable.reducers.erase(static_cast<int32_t>(a.int64(0, "reducer")));
    return a.none();
  });
}

// Before a forward pass that will be back-propagated with synchronisation: starts the
// iteration's bookkeeping and, once, rebuilds the buckets (a broadcast of the bucket order from
// rank 0). Returns whether the buckets were rebuilt.
Napi::Value ddpPrepareForward(const Napi::CallbackInfo& info) {
  const Args a(info, "DistributedDataParallel.forward");
  return run(a, [&]() -> Napi::Value {
    c10d::Reducer& r = reducerAt(a);
    r.prepare_for_forward();
    return Napi::Boolean::New(a.env(), r.rebuild_buckets());
  });
}

// After that forward: arms the gradient hooks. With findUnusedParameters, `outputs` are searched
// for parameters that the backward pass will not reach, which are then marked ready at once.
Napi::Value ddpPrepareBackward(const Napi::CallbackInfo& info) {
  const Args a(info, "DistributedDataParallel.forward");
  return run(a, [&]() -> Napi::Value {
    c10d::Reducer& r = reducerAt(a);
    r.prepare_for_backward(a.has(1) ? a.tensorList(1, "outputs") : std::vector<at::Tensor>{});
    return a.none();
  });
}

// The number of parameters in each bucket, in the order the buckets are reduced.
Napi::Value ddpBuckets(const Napi::CallbackInfo& info) {
  const Args a(info, "Reducer.bucketSizes");
  return run(a, [&]() -> Napi::Value {
    const auto buckets = reducerAt(a).get_grad_buckets(/*return_zero_tensors=*/true);
    auto out = Napi::Array::New(a.env(), buckets.size());
    for (uint32_t k = 0; k < buckets.size(); k++) {
      out[k] = Napi::Number::New(a.env(), static_cast<double>(buckets[k].getParameters().size()));
    }
    return out;
  });
}

// distBroadcastCoalesced(tensors[], bufferBytes, src): overwrites every rank's tensors with rank
// src's, packing them into flat buffers of at most bufferBytes (DDP's parameter and buffer sync).
Napi::Value distBroadcastCoalesced(const Napi::CallbackInfo& info) {
  const Args a(info, "broadcastCoalesced");
  return run(a, [&]() -> Napi::Value {
    std::vector<at::Tensor> tensors;
    for (const at::Tensor& t : a.tensorList(0, "tensors")) tensors.push_back(t.detach());
    const auto bytes = static_cast<size_t>(a.int64(1, "bufferBytes"));
    const int src = static_cast<int>(a.int64(2, "src", 0));
    if (tensors.empty()) return a.none();
    at::NoGradGuard noGrad;
    c10d::broadcast_coalesced(dist::processGroup(), tensors, bytes, src);
    return a.none();
  });
}

}  // namespace

void dist::releaseReducers() { reducerTable.reducers.clear(); }

void registerDdp(Napi::Env env, Napi::Object exports) {
  const std::pair<const char*, Napi::Function::Callback> fns[] = {
      {"ddpNew", ddpNew},
      {"ddpFree", ddpFree},
      {"ddpPrepareForward", ddpPrepareForward},
      {"ddpPrepareBackward", ddpPrepareBackward},
      {"ddpBuckets", ddpBuckets},
      {"distBroadcastCoalesced", distBroadcastCoalesced},
  };
  for (const auto& [name, fn] : fns) exports.Set(name, Napi::Function::New(env, fn, name));
}

#endif

}  // namespace tn
