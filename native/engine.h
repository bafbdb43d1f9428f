// The addon's autograd engine (engine.cpp): installed as libtorch's default engine at load.
#pragma once
#include <torch/csrc/autograd/saved_variable_hooks.h>

#include <functional>
#include <memory>

namespace tn {

// Makes the addon's engine libtorch's default one (once per process, before any backward).
void installEngine();

// Runs `fn` on the JavaScript thread whose backward call this engine thread works for (a CUDA
// device thread runs nodes for the backward that a JavaScript thread called), and waits for it.
// What `fn` throws is thrown here. Without such a call in progress it is an Error naming `what`.
void runForBackwardCaller(const std::function<void()>& fn, const char* what);

// The saved-tensor hooks that the calling thread's stack asks for (saved_tensor_hooks.cpp); null
// where it has none.
std::unique_ptr<torch::autograd::SavedVariableHooks> jsSavedVariableHooks();

}  // namespace tn
