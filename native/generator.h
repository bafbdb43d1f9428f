// torch.Generator's native side (native/generator.cpp): a random number generator that
// JavaScript holds, and the ops take through their `generator` option.
#pragma once
#include <ATen/core/Generator.h>
#include <napi.h>

namespace tn {

void registerGenerator(Napi::Env env, Napi::Object exports);

// The generator that a JavaScript Generator's native handle holds; null when `v` is not one.
at::Generator* generatorOf(const Napi::Value& v);

}  // namespace tn
