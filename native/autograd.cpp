// Autograd: gradients, backward, grad mode and torch.autograd.grad.
#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>
#include <napi.h>
#include <torch/csrc/autograd/anomaly_mode.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/variable.h>

#include "args.h"
#include "bindings.h"
#include "custom_function.h"

namespace tn {

namespace {

Napi::Value requiresGrad_(const Napi::CallbackInfo& info) {
  const Args a(info, "requiresGrad_");
  return run(a, [&]() -> Napi::Value {
    a.tensor(0, "self").requires_grad_(a.boolean(1, "requiresGrad", true));
    return a.none();
  });
}

Napi::Value grad(const Napi::CallbackInfo& info) {
  const Args a(info, "grad");
  return run(a, [&]() -> Napi::Value { return a.ret(a.tensor(0, "self").grad()); });
}

Napi::Value setGrad(const Napi::CallbackInfo& info) {
  const Args a(info, "grad");
  return run(a, [&]() -> Napi::Value {
    const at::Tensor& t = a.tensor(0, "self");
    if (a.has(1)) {
      const at::Tensor& g = a.tensor(1, "grad");
      TORCH_CHECK(g.sizes() == t.sizes(), "assigned grad has shape ", g.sizes(), " but the tensor has shape ",
                  t.sizes());
      TORCH_CHECK(g.scalar_type() == t.scalar_type(), "assigned grad has dtype ", g.scalar_type(),
                  " but the tensor has dtype ", t.scalar_type());
      TORCH_CHECK(g.device() == t.device(), "assigned grad is on ", g.device(), " but the tensor is on ", t.device());
      t.mutable_grad() = g;
    } else {
      t.mutable_grad() = at::Tensor();
    }
    return a.none();
  });
}

// Replaces the data of `self` by that of `data` and keeps `self` the same tensor, as PyTorch's
// `param.data = ...` does: what holds `self` (an optimizer, a module) sees the new data.
Napi::Value setData(const Napi::CallbackInfo& info) {
  const Args a(info, "data");
  return run(a, [&]() -> Napi::Value {
    const at::Tensor& t = a.tensor(0, "self");
    t.set_data(a.tensor(1, "data"));
    return a.none();
  });
}

// PyTorch's `tensor.data`: the same data, without history, and with a version counter of its
// own, so that changing it in place (an optimizer's update written by hand) does not make a
// graph that saved the tensor fail in backward. (detach() shares the counter.)
Napi::Value variableData(const Napi::CallbackInfo& info) {
  const Args a(info, "data");
  return run(a, [&]() -> Napi::Value { return a.ret(a.tensor(0, "self").variable_data()); });
}

Napi::Value retainGrad(const Napi::CallbackInfo& info) {
  const Args a(info, "retainGrad");
  return run(a, [&]() -> Napi::Value {
    a.tensor(0, "self").retain_grad();
    return a.none();
  });
}

Napi::Value gradFn(const Napi::CallbackInfo& info) {
  const Args a(info, "gradFn");
  return run(a, [&]() -> Napi::Value {
    const auto& fn = a.tensor(0, "self").grad_fn();
    if (!fn) return a.env().Null();
    return Napi::String::New(a.env(), fn->name());
  });
}

// With anomaly mode on, a failing backward makes libtorch warn "Error detected in XBackward0.
// Traceback of forward call that caused the error:" and a C++ backtrace, which says nothing to a
// JavaScript user, on stderr. While anomaly mode is on, the warnings of backward calls on this
// thread are collected and go to process.emitWarning instead, that backtrace cut.
class CollectWarnings : public c10::WarningHandler {
 public:
  void process(const c10::Warning& warning) override { messages.push_back(warning.msg()); }
  std::vector<std::string> messages;
};

void emitWarnings(Napi::Env env, const std::vector<std::string>& messages) {
  if (messages.empty()) return;
  const Napi::Object process = env.Global().Get("process").As<Napi::Object>();
  const Napi::Value emit = process.Get("emitWarning");
  if (!emit.IsFunction()) return;
  for (std::string message : messages) {
    const auto trace = message.find("Traceback of forward call");
    if (trace != std::string::npos) {
      message.erase(trace);
      message += "(torch-node records no traceback of the forward call)";
    }
    emit.As<Napi::Function>().Call(process, {Napi::String::New(env, message), Napi::String::New(env, "UserWarning")});
  }
}

template <class F>
Napi::Value withAnomalyWarnings(Napi::Env env, F&& call) {
  if (!torch::autograd::AnomalyMode::is_enabled()) return call();
  CollectWarnings handler;
  Napi::Value result;
  try {
    const c10::WarningUtils::WarningHandlerGuard guard(&handler);
    result = call();
  } catch (...) {
    emitWarnings(env, handler.messages);
    throw;
  }
  emitWarnings(env, handler.messages);
  return result;
}

// backward(self, gradient?, retainGraph?, createGraph?, inputs?)
// A JavaScript backward or hook may run inside (custom Functions, registerHook): engineCall
// rethrows what it threw, and `self` is held by value, since the handle table it lives in may
// grow (and move) while JavaScript makes tensors.
Napi::Value backward(const Napi::CallbackInfo& info) {
  const Args a(info, "backward");
  return withAnomalyWarnings(a.env(), [&] {
    return engineCall([&] {
      return run(a, [&]() -> Napi::Value {
        const at::Tensor t = a.tensor(0, "self");
        const auto gradient = a.optTensor(1, "gradient");
        if (!gradient && t.numel() != 1) {
          throw OpError(
              "grad can be implicitly created only for scalar outputs; pass a gradient for a tensor of shape " +
              c10::str(t.sizes()));
        }
        const bool createGraph = a.boolean(3, "createGraph", false);
        const auto retainGraph = a.has(2) ? std::optional<bool>(a.boolean(2, "retainGraph")) : std::nullopt;
        std::optional<at::TensorList> inputs;
        std::vector<at::Tensor> inputList;
        if (a.has(4)) {
          inputList = a.tensorList(4, "inputs");
          inputs = inputList;
        }
        t.backward(gradient.value_or(at::Tensor()), retainGraph, createGraph, inputs);
        return a.none();
      });
    });
  });
}

// autogradGrad(outputs[], inputs[], gradOutputs[]?, retainGraph?, createGraph, allowUnused)
Napi::Value autogradGrad(const Napi::CallbackInfo& info) {
  const Args a(info, "autograd.grad");
  return withAnomalyWarnings(a.env(), [&] {
    return engineCall([&] {
      return run(a, [&]() -> Napi::Value {
        const auto outputs = a.tensorList(0, "outputs");
        const auto inputs = a.tensorList(1, "inputs");
        std::vector<at::Tensor> gradOutputs;
        if (a.has(2)) {
          for (const std::optional<at::Tensor> g : a.optTensorList(2, "gradOutputs"))
            gradOutputs.push_back(g.value_or(at::Tensor()));
        }
        const auto retainGraph = a.has(3) ? std::optional<bool>(a.boolean(3, "retainGraph")) : std::nullopt;
        const bool createGraph = a.boolean(4, "createGraph", false);
        const bool allowUnused = a.boolean(5, "allowUnused", false);
        const auto grads = torch::autograd::grad(outputs, inputs, gradOutputs, retainGraph, createGraph, allowUnused);
        return a.ret(grads);
      });
    });
  });
}

Napi::Value setGradEnabled(const Napi::CallbackInfo& info) {
  const Args a(info, "setGradEnabled");
  return run(a, [&]() -> Napi::Value {
    const bool previous = c10::GradMode::is_enabled();
    c10::GradMode::set_enabled(a.boolean(0, "enabled"));
    return Napi::Boolean::New(a.env(), previous);
  });
}

Napi::Value isGradEnabled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), c10::GradMode::is_enabled());
}

// inferenceMode(enabled, fn): calls fn inside c10::InferenceMode, which restores the previous
// state however fn ends. Not under `run`: an error fn throws must reach the caller as it is,
// not rewrapped with this function's name.
Napi::Value inferenceMode(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsBoolean() || !info[1].IsFunction()) {
    throw Napi::TypeError::New(env, "inferenceMode: expected (enabled: boolean, fn: function)");
  }
  const c10::InferenceMode mode(info[0].As<Napi::Boolean>().Value());
  return info[1].As<Napi::Function>().Call({});
}

Napi::Value isInferenceModeEnabled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), c10::InferenceMode::is_enabled());
}

Napi::Value isInference(const Napi::CallbackInfo& info) {
  const Args a(info, "isInference");
  return run(a, [&]() -> Napi::Value { return a.ret(a.tensor(0, "self").is_inference()); });
}

// Anomaly mode is process-wide in libtorch (as in PyTorch), not per thread.
Napi::Value setDetectAnomaly(const Napi::CallbackInfo& info) {
  const Args a(info, "setDetectAnomaly");
  return run(a, [&]() -> Napi::Value {
    torch::autograd::AnomalyMode::set_enabled(a.boolean(0, "mode"), a.boolean(1, "checkNan", true));
    return a.none();
  });
}

// [enabled, checkNan]
Napi::Value anomalyMode(const Napi::CallbackInfo& info) {
  auto out = Napi::Array::New(info.Env(), 2);
  out[0u] = Napi::Boolean::New(info.Env(), torch::autograd::AnomalyMode::is_enabled());
  out[1u] = Napi::Boolean::New(info.Env(), torch::autograd::AnomalyMode::should_check_nan());
  return out;
}

// Forward-mode AD levels. libtorch allows one level at a time, process-wide; it refuses a second.
Napi::Value enterDualLevel(const Napi::CallbackInfo& info) {
  const Args a(info, "enterDualLevel");
  return run(
      a, [&]() -> Napi::Value { return a.ret(static_cast<int64_t>(torch::autograd::forward_ad::enter_dual_level())); });
}

Napi::Value exitDualLevel(const Napi::CallbackInfo& info) {
  const Args a(info, "exitDualLevel");
  return run(a, [&]() -> Napi::Value {
    const int64_t level = a.int64(0, "level");
    TORCH_CHECK(level >= 0, "exitDualLevel: level must be non-negative, got ", level);
    torch::autograd::forward_ad::exit_dual_level(static_cast<uint64_t>(level));
    return a.none();
  });
}

// makeDual(primal, tangent, level)
Napi::Value makeDual(const Napi::CallbackInfo& info) {
  const Args a(info, "makeDual");
  return run(a, [&]() -> Napi::Value {
    return a.ret(at::_make_dual(a.tensor(0, "primal"), a.tensor(1, "tangent"), a.int64(2, "level")));
  });
}

// unpackDual(tensor, level) -> [primal, tangent or null]
Napi::Value unpackDual(const Napi::CallbackInfo& info) {
  const Args a(info, "unpackDual");
  return run(a, [&]() -> Napi::Value { return a.ret(at::_unpack_dual(a.tensor(0, "tensor"), a.int64(1, "level"))); });
}

}  // namespace

void registerAutograd(Napi::Env env, Napi::Object exports) {
  const std::pair<const char*, Napi::Function::Callback> fns[] = {
      {"requiresGrad_", requiresGrad_},
      {"grad", grad},
      {"setGrad", setGrad},
      {"setData", setData},
      {"variableData", variableData},
      {"retainGrad", retainGrad},
      {"gradFn", gradFn},
      {"backward", backward},
      {"autogradGrad", autogradGrad},
      {"setGradEnabled", setGradEnabled},
      {"isGradEnabled", isGradEnabled},
      {"inferenceMode", inferenceMode},
      {"isInferenceModeEnabled", isInferenceModeEnabled},
      {"isInference", isInference},
      {"setDetectAnomaly", setDetectAnomaly},
      {"anomalyMode", anomalyMode},
      {"enterDualLevel", enterDualLevel},
      {"exitDualLevel", exitDualLevel},
      {"makeDual", makeDual},
      {"unpackDual", unpackDual},
  };
  for (const auto& [name, fn] : fns) exports.Set(name, Napi::Function::New(env, fn, name));
  registerCustomFunction(env, exports);
}

}  // namespace tn
