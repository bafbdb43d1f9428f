// torch.jit.trace: libtorch's tracer records every op that reaches the dispatcher on this thread
// while a JavaScript function runs, and the graph becomes the `forward` of a TorchScript module.
//
// We are on the JavaScript thread inside a native call, so the traced function is the JavaScript
// forward itself, called synchronously from the tracer's callback. For an nn.Module, lib mirrors
// its tree here (lib/torch/jit_trace.ts): a torch::jit::Module per submodule holding the very
// tensors of its parameters and buffers, passed to the tracer as `self`, so that reads of them
// become attribute reads (not constants) and the traced module shares them, as Python's does.
// Around each submodule's forward lib opens a scope (jitTraceScope), which the tracer's own
// fix-up pass turns into that submodule's `forward` method, as Python's _slow_forward does.
#include <torch/csrc/jit/api/compilation_unit.h>
#include <torch/csrc/jit/frontend/tracer.h>
#include <torch/csrc/jit/ir/ir.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "args.h"
#include "jit.h"

namespace tn {

namespace {

using c10::IValue;
using torch::jit::Module;
namespace tracer = torch::jit::tracer;

// The tracer's warnings (TracerWarning in Python) of the trace in progress on this thread; lib
// emits them as process warnings once the trace is over.
thread_local std::vector<std::string> traceWarnings;

void collectWarning(const std::string& message) { traceWarnings.push_back(message); }

const at::Tensor& tensorAt(const Napi::Value& v, const std::string& what) {
  const int32_t h = v.IsNumber() ? v.As<Napi::Number>().Int32Value() : -1;
  if (h < 0) throw OpError(what + " is a disposed Tensor");
  return handles().get(h);
}

Napi::Array arrayAt(const Napi::Array& spec, uint32_t k) {
  const Napi::Value v = spec.Get(k);
  if (!v.IsArray()) throw OpError("malformed module description (lib/torch/jit_trace.ts builds it)");
  return v.As<Napi::Array>();
}

// spec: [qualified type name, training, parameter names, handles, buffer names, handles, child
// names, children]; a child is a spec, or the index (in the order built) of a module built before
// (one submodule under two names). A tensor held twice (tied weights) is shared, as in Python.
Module buildModule(const Napi::Array& spec, const std::shared_ptr<torch::jit::CompilationUnit>& cu,
                   const std::string& path, std::vector<Module>& built) {
  const std::string typeName = spec.Get(0u).As<Napi::String>().Utf8Value();
  Module m(c10::QualifiedName(typeName), cu, /*shouldMangle=*/true);
  built.push_back(m);
  const auto where = [&](const std::string& name) { return path.empty() ? name : path + "." + name; };
  for (uint32_t list = 2; list <= 4; list += 2) {
    const Napi::Array names = arrayAt(spec, list);
    const Napi::Array tensors = arrayAt(spec, list + 1);
    for (uint32_t k = 0; k < names.Length(); k++) {
      const std::string name = names.Get(k).As<Napi::String>().Utf8Value();
      const at::Tensor& t = tensorAt(tensors.Get(k), "'" + where(name) + "'");
      if (list == 2) {
        m.register_parameter(name, t, /*is_buffer=*/false);
      } else {
        m.register_buffer(name, t);
      }
    }
  }
  m.register_attribute("training", c10::BoolType::get(), spec.Get(1u).As<Napi::Boolean>().Value());
  const Napi::Array childNames = arrayAt(spec, 6);
  const Napi::Array children = arrayAt(spec, 7);
  for (uint32_t k = 0; k < childNames.Length(); k++) {
    const std::string name = childNames.Get(k).As<Napi::String>().Utf8Value();
    const Napi::Value child = children.Get(k);
    if (child.IsNumber()) {
      const uint32_t index = child.As<Napi::Number>().Uint32Value();
      if (index >= built.size()) throw OpError("malformed module description (lib/torch/jit_trace.ts builds it)");
      m.register_module(name, built[index]);
    } else {
      m.register_module(name, buildModule(arrayAt(children, k), cu, where(name), built));
    }
  }
  return m;
}

// Which way a value crosses the trace: an example input, or what the traced function returned.
enum class Crossing { Input, Output };

// A value crossing the trace: a Tensor, an array (a tuple, as Python's) or a plain object (a
// Dict[str, Tensor]; as an output, one that the tracer refuses when strict).
IValue traceValue(const Napi::Value& v, const std::string& path, Crossing way) {
  const bool output = way == Crossing::Output;
  if (jitIsTensor(v)) return tensorAt(v.As<Napi::Object>().Get("_h"), path);
  if (v.IsArray()) {
    const auto arr = v.As<Napi::Array>();
    std::vector<IValue> elems;
    elems.reserve(arr.Length());
    for (uint32_t k = 0; k < arr.Length(); k++)
      elems.push_back(traceValue(arr.Get(k), path + "[" + std::to_string(k) + "]", way));
    return c10::ivalue::Tuple::create(std::move(elems));
  }
  if (v.Type() == napi_object && !v.IsTypedArray() && !v.IsArrayBuffer()) {
    const auto obj = v.As<Napi::Object>();
    const Napi::Array keys = obj.GetPropertyNames();
    c10::impl::GenericDict dict(c10::StringType::get(), c10::TensorType::get());
    for (uint32_t k = 0; k < keys.Length(); k++) {
      const std::string key = keys.Get(k).ToString().Utf8Value();
      const Napi::Value value = obj.Get(key);
      if (!jitIsTensor(value)) {
        throw ArgError((output ? "the traced function's output " : "") + path + "." + key + " is " + jsTypeName(value) +
                       ": an object " + (output ? "output" : "input") + " must hold Tensors only");
      }
      dict.insert_or_assign(key, tensorAt(value.As<Napi::Object>().Get("_h"), path + "." + key));
    }
    return dict;
  }
  if (!output) {
    throw ArgError(path + " is " + std::string(jsTypeName(v)) +
                   ": an example input must be a Tensor, an array of them (a tuple) or an object of Tensors");
  }
  throw ArgError("the traced function returned " + std::string(jsTypeName(v)) +
                 (path == "output" ? "" : " at " + path) +
                 ": it must return a Tensor, an array of Tensors or (strict: false) an object of Tensors; side "
                 "effects are not recorded");
}

std::vector<std::string> stringList(const Napi::Value& v) {
  std::vector<std::string> out;
  if (!v.IsArray()) return out;
  const auto arr = v.As<Napi::Array>();
  for (uint32_t k = 0; k < arr.Length(); k++) out.push_back(arr.Get(k).ToString().Utf8Value());
  return out;
}

// jitTrace(spec, inputs[], fn, strict, argumentNames[]) -> [module id, warnings[]]. `fn(inputs)` is
// the JavaScript forward; a function of tensors is traced as the forward of a module without
// attributes (as Python saves a ScriptFunction).
Napi::Value jitTrace(const Napi::CallbackInfo& info) {
  const Args a(info, "jit.trace");
  handles().drainReleases();
  const auto body = [&]() -> Napi::Value {
    if (!info[0].IsArray()) a.typeError(0, "module", "a module description");
    if (!info[1].IsArray()) a.typeError(1, "exampleInputs", "an array of Tensors");
    if (!info[2].IsFunction()) a.typeError(2, "fn", "a function");
    const auto fn = info[2].As<Napi::Function>();
    const bool strict = a.boolean(3, "strict", true);
    const std::vector<std::string> argumentNames = stringList(info[4]);
    // Checked before the tracer's own check, whose failure would end the trace in progress.
    if (tracer::isTracing()) throw OpError("Tracing can't be nested (jit.trace inside a traced function)");

    auto cu = std::make_shared<torch::jit::CompilationUnit>();
    std::vector<Module> built;
    Module self = buildModule(info[0].As<Napi::Array>(), cu, "", built);

    const auto inputs = info[1].As<Napi::Array>();
    torch::jit::Stack stack;
    for (uint32_t k = 0; k < inputs.Length(); k++) {
      stack.push_back(traceValue(inputs.Get(k), "exampleInputs[" + std::to_string(k) + "]", Crossing::Input));
    }

    traceWarnings.clear();
    const auto traced = [&](torch::jit::Stack in) -> torch::jit::Stack {
      auto args = Napi::Array::New(a.env(), in.size());
      for (uint32_t k = 0; k < in.size(); k++) args.Set(k, jitValueToJs(a.env(), in[k]));
      const Napi::Value out = fn.Call({args});
      return {traceValue(out, "output", Crossing::Output)};
    };
    const auto noNames = [](const tracer::Variable&) { return std::string(); };
    const auto state = tracer::trace(std::move(stack), traced, noNames, strict, false, &self, argumentNames).first;

    const c10::QualifiedName name(*self.type()->name(), "forward");
    self.type()->addMethod(cu->create_function(name, state->graph));

    auto warnings = Napi::Array::New(a.env(), traceWarnings.size());
    for (uint32_t k = 0; k < traceWarnings.size(); k++) warnings.Set(k, traceWarnings[k]);
    traceWarnings.clear();
    auto result = Napi::Array::New(a.env(), 2);
    result.Set(0u, Napi::Number::New(a.env(), static_cast<double>(jitAddModule(self))));
    result.Set(1u, warnings);
    return result;
  };
  try {
    return body();
  } catch (const Napi::Error&) {
    // The traced function's own exception (the tracer abandoned its state on the way out): it
    // reaches the caller as the Error it threw, not wrapped as guard() would.
    throw;
  } catch (const ArgError& e) {
    throwJs(a.env(), a.op, e, true);
  } catch (const c10::TypeError& e) {
    throwJs(a.env(), a.op, e, true);
  } catch (const std::exception& e) {
    throwJs(a.env(), a.op, e, false);
  }
}

// jitTraceScope(name | null): opens the scope of a submodule's forward ('__module.a.b'), or
// closes the innermost one; nothing when no trace is in progress.
Napi::Value jitTraceScope(const Napi::CallbackInfo& info) {
  const Args a(info, "jit.trace");
  return guard(a.env(), a.op, [&]() -> Napi::Value {
    const auto& state = tracer::getTracingState();
    if (!state) return a.none();
    if (info[0].IsString()) {
      state->graph->push_scope(info[0].As<Napi::String>().Utf8Value());
    } else {
      state->graph->pop_scope();
    }
    return a.none();
  });
}

// jitTraceWarn(message): a warning of lib's (a tensor's value read during the trace), collected
// with the tracer's own.
Napi::Value jitTraceWarn(const Napi::CallbackInfo& info) {
  if (tracer::isTracing() && info[0].IsString()) traceWarnings.push_back(info[0].As<Napi::String>().Utf8Value());
  return info.Env().Undefined();
}

// jitIsTracing(): whether this thread is inside jit.trace's function.
Napi::Value jitIsTracing(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), tracer::isTracing()); }

}  // namespace

void registerJitTrace(Napi::Env env, Napi::Object exports) {
  tracer::setWarn(collectWarning);
  const std::pair<const char*, Napi::Function::Callback> fns[] = {
      {"jitTrace", jitTrace},
      {"jitTraceScope", jitTraceScope},
      {"jitTraceWarn", jitTraceWarn},
      {"jitIsTracing", jitIsTracing},
  };
  for (const auto& [name, fn] : fns) exports.Set(name, Napi::Function::New(env, fn, name));
}

}  // namespace tn
