// Autograd calling back into JavaScript: custom autograd Functions (torch.autograd.Function)
// and tensor hooks (tensor.registerHook). See custom_function.cpp.
#pragma once
#include <napi.h>

#include <optional>
#include <string>

namespace tn {

void registerCustomFunction(Napi::Env env, Napi::Object exports);

// Starts a call into the autograd engine (backward, autograd.grad) on this JavaScript thread:
// releases the JavaScript references that graph nodes dropped on other threads, and forgets a
// stale pending error.
void beginEngineCall();
// The error that a JavaScript backward or hook threw during the engine call that failed with
// `message` (libtorch carried a copy of its message through the engine).
std::optional<Napi::Error> takePendingJsError(const std::string& message);
// Keeps `e`, which a JavaScript callback run from inside autograd threw, for the entry point to
// rethrow (the callback's caller raises a c10::Error carrying `message` through libtorch).
void setPendingJsError(const Napi::Error& e, const std::string& message);

// Saved-tensor hooks (native/saved_tensor_hooks.cpp), registered with the custom Functions.
void registerSavedTensorHooks(Napi::Env env, Napi::Object exports);

// Runs `call` (an entry point's `run(...)` that enters the engine). When a JavaScript backward or
// hook threw, the caller gets that very error (its class, message and stack), as Python re-raises
// the exception of a custom Function's backward.
template <class F>
Napi::Value engineCall(F&& call) {
  beginEngineCall();
  try {
    return call();
  } catch (const Napi::Error& e) {
    if (auto original = takePendingJsError(e.Message())) throw *original;
    throw;
  }
}

}  // namespace tn
