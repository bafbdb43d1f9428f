// What native/jit.cpp (modules held by id, values crossing to JavaScript) shares with
// native/jit_trace.cpp (torch.jit.trace). Only these two TUs include the JIT's headers.
#pragma once
#include <napi.h>
#include <torch/csrc/jit/api/module.h>

#include <cstdint>

namespace tn {

// A new id for `m` in this thread's table of ScriptModules.
int64_t jitAddModule(torch::jit::Module m);

// Whether `v` is an instance of lib's Tensor class.
bool jitIsTensor(const Napi::Value& v);

// A new lib Tensor over `t` (null for an undefined tensor), owned by the current scope.
Napi::Value jitTensorToJs(Napi::Env env, const at::Tensor& t);

// `v` as JavaScript: tensors as above, tuples and lists as arrays, Dict[str, *] as plain objects.
Napi::Value jitValueToJs(Napi::Env env, const c10::IValue& v);

void registerJitTrace(Napi::Env env, Napi::Object exports);

}  // namespace tn
