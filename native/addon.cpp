// The module's entry point. lib/binding.ts is the only place that loads it.
#include <napi.h>

#include "bindings.h"
#include "distributed.h"
#include "generated/ops.h"
#include "generator.h"
#include "handles.h"
#include "profiler.h"

namespace {

Napi::Object init(Napi::Env env, Napi::Object exports) {
  tn::registerCpuAllocator(env, exports);  // first: before any tensor is made
  tn::installHandles(env, exports);
  tn::registerTensorCore(env, exports);
  tn::registerAutograd(env, exports);
  tn::registerCuda(env, exports);
  tn::registerAmp(env, exports);
  tn::registerPooling(env, exports);
  tn::registerJit(env, exports);
  tn::registerDistributed(env, exports);
  tn::registerDdp(env, exports);
  tn::registerProfiler(env, exports);
  tn::registerGenerator(env, exports);
  tn::registerGeneratedOps(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(torch_node, init)
