// The groups of functions the addon exports; addon.cpp registers them all.
#pragma once
#include <napi.h>

namespace tn {

void registerCpuAllocator(Napi::Env env, Napi::Object exports);
void registerTensorCore(Napi::Env env, Napi::Object exports);
void registerAutograd(Napi::Env env, Napi::Object exports);
void registerCuda(Napi::Env env, Napi::Object exports);
void registerAmp(Napi::Env env, Napi::Object exports);
void registerPooling(Napi::Env env, Napi::Object exports);
void registerJit(Napi::Env env, Napi::Object exports);

}  // namespace tn
