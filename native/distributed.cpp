// torch.distributed: c10d's TCPStore and process group, and the collectives.
//
// One default process group per JavaScript thread (as handles are), made by distInit. A
// collective runs in place on the tensors (or into new ones for allGather/reduceScatter).
// Synchronous calls wait on the JavaScript thread, as PyTorch's do; the async variants queue the
// collective, wait for it on libuv's thread pool and settle a Promise on the JavaScript thread.
#include "distributed.h"

#include <napi.h>

#ifdef TORCH_NODE_DISTRIBUTED
#include <ATen/ATen.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <functional>
#include <utility>

#include "args.h"
#endif

namespace tn {

#ifndef TORCH_NODE_DISTRIBUTED

namespace {

const char* missing() {
#if TORCH_NODE_DIST_MISSING == 1
  return "this libtorch was built without distributed support (its include/ has no c10d headers)";
#elif TORCH_NODE_DIST_MISSING == 3
  return "the gloo headers found when the addon was built were configured without the TCP transport "
         "(GLOO_HAVE_TRANSPORT_TCP in gloo/config.h); install Debian's libgloo-dev and rebuild with "
         "`npm run build:native`";
#else
  return "the gloo headers (gloo/config.h), which c10d's ProcessGroupGloo.hpp includes and libtorch does not "
         "ship, were not found when the addon was built: install them (Debian/Ubuntu: `apt-get install "
         "libgloo-dev`, or set GLOO_INCLUDE_DIR to the folder holding gloo/) and rebuild with `npm run build:native`";
#endif
}

Napi::Value distInfo(const Napi::CallbackInfo& info) {
  auto out = Napi::Object::New(info.Env());
  out.Set("available", false);
  out.Set("nccl", false);
  out.Set("missing", missing());
  return out;
}

}  // namespace

void registerDistributed(Napi::Env env, Napi::Object exports) {
  exports.Set("distInfo", Napi::Function::New(env, distInfo, "distInfo"));
}

#else

namespace dist {

namespace {

struct State {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroup> pg;
  std::string backend;
};

thread_local State* state = nullptr;

void destroyState() {
  if (state == nullptr) return;
  releaseReducers();
  State* s = state;
  state = nullptr;
  // Lets in-flight work finish or fail, and joins the backends' threads.
  if (s->pg) s->pg->shutdown();
  delete s;
}

}  // namespace

const c10::intrusive_ptr<c10d::ProcessGroup>& processGroup() {
  if (state == nullptr) {
    throw OpError(
        "Default process group has not been initialized, please make sure to call "
        "torch.distributed.initProcessGroup()");
  }
  return state->pg;
}

}  // namespace dist

namespace {

using c10d::ProcessGroup;

c10d::ReduceOp reduceOp(const Args& a, size_t i) {
  const std::string name = a.string(i, "op", "sum");
  if (name == "sum") return c10d::ReduceOp::SUM;
  if (name == "avg") return c10d::ReduceOp::AVG;
  if (name == "product") return c10d::ReduceOp::PRODUCT;
  if (name == "min") return c10d::ReduceOp::MIN;
  if (name == "max") return c10d::ReduceOp::MAX;
  if (name == "band") return c10d::ReduceOp::BAND;
  if (name == "bor") return c10d::ReduceOp::BOR;
  if (name == "bxor") return c10d::ReduceOp::BXOR;
  throw ArgError("op must be one of 'sum', 'avg', 'product', 'min', 'max', 'band', 'bor', 'bxor', got '" + name + "'");
}

// Gloo has no AVG: it sums, and the result is divided by the group's size when the work is done.
bool emulatesAvg(const c10d::ReduceOp& op, const at::Tensor& t) {
  if (op != c10d::ReduceOp::AVG) return false;
  if (!at::isFloatingType(t.scalar_type()) && !at::isComplexType(t.scalar_type())) {
    throw OpError(std::string("op 'avg' needs floating-point tensors, got ") + c10::toString(t.scalar_type()));
  }
  return dist::processGroup()->getBackendType() != ProcessGroup::BackendType::NCCL;
}

// Collectives work on detached aliases: the same memory, no autograd bookkeeping.
std::vector<at::Tensor> operands(const Args& a, size_t i, const char* name) {
  std::vector<at::Tensor> out;
  for (const at::Tensor& t : a.tensorList(i, name)) {
    if (!t.is_contiguous()) throw OpError(std::string(name) + " must be contiguous (call .contiguous() first)");
    out.push_back(t.detach());
  }
  if (out.empty()) throw OpError(std::string(name) + " is empty");
  return out;
}

// What runs after the work completes (off the JavaScript thread in the async case), and the
// JavaScript value made from the result (always on the JavaScript thread).
using After = std::function<void()>;
using Result = std::function<Napi::Value(Napi::Env)>;

Napi::Value undefinedResult(Napi::Env env) { return env.Undefined(); }

Napi::Value handlesOf(Napi::Env env, const std::vector<at::Tensor>& ts) {
  auto arr = Napi::Array::New(env, ts.size());
  for (uint32_t k = 0; k < ts.size(); k++) arr[k] = Napi::Number::New(env, handles().put(ts[k]));
  return arr;
}

std::string errorText(const char* op, const std::exception& e) {
  const auto* c10err = dynamic_cast<const c10::Error*>(&e);
  return opMessage(op, c10err ? c10err->what_without_backtrace() : e.what());
}

class WaitWorker : public Napi::AsyncWorker {
 public:
  WaitWorker(Napi::Env env, const char* op, c10::intrusive_ptr<c10d::Work> work, After after, Result result)
      : Napi::AsyncWorker(env, op),
        op_(op),
        work_(std::move(work)),
        after_(std::move(after)),
        result_(std::move(result)),
        deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      work_->wait();
      if (after_) {
        at::NoGradGuard noGrad;
        after_();
      }
    } catch (const std::exception& e) {
      SetError(errorText(op_, e));
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    try {
      deferred_.Resolve(result_(env));
    } catch (const std::exception& e) {
      deferred_.Reject(Napi::Error::New(env, errorText(op_, e)).Value());
    }
    reportExternalMemory(env);
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  const char* op_;
  c10::intrusive_ptr<c10d::Work> work_;
  After after_;
  Result result_;
  Napi::Promise::Deferred deferred_;
};

// Waits here (sync) or hands the wait to the thread pool (async, the last argument true).
Napi::Value finish(const Args& a, size_t asyncArg, c10::intrusive_ptr<c10d::Work> work, After after = {},
                   Result result = undefinedResult) {
  if (a.boolean(asyncArg, "async", false)) {
    auto* worker = new WaitWorker(a.env(), a.op, std::move(work), std::move(after), std::move(result));
    const Napi::Promise promise = worker->promise();
    worker->Queue();
    return promise;
  }
  work->wait();
  if (after) after();
  return result(a.env());
}

Napi::Value distInfo(const Napi::CallbackInfo& info) {
  auto out = Napi::Object::New(info.Env());
  out.Set("available", true);
  out.Set("nccl", dist::ncclCompiled());
  return out;
}

// distInit(backend, host, port, rank, worldSize, timeoutMs): rank 0 serves the TCPStore that the
// others connect to; then every rank joins the backend's rendezvous. Both block until all
// ranks have arrived or the timeout passes.
Napi::Value distInit(const Napi::CallbackInfo& info) {
  const Args a(info, "initProcessGroup");
  return run(a, [&]() -> Napi::Value {
    if (dist::state != nullptr) {
      throw OpError("trying to initialize the default process group twice (call destroyProcessGroup() first)");
    }
    const std::string backend = a.string(0, "backend");
    const std::string host = a.string(1, "host");
    const int64_t port = a.int64(2, "port");
    const int64_t rank = a.int64(3, "rank");
    const int64_t size = a.int64(4, "worldSize");
    const std::chrono::milliseconds timeout(a.int64(5, "timeout"));
    if (backend != "gloo" && backend != "nccl")
      throw OpError("backend must be 'gloo' or 'nccl', got '" + backend + "'");
    if (port < 1 || port > 65535) throw OpError("port must be in 1..65535, got " + std::to_string(port));
    if (size < 1) throw OpError("worldSize must be at least 1, got " + std::to_string(size));
    if (rank < 0 || rank >= size) {
      throw OpError("rank must be in 0.." + std::to_string(size - 1) + ", got " + std::to_string(rank));
    }

    c10d::TCPStoreOptions so;
    so.port = static_cast<uint16_t>(port);
    so.isServer = rank == 0;
    so.numWorkers = static_cast<size_t>(size);
    so.waitWorkers = true;
    so.timeout = timeout;
    auto store = c10::make_intrusive<c10d::TCPStore>(host, so);

    const int r = static_cast<int>(rank);
    const int n = static_cast<int>(size);
    auto pg = c10::make_intrusive<ProcessGroup>(c10::make_intrusive<c10d::PrefixStore>("default_pg/", store), r, n);
    pg->setGroupName("default_pg");
    auto gloo = dist::makeGloo(c10::make_intrusive<c10d::PrefixStore>("default_pg/gloo/", store), r, n, timeout, host);
    pg->setBackend(at::kCPU, ProcessGroup::BackendType::GLOO, gloo);
    if (backend == "nccl") {
      auto nccl = dist::makeNccl(c10::make_intrusive<c10d::PrefixStore>("default_pg/nccl/", store), r, n, timeout);
      pg->setBackend(at::kCUDA, ProcessGroup::BackendType::NCCL, nccl);
      pg->setDefaultBackend(ProcessGroup::BackendType::NCCL);
    } else {
      if (at::hasCUDA()) pg->setBackend(at::kCUDA, ProcessGroup::BackendType::GLOO, gloo);
      pg->setDefaultBackend(ProcessGroup::BackendType::GLOO);
    }
    dist::state = new dist::State{store, pg, backend};
    return a.none();
  });
}

Napi::Value distDestroy(const Napi::CallbackInfo& info) {
  const Args a(info, "destroyProcessGroup");
  return run(a, [&]() -> Napi::Value {
    dist::destroyState();
    return a.none();
  });
}

// [rank, worldSize, backend], or null before initProcessGroup.
Napi::Value distGroup(const Napi::CallbackInfo& info) {
  if (dist::state == nullptr) return info.Env().Null();
  auto out = Napi::Array::New(info.Env(), 3);
  out[0u] = Napi::Number::New(info.Env(), dist::state->pg->getRank());
  out[1u] = Napi::Number::New(info.Env(), dist::state->pg->getSize());
  out[2u] = Napi::String::New(info.Env(), dist::state->backend);
  return out;
}

// distAllReduce(tensors[], op, async): in place.
Napi::Value distAllReduce(const Napi::CallbackInfo& info) {
  const Args a(info, "allReduce");
  return run(a, [&]() -> Napi::Value {
    auto tensors = operands(a, 0, "tensor");
    const auto& pg = dist::processGroup();
    c10d::AllreduceOptions opts;
    opts.reduceOp = reduceOp(a, 1);
    After after;
    if (emulatesAvg(opts.reduceOp, tensors[0])) {
      opts.reduceOp = c10d::ReduceOp::SUM;
      const int64_t n = pg->getSize();
      after = [tensors, n] {
        for (const auto& t : tensors) t.div_(n);
      };
    }
    return finish(a, 2, pg->allreduce(tensors, opts), std::move(after));
  });
}

// distBroadcast(tensors[], src, async): in place, from rank `src`.
Napi::Value distBroadcast(const Napi::CallbackInfo& info) {
  const Args a(info, "broadcast");
  return run(a, [&]() -> Napi::Value {
    auto tensors = operands(a, 0, "tensor");
    const auto& pg = dist::processGroup();
    c10d::BroadcastOptions opts;
    opts.rootRank = a.int64(1, "src");
    if (opts.rootRank < 0 || opts.rootRank >= pg->getSize()) {
      throw OpError("src must be a rank in 0.." + std::to_string(pg->getSize() - 1) + ", got " +
                    std::to_string(opts.rootRank));
    }
    return finish(a, 2, pg->broadcast(tensors, opts));
  });
}

// distAllGather(tensor, async): every rank's tensor, in rank order (new tensors).
Napi::Value distAllGather(const Napi::CallbackInfo& info) {
  const Args a(info, "allGather");
  return run(a, [&]() -> Napi::Value {
    auto inputs = operands(a, 0, "tensor");
    const auto& pg = dist::processGroup();
    std::vector<std::vector<at::Tensor> > outputs(1);
    for (int r = 0; r < pg->getSize(); r++) outputs[0].push_back(at::empty_like(inputs[0]));
    auto work = pg->allgather(outputs, inputs);
    const auto gathered = outputs[0];
    return finish(a, 1, work, {}, [gathered](Napi::Env env) { return handlesOf(env, gathered); });
  });
}

// distReduceScatter(inputs[], op, async): reduces inputs[r] of every rank into rank r's result.
Napi::Value distReduceScatter(const Napi::CallbackInfo& info) {
  const Args a(info, "reduceScatter");
  return run(a, [&]() -> Napi::Value {
    auto inputs = operands(a, 0, "inputs");
    const auto& pg = dist::processGroup();
    if (static_cast<int64_t>(inputs.size()) != pg->getSize()) {
      throw OpError("inputs must hold one tensor per rank (" + std::to_string(pg->getSize()) + "), got " +
                    std::to_string(inputs.size()));
    }
    c10d::ReduceScatterOptions opts;
    opts.reduceOp = reduceOp(a, 1);
    std::vector<at::Tensor> output{at::empty_like(inputs[0])};
    After after;
    if (emulatesAvg(opts.reduceOp, inputs[0])) {
      opts.reduceOp = c10d::ReduceOp::SUM;
      const int64_t n = pg->getSize();
      const at::Tensor out = output[0];
      after = [out, n] { out.div_(n); };
    }
    std::vector<std::vector<at::Tensor> > inputLists{inputs};
    auto work = pg->reduce_scatter(output, inputLists, opts);
    const at::Tensor out = output[0];
    return finish(a, 2, work, std::move(after),
                  [out](Napi::Env env) { return Napi::Number::New(env, handles().put(out)); });
  });
}

Napi::Value distBarrier(const Napi::CallbackInfo& info) {
  const Args a(info, "barrier");
  return run(a, [&]() -> Napi::Value { return finish(a, 0, dist::processGroup()->barrier()); });
}

}  // namespace

void registerDistributed(Napi::Env env, Napi::Object exports) {
  const std::pair<const char*, Napi::Function::Callback> fns[] = {
      {"distInfo", distInfo},           {"distInit", distInit},
      {"distDestroy", distDestroy},     {"distGroup", distGroup},
      {"distAllReduce", distAllReduce}, {"distBroadcast", distBroadcast},
      {"distAllGather", distAllGather}, {"distReduceScatter", distReduceScatter},
      {"distBarrier", distBarrier},
  };
  for (const auto& [name, fn] : fns) exports.Set(name, Napi::Function::New(env, fn, name));
  // The group dies with its environment (a worker's exit, the main thread's teardown).
  env.AddCleanupHook([] { dist::destroyState(); });
}

#endif

}  // namespace tn
