// torch.profiler's native side (native/profiler.cpp): Kineto sessions and user ranges.
#pragma once
#include <napi.h>

namespace tn {

void registerProfiler(Napi::Env env, Napi::Object exports);

}  // namespace tn
