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
  // The generated ops in an object of their own: with them the exports outgrow what V8 keeps in
  // fast mode (1020 properties), and lib/binding.ts copies each group into a fast object.
  Napi::Object ops = Napi::Object::New(env);
  tn::registerGeneratedOps(env, ops);
  exports.Set("ops", ops);
  return exports;
}

}  // namespace

NODE_API_MODULE(torch_node, init)
