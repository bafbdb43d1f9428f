// torch.jit.load: TorchScript modules saved by Python (torch.jit.script / torch.jit.trace), run
// by libtorch's own interpreter.
//
// Modules live in a per-thread table; JavaScript holds their ids (lib/torch/jit.ts frees one on
// dispose() or from a FinalizationRegistry). Ids are never reused, so freeing an id twice, or a
// stale finalizer, cannot touch another module; a freed id is "this ScriptModule was disposed".
//
// Arguments are converted by the method's schema (its TorchScript annotations): Tensor, int
// (integral numbers only), float, bool, str, Optional (null/undefined), List and Tuple (arrays),
// Dict (plain objects or Maps), Union and Any. Results come back as JavaScript values: Tensors
// are made through lib's Tensor class, so they are adopted by the current scope like any op's.
//
// This TU and jit_trace.cpp include the JIT's headers, which nothing else needs: they stay out of pch.h.
#include <c10/core/GradMode.h>
#include <torch/csrc/jit/api/module.h>
#include <torch/csrc/jit/serialization/import.h>
#include <torch/csrc/jit/serialization/python_print.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "args.h"
#include "bindings.h"
#include "jit.h"

namespace tn {

namespace {

using c10::IValue;
using c10::TypeKind;
using c10::TypePtr;
using torch::jit::Module;

struct JitState {
  napi_env env = nullptr;
  // lib's Tensor, registered by jitInit. A raw reference: deleted by the environment's cleanup
  // hook, and left alone when the thread ends without one (process.exit).
  napi_ref tensorClass = nullptr;
  std::unordered_map<int64_t, Module> modules;
  int64_t next = 1;
};
thread_local std::unique_ptr<JitState> jitState;

JitState& state() {
  if (!jitState) throw OpError("the addon is not initialised on this thread");
  return *jitState;
}

Napi::Function tensorClass() {
  JitState& st = state();
  napi_value ctor = nullptr;
  if (st.tensorClass == nullptr || napi_get_reference_value(st.env, st.tensorClass, &ctor) != napi_ok || !ctor) {
    throw OpError("torch.jit is not initialised (lib/torch/jit.ts calls jitInit)");
  }
  return Napi::Function(st.env, ctor);
}

// A new id for `m`, a handle on the same native module (a submodule, say): what one id's
// dispose frees is that handle, so a submodule outlives the parent it was taken from, as in Python.
int64_t addModule(Module m) {
  JitState& st = state();
  const int64_t id = st.next++;
  st.modules.emplace(id, std::move(m));
  return id;
}

std::string originalName(const Module& m) { return m.type()->name() ? m.type()->name()->name() : std::string(); }

Module& moduleAt(const Args& a) {
  const Napi::Value v = a.info()[0];
  const int64_t id = v.IsNumber() ? v.As<Napi::Number>().Int64Value() : -1;
  auto& modules = state().modules;
  const auto it = modules.find(id);
  if (it == modules.end()) throw OpError("this ScriptModule was disposed");
  return it->second;
}

// ---- JavaScript -> IValue, typed by the schema

bool isTensor(const Napi::Value& v) { return v.IsObject() && v.As<Napi::Object>().InstanceOf(tensorClass()); }

// What a value is, in a schema mismatch: "got number", "got Tensor".
const char* jsKind(const Napi::Value& v) { return isTensor(v) ? "Tensor" : jsTypeName(v, false); }

bool isMap(const Napi::Value& v) {
  if (!v.IsObject() || v.IsArray()) return false;
  const Napi::Value ctor = v.Env().Global().Get("Map");
  return ctor.IsFunction() && v.As<Napi::Object>().InstanceOf(ctor.As<Napi::Function>());
}

// An object whose entries are a dict: not an array, a Tensor, a typed array or a function.
bool isPlainObject(const Napi::Value& v) {
  if (v.Type() != napi_object || v.IsArray() || v.IsTypedArray() || v.IsArrayBuffer() || v.IsBuffer()) return false;
  return !isTensor(v);
}

bool isIntegral(double d) { return std::isfinite(d) && std::nearbyint(d) == d && std::abs(d) <= 9.007199254740992e15; }

struct ToIValue {
  Napi::Env env;
  // What the messages call the value: a method's argument, or a module's attribute (setAttr).
  const char* noun = "argument";

  [[noreturn]] void mismatch(const std::string& path, const TypePtr& type, const Napi::Value& v,
                             const char* why = nullptr) const {
    std::string got = jsKind(v);
    if (v.IsNumber() && why) got = v.ToString().Utf8Value();
    throw ArgError(std::string(noun) + " '" + path + "' expects " + type->annotation_str() + ", got " + got +
                   (why ? std::string(" (") + why + ")" : ""));
  }

  at::Tensor tensor(const std::string& path, const TypePtr& type, const Napi::Value& v) const {
    if (!isTensor(v)) mismatch(path, type, v);
    const Napi::Value h = v.As<Napi::Object>().Get("_h");
    const int32_t handle = h.IsNumber() ? h.As<Napi::Number>().Int32Value() : -1;
    if (handle < 0) throw ArgError(std::string(noun) + " '" + path + "' is a disposed Tensor");
    return handles().get(handle);
  }

  // A str-keyed dict's entries, or a Map's.
  std::vector<std::pair<Napi::Value, Napi::Value>> entries(const Napi::Value& v) const {
    std::vector<std::pair<Napi::Value, Napi::Value>> out;
    if (isMap(v)) {
      const auto from = env.Global().Get("Array").As<Napi::Object>().Get("from").As<Napi::Function>();
      const auto pairs = from.Call({v}).As<Napi::Array>();
      for (uint32_t k = 0, n = pairs.Length(); k < n; k++) {
        const auto pair = pairs.Get(k).As<Napi::Array>();
        out.emplace_back(pair.Get(0u), pair.Get(1u));
      }
      return out;
    }
    napi_value names;
    NAPI_THROW_IF_FAILED(
        env,
        napi_get_all_property_names(env, v, napi_key_own_only,
                                    static_cast<napi_key_filter>(napi_key_enumerable | napi_key_skip_symbols),
                                    napi_key_numbers_to_strings, &names),
        out);
    const auto keys = Napi::Array(env, names);
    const auto obj = v.As<Napi::Object>();
    for (uint32_t k = 0, n = keys.Length(); k < n; k++) {
      const Napi::Value key = keys.Get(k);
      out.emplace_back(key, obj.Get(key));
    }
    return out;
  }

  IValue convert(const Napi::Value& v, const TypePtr& type, const std::string& path) const {
    return convert(v, type, path, type);
  }

  // `shown`: the type that an error names (an Optional's, when its element's check fails).
  IValue convert(const Napi::Value& v, const TypePtr& type, const std::string& path, const TypePtr& shown) const {
    switch (type->kind()) {
      case TypeKind::TensorType:
        return tensor(path, shown, v);
      case TypeKind::IntType: {
        if (!v.IsNumber()) mismatch(path, shown, v);
        const double d = v.As<Napi::Number>().DoubleValue();
        if (!isIntegral(d)) mismatch(path, shown, v, "not an integer");
        return static_cast<int64_t>(d);
      }
      case TypeKind::FloatType:
        if (!v.IsNumber()) mismatch(path, shown, v);
        return v.As<Napi::Number>().DoubleValue();
      case TypeKind::NumberType: {
        bool ok = false;
        const at::Scalar s = toScalar(v, &ok);
        if (!ok) mismatch(path, shown, v);
        return s;
      }
      case TypeKind::BoolType:
        if (!v.IsBoolean()) mismatch(path, shown, v);
        return v.As<Napi::Boolean>().Value();
      case TypeKind::StringType:
        if (!v.IsString()) mismatch(path, shown, v);
        return v.As<Napi::String>().Utf8Value();
      case TypeKind::DeviceObjType:
        if (!v.IsString()) mismatch(path, shown, v);
        return c10::Device(v.As<Napi::String>().Utf8Value());
      case TypeKind::NoneType:
        if (!v.IsNull() && !v.IsUndefined()) mismatch(path, shown, v);
        return IValue();
      case TypeKind::OptionalType:
        if (v.IsNull() || v.IsUndefined()) return IValue();
        return convert(v, type->castRaw<c10::OptionalType>()->getElementType(), path, type);
      case TypeKind::UnionType: {
        if (v.IsNull() || v.IsUndefined()) {
          if (type->castRaw<c10::UnionType>()->canHoldType(*c10::NoneType::get())) return IValue();
          mismatch(path, shown, v);
        }
        // TorchScript sorts a Union's members; a JavaScript number that is integral is an int
        // where the Union has one, as Python's 3 is.
        std::vector<TypePtr> members(type->containedTypes().begin(), type->containedTypes().end());
        std::stable_partition(members.begin(), members.end(),
                              [](const TypePtr& t) { return t->kind() == TypeKind::IntType; });
        for (const TypePtr& t : members) {
          try {
            return convert(v, t, path);
          } catch (const ArgError&) {
          }
        }
        mismatch(path, shown, v);
      }
      case TypeKind::ListType: {
        if (!v.IsArray()) mismatch(path, shown, v);
        const TypePtr& elem = type->castRaw<c10::ListType>()->getElementType();
        const auto arr = v.As<Napi::Array>();
        c10::impl::GenericList list(elem);
        list.reserve(arr.Length());
        for (uint32_t k = 0, n = arr.Length(); k < n; k++) {
          list.push_back(convert(arr.Get(k), elem, path + "[" + std::to_string(k) + "]"));
        }
        return list;
      }
      case TypeKind::TupleType: {
        if (!v.IsArray()) mismatch(path, shown, v);
        const auto* tt = type->castRaw<c10::TupleType>();
        const auto arr = v.As<Napi::Array>();
        const auto elems = tt->elements();
        if (arr.Length() != elems.size()) {
          throw ArgError(std::string(noun) + " '" + path + "' expects " + type->annotation_str() +
                         ", got an array of " + std::to_string(arr.Length()) + " elements");
        }
        std::vector<IValue> values;
        values.reserve(elems.size());
        for (uint32_t k = 0; k < elems.size(); k++) {
          values.push_back(convert(arr.Get(k), elems[k], path + "[" + std::to_string(k) + "]"));
        }
        if (tt->schema()) return c10::ivalue::Tuple::createNamed(std::move(values), type->expect<c10::TupleType>());
        return c10::ivalue::Tuple::create(std::move(values));
      }
      case TypeKind::DictType: {
        const auto* dt = type->castRaw<c10::DictType>();
        const TypePtr& keyType = dt->getKeyType();
        const TypePtr& valueType = dt->getValueType();
        const bool keysFromObject = keyType->kind() == TypeKind::StringType || keyType->kind() == TypeKind::IntType;
        if (!(isMap(v) || (keysFromObject && isPlainObject(v)))) mismatch(path, shown, v);
        c10::impl::GenericDict dict(keyType, valueType);
        const bool fromMap = isMap(v);
        for (const auto& [k, value] : entries(v)) {
          const std::string name = k.ToString().Utf8Value();
          IValue key;
          if (!fromMap && keyType->kind() == TypeKind::IntType) {
            // An object's keys are strings: {1: x} stands for {1: x} in Python.
            char* end = nullptr;
            const long long n = std::strtoll(name.c_str(), &end, 10);
            if (name.empty() || *end != '\0') {
              throw ArgError(std::string(noun) + " '" + path + "' expects " + type->annotation_str() +
                             ", got the key '" + name + "'");
            }
            key = static_cast<int64_t>(n);
          } else {
            key = convert(k, keyType, path + " (a key)");
          }
          dict.insert_or_assign(std::move(key), convert(value, valueType, path + "[" + name + "]"));
        }
        return dict;
      }
      case TypeKind::ScalarTypeType: {
        if (!v.IsString()) mismatch(path, shown, v);
        static const std::pair<const char*, at::ScalarType> names[] = {{"float32", at::kFloat},
                                                                       {"float", at::kFloat},
                                                                       {"float64", at::kDouble},
                                                                       {"double", at::kDouble},
                                                                       {"float16", at::kHalf},
                                                                       {"half", at::kHalf},
                                                                       {"bfloat16", at::kBFloat16},
                                                                       {"uint8", at::kByte},
                                                                       {"int8", at::kChar},
                                                                       {"int16", at::kShort},
                                                                       {"int32", at::kInt},
                                                                       {"int64", at::kLong},
                                                                       {"long", at::kLong},
                                                                       {"bool", at::kBool},
                                                                       {"complex64", at::kComplexFloat},
                                                                       {"cfloat", at::kComplexFloat},
                                                                       {"complex128", at::kComplexDouble},
                                                                       {"cdouble", at::kComplexDouble}};
        const std::string s = v.As<Napi::String>().Utf8Value();
        for (const auto& [n, t] : names) {
          if (s == n) return t;
        }
        throw ArgError(std::string(noun) + " '" + path + "' expects a dtype, got '" + s + "'");
      }
      case TypeKind::AnyType:
        return infer(v, path);
      default:
        throw ArgError(std::string(noun) + " '" + path + "' has the TorchScript type " + type->annotation_str() +
                       ", which JavaScript values cannot be converted to");
    }
  }

  // An `Any` argument: the value's own type.
  IValue infer(const Napi::Value& v, const std::string& path) const {
    if (v.IsNull() || v.IsUndefined()) return IValue();
    if (v.IsBoolean()) return v.As<Napi::Boolean>().Value();
    if (v.IsString()) return v.As<Napi::String>().Utf8Value();
    if (v.IsNumber()) {
      const double d = v.As<Napi::Number>().DoubleValue();
      if (isIntegral(d) && !(d == 0 && std::signbit(d))) return static_cast<int64_t>(d);
      return d;
    }
    if (isTensor(v)) return tensor(path, c10::TensorType::get(), v);
    if (v.IsArray()) {
      const auto arr = v.As<Napi::Array>();
      std::vector<IValue> values;
      for (uint32_t k = 0, n = arr.Length(); k < n; k++) {
        values.push_back(infer(arr.Get(k), path + "[" + std::to_string(k) + "]"));
      }
      return c10::ivalue::Tuple::create(std::move(values));
    }
    if (isPlainObject(v) && !isMap(v)) {
      c10::impl::GenericDict dict(c10::StringType::get(), c10::AnyType::get());
      for (const auto& [k, value] : entries(v)) {
        const std::string name = k.ToString().Utf8Value();
        dict.insert_or_assign(name, infer(value, path + "[" + name + "]"));
      }
      return dict;
    }
    throw ArgError(std::string(noun) + " '" + path + "' (Any) cannot be converted from " + std::string(jsKind(v)));
  }
};

// The stack for a method: the JavaScript arguments typed by its schema, bound as TorchScript
// binds Python's: positions first, then keywords (`kwargs`, a plain object or undefined), then
// defaults. An undefined value, by position or by keyword, is an argument not given.
std::vector<IValue> methodInputs(Napi::Env env, const c10::FunctionSchema& schema, const Napi::Array& args,
                                 const Napi::Value& kwargs) {
  const auto& params = schema.arguments();
  // A method's first argument is the module itself.
  const size_t first = !params.empty() && params[0].name() == "self" ? 1 : 0;
  const size_t count = params.size() - first;
  size_t positional = 0;
  while (positional < count && !params[first + positional].kwarg_only()) positional++;
  const auto names = [&](size_t n) {
    std::string out;
    for (size_t k = first; k < first + n; k++) out += (k > first ? ", " : "") + params[k].name();
    return out;
  };
  const uint32_t given = args.Length();
  if (given > positional) {
    throw ArgError("expected at most " + std::to_string(positional) + " argument" + (positional == 1 ? "" : "s") +
                   " (" + names(positional) + "), got " + std::to_string(given));
  }
  const ToIValue conv{env};
  std::vector<Napi::Value> values(count, env.Undefined());
  for (uint32_t k = 0; k < given; k++) values[k] = args.Get(k);
  if (kwargs.IsObject()) {
    for (const auto& [key, value] : conv.entries(kwargs)) {
      if (value.IsUndefined()) continue;
      const std::string name = key.ToString().Utf8Value();
      size_t k = 0;
      while (k < count && params[first + k].name() != name) k++;
      if (k == count) {
        throw ArgError("unknown keyword argument '" + name + "' (its arguments: " + names(count) + ")");
      }
      if (!values[k].IsUndefined()) {
        throw ArgError("argument '" + name + "' given both by position and by keyword");
      }
      values[k] = value;
    }
  }
  std::vector<IValue> stack;
  stack.reserve(count);
  for (size_t k = 0; k < count; k++) {
    const c10::Argument& p = params[first + k];
    const Napi::Value& v = values[k];
    if (v.IsUndefined() && p.default_value()) {
      stack.push_back(*p.default_value());
    } else if (v.IsUndefined() && p.type()->kind() != TypeKind::OptionalType && p.type()->kind() != TypeKind::AnyType &&
               !(p.type()->kind() == TypeKind::UnionType &&
                 p.type()->castRaw<c10::UnionType>()->canHoldType(*c10::NoneType::get()))) {
      throw ArgError("missing argument '" + p.name() + "' (" + p.type()->annotation_str() + ")");
    } else {
      stack.push_back(conv.convert(v, p.type(), p.name()));
    }
  }
  return stack;
}

// ---- IValue -> JavaScript

Napi::Value toJs(Napi::Env env, const IValue& v);

Napi::Value tensorToJs(Napi::Env env, const at::Tensor& t) {
  if (!t.defined()) return env.Null();
  const int32_t h = handles().put(t);
  return tensorClass().New({Napi::Number::New(env, h)});
}

Napi::Value toJs(Napi::Env env, const IValue& v) {
  if (v.isNone()) return env.Null();
  if (v.isTensor()) return tensorToJs(env, v.toTensor());
  if (v.isBool()) return Napi::Boolean::New(env, v.toBool());
  if (v.isInt()) {
    const int64_t i = v.toInt();
    if (i > 9007199254740991LL || i < -9007199254740991LL) {
      throw OpError("the result holds the int " + std::to_string(i) + ", beyond JavaScript's exact integers (2^53)");
    }
    return Napi::Number::New(env, static_cast<double>(i));
  }
  if (v.isDouble()) return Napi::Number::New(env, v.toDouble());
  if (v.isString()) return Napi::String::New(env, v.toStringRef());
  if (v.isDevice()) return Napi::String::New(env, v.toDevice().str());
  if (v.isTuple()) {
    const auto& elems = v.toTupleRef().elements();
    auto arr = Napi::Array::New(env, elems.size());
    for (uint32_t k = 0; k < elems.size(); k++) arr.Set(k, toJs(env, elems[k]));
    return arr;
  }
  if (v.isList()) {
    const auto list = v.toListRef();
    auto arr = Napi::Array::New(env, list.size());
    for (uint32_t k = 0; k < list.size(); k++) arr.Set(k, toJs(env, list[k]));
    return arr;
  }
  if (v.isGenericDict()) {
    const auto dict = v.toGenericDict();
    if (dict.keyType()->kind() == TypeKind::StringType) {
      // Defined, not assigned: a key such as "__proto__" is an ordinary property.
      auto obj = Napi::Object::New(env);
      std::vector<Napi::PropertyDescriptor> props;
      props.reserve(dict.size());
      for (const auto& e : dict) {
        props.push_back(Napi::PropertyDescriptor::Value(Napi::String::New(env, e.key().toStringRef()),
                                                        toJs(env, e.value()), napi_default_jsproperty));
      }
      if (!props.empty()) obj.DefineProperties(props);
      return obj;
    }
    const auto map = env.Global().Get("Map").As<Napi::Function>().New({});
    const auto set = map.Get("set").As<Napi::Function>();
    for (const auto& e : dict) set.Call(map, {toJs(env, e.key()), toJs(env, e.value())});
    return map;
  }
  if (v.isObject()) {
    throw OpError("the result holds a TorchScript object (" + v.type()->annotation_str() +
                  "), which cannot cross to JavaScript");
  }
  throw OpError("the result holds a value of TorchScript type " + v.type()->annotation_str() +
                ", which cannot cross to JavaScript");
}

// ---- entry points

// jitInit(Tensor): the class that results are made with.
Napi::Value jitInit(const Napi::CallbackInfo& info) {
  const Args a(info, "torch.jit");
  return run(a, [&]() -> Napi::Value {
    if (!info[0].IsFunction()) a.typeError(0, "Tensor", "a class");
    JitState& st = state();
    if (st.tensorClass) napi_delete_reference(st.env, st.tensorClass);
    st.tensorClass = nullptr;
    NAPI_THROW_IF_FAILED(a.env(), napi_create_reference(a.env(), info[0], 1, &st.tensorClass), Napi::Value());
    return a.none();
  });
}

// jitLoad(path, mapLocation?) -> the module's id
Napi::Value jitLoad(const Napi::CallbackInfo& info) {
  const Args a(info, "jit.load");
  return run(a, [&]() -> Napi::Value {
    const std::string path = a.string(0, "f");
    const std::optional<at::Device> device = a.optDevice(1, "mapLocation");
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw OpError("no such file: '" + path + "'");
    if (std::filesystem::is_directory(path, ec)) throw OpError("'" + path + "' is a directory");
    Module m;
    try {
      m = torch::jit::load(path, device);
    } catch (const c10::Error& e) {
      std::string why = e.what_without_backtrace();
      const auto miniz = why.find(". This is an internal miniz error");
      if (miniz != std::string::npos) why.erase(miniz);
      if (why.find("constants.pkl") != std::string::npos) {
        throw OpError("'" + path + "' holds no TorchScript code (" + why +
                      "): a checkpoint written by torch.save is read with torch.load");
      }
      throw OpError("'" + path + "' is not a TorchScript file that this libtorch can read (" + why + ")");
    }
    return Napi::Number::New(a.env(), static_cast<double>(addModule(std::move(m))));
  });
}

Napi::Value jitFree(const Napi::CallbackInfo& info) {
  if (jitState && info[0].IsNumber()) jitState->modules.erase(info[0].As<Napi::Number>().Int64Value());
  return info.Env().Undefined();
}

// jitRunMethod(id, name, args[], kwargs?) -> the method's result
Napi::Value jitRunMethod(const Napi::CallbackInfo& info) {
  handles().drainReleases();
  const std::string name = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "runMethod";
  const Args a(info, name.c_str());
  Napi::Value result = guard(a.env(), a.op, [&]() -> Napi::Value {
    Module& m = moduleAt(a);
    if (!info[2].IsArray()) a.typeError(2, "args", "an array");
    const std::optional<torch::jit::Method> method = m.find_method(name);
    if (!method) {
      std::string names;
      for (const auto& meth : m.get_methods()) names += (names.empty() ? "" : ", ") + meth.name();
      throw OpError("the ScriptModule has no method '" + name + "' (its methods: " + names + ")");
    }
    const Napi::Value kwargs = info[3];
    if (!kwargs.IsUndefined() && !isPlainObject(kwargs)) a.typeError(3, "kwargs", "a plain object");
    std::vector<IValue> stack =
        methodInputs(a.env(), method->function().getSchema(), info[2].As<Napi::Array>(), kwargs);
    IValue out = (*method)(std::move(stack));
    return toJs(a.env(), out);
  });
  reportExternalMemory(a.env());
  return result;
}

// jitMethods(id) -> [name, schema][]
Napi::Value jitMethods(const Napi::CallbackInfo& info) {
  const Args a(info, "ScriptModule.methods");
  return run(a, [&]() -> Napi::Value {
    const auto methods = moduleAt(a).get_methods();
    auto out = Napi::Array::New(a.env(), methods.size());
    for (uint32_t k = 0; k < methods.size(); k++) {
      auto pair = Napi::Array::New(a.env(), 2);
      pair.Set(0u, methods[k].name());
      std::ostringstream schema;
      schema << methods[k].function().getSchema();
      pair.Set(1u, schema.str());
      out.Set(k, pair);
    }
    return out;
  });
}

// jitInfo(id) -> [training, original name]
Napi::Value jitInfo(const Napi::CallbackInfo& info) {
  const Args a(info, "ScriptModule");
  return run(a, [&]() -> Napi::Value {
    const Module& m = moduleAt(a);
    auto out = Napi::Array::New(a.env(), 2);
    out.Set(0u, m.is_training());
    out.Set(1u, originalName(m));
    return out;
  });
}

Napi::Value jitTrain(const Napi::CallbackInfo& info) {
  const Args a(info, "ScriptModule.train");
  return run(a, [&]() -> Napi::Value {
    moduleAt(a).train(a.boolean(1, "mode"));
    return a.none();
  });
}

Napi::Value namedTensors(const Args& a, const std::vector<std::pair<std::string, at::Tensor>>& items) {
  auto names = Napi::Array::New(a.env(), items.size());
  auto tensors = Napi::Array::New(a.env(), items.size());
  for (uint32_t k = 0; k < items.size(); k++) {
    names.Set(k, items[k].first);
    tensors.Set(k, Napi::Number::New(a.env(), handles().put(items[k].second)));
  }
  auto out = Napi::Array::New(a.env(), 2);
  out.Set(0u, names);
  out.Set(1u, tensors);
  return out;
}

// jitNamed(id, what, recurse) -> [names, handles]: 0 parameters, 1 buffers, 2 the state dict
// (parameters then buffers of each module, then its children's, detached), as PyTorch orders them.
void collectState(const Module& m, const std::string& prefix, std::vector<std::pair<std::string, at::Tensor>>& out) {
  for (const auto& p : m.named_parameters(false)) out.emplace_back(prefix + p.name, p.value.detach());
  for (const auto& b : m.named_buffers(false)) out.emplace_back(prefix + b.name, b.value.detach());
  for (const auto& c : m.named_children()) collectState(c.value, prefix + c.name + ".", out);
}

Napi::Value jitNamed(const Napi::CallbackInfo& info) {
  const Args a(info, "ScriptModule.namedParameters");
  return run(a, [&]() -> Napi::Value {
    const Module& m = moduleAt(a);
    const int64_t what = a.int64(1, "what");
    const bool recurse = a.boolean(2, "recurse", true);
    std::vector<std::pair<std::string, at::Tensor>> items;
    // A tensor reachable under two names (one submodule registered twice) is listed once, under
    // the first, as Python's named_parameters does; the state dict keeps every name.
    std::unordered_set<const void*> seen;
    const auto add = [&](const std::string& name, const at::Tensor& t) {
      if (seen.insert(t.unsafeGetTensorImpl()).second) items.emplace_back(name, t);
    };
    if (what == 0) {
      for (const auto& p : m.named_parameters(recurse)) add(p.name, p.value);
    } else if (what == 1) {
      for (const auto& b : m.named_buffers(recurse)) add(b.name, b.value);
    } else {
      collectState(m, "", items);
    }
    return namedTensors(a, items);
  });
}

// jitTo(id, device?, dtype?, nonBlocking): as nn.Module.to: parameters, their gradients and
// buffers in place (tensors handed out before see the change); a dtype applies to floating-point
// tensors only.
Napi::Value jitTo(const Napi::CallbackInfo& info) {
  const Args a(info, "ScriptModule.to");
  return run(a, [&]() -> Napi::Value {
    Module& m = moduleAt(a);
    const std::optional<at::Device> device = a.optDevice(1, "device");
    const std::optional<at::ScalarType> dtype = a.optDtype(2, "dtype");
    const bool nonBlocking = a.boolean(3, "nonBlocking", false);
    const auto convert = [&](const at::Tensor& t) {
      const at::ScalarType st = dtype && t.is_floating_point() ? *dtype : t.scalar_type();
      return t.to(device.value_or(t.device()), st, nonBlocking, false);
    };
    const c10::AutoGradMode noGrad(false);
    for (const at::Tensor& p : m.parameters(true)) {
      const at::Tensor moved = convert(p);
      if (!moved.is_same(p)) p.set_data(moved);
      if (p.grad().defined()) {
        const at::Tensor g = convert(p.grad());
        if (!g.is_same(p.grad())) p.mutable_grad() = g;
      }
    }
    for (const at::Tensor& b : m.buffers(true)) {
      const at::Tensor moved = convert(b);
      if (!moved.is_same(b)) b.set_data(moved);
    }
    return a.none();
  });
}

// jitSave(id, path)
Napi::Value jitSave(const Napi::CallbackInfo& info) {
  const Args a(info, "jit.save");
  return run(a, [&]() -> Napi::Value {
    const Module& m = moduleAt(a);
    m.save(a.string(1, "f"));
    return a.none();
  });
}

// ---- submodules and attributes

// jitChildren(id, recurse) -> [names, ids]: the children, or (recurse) every module below this
// one under its dotted name, depth first (Python's named_modules less the root; a submodule
// registered under two names is listed under both there too).
void collectModules(const Module& m, const std::string& prefix, bool recurse,
                    std::vector<std::pair<std::string, Module>>& out) {
  for (const auto& c : m.named_children()) {
    out.emplace_back(prefix + c.name, c.value);
    if (recurse) collectModules(c.value, prefix + c.name + ".", true, out);
  }
}

Napi::Value jitChildren(const Napi::CallbackInfo& info) {
  const Args a(info, "ScriptModule.namedChildren");
  return run(a, [&]() -> Napi::Value {
    std::vector<std::pair<std::string, Module>> items;
    collectModules(moduleAt(a), "", a.boolean(1, "recurse"), items);
    auto names = Napi::Array::New(a.env(), items.size());
    auto ids = Napi::Array::New(a.env(), items.size());
    for (uint32_t k = 0; k < items.size(); k++) {
      names.Set(k, items[k].first);
      ids.Set(k, Napi::Number::New(a.env(), static_cast<double>(addModule(items[k].second))));
    }
    auto out = Napi::Array::New(a.env(), 2);
    out.Set(0u, names);
    out.Set(1u, ids);
    return out;
  });
}

// jitSubmodule(id, 'a.b') -> id
Napi::Value jitSubmodule(const Napi::CallbackInfo& info) {
  const Args a(info, "getSubmodule");
  return run(a, [&]() -> Napi::Value {
    Module cur = moduleAt(a);
    const std::string target = a.string(1, "target");
    std::string at;
    size_t pos = 0;
    while (true) {
      const size_t dot = target.find('.', pos);
      const std::string atom = target.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
      const std::string where = at.empty() ? "the module" : "'" + at + "'";
      if (!cur.hasattr(atom)) {
        throw OpError(where + " (" + originalName(cur) + ") has no attribute '" + atom + "'");
      }
      const IValue v = cur.attr(atom);
      at += (at.empty() ? "" : ".") + atom;
      if (!v.isModule()) throw OpError("'" + at + "' is not a module (it is a " + v.type()->annotation_str() + ")");
      cur = v.toModule();
      if (dot == std::string::npos) break;
      pos = dot + 1;
    }
    return Napi::Number::New(a.env(), static_cast<double>(addModule(cur)));
  });
}

std::string attributeNames(const Module& m) {
  std::string out;
  const auto& type = m.type();
  for (size_t k = 0; k < type->numAttributes(); k++) out += (k ? ", " : "") + type->getAttributeName(k);
  for (size_t k = 0; k < type->numConstants(); k++) out += (out.empty() ? "" : ", ") + type->getConstantName(k);
  return out;
}

[[noreturn]] void noAttribute(const Module& m, const std::string& name) {
  throw OpError("the ScriptModule (" + originalName(m) + ") has no attribute '" + name +
                "' (its attributes: " + attributeNames(m) + ")");
}

// jitHasAttr(id, name): an attribute (parameters, buffers and submodules are attributes too) or
// a constant (`Final` in Python).
Napi::Value jitHasAttr(const Napi::CallbackInfo& info) {
  const Args a(info, "hasAttr");
  return run(a, [&]() -> Napi::Value {
    const Module& m = moduleAt(a);
    const std::string name = a.string(1, "name");
    return Napi::Boolean::New(a.env(), m.hasattr(name) || m.type()->hasConstant(name));
  });
}

// jitGetAttr(id, name) -> [0, value] or [1, a submodule's id]
Napi::Value jitGetAttr(const Napi::CallbackInfo& info) {
  const Args a(info, "getAttr");
  return run(a, [&]() -> Napi::Value {
    const Module& m = moduleAt(a);
    const std::string name = a.string(1, "name");
    IValue v;
    if (m.hasattr(name)) {
      v = m.attr(name);
    } else if (m.type()->hasConstant(name)) {
      v = m.type()->getConstant(name);
    } else {
      noAttribute(m, name);
    }
    auto out = Napi::Array::New(a.env(), 2);
    if (v.isModule()) {
      out.Set(0u, 1);
      out.Set(1u, Napi::Number::New(a.env(), static_cast<double>(addModule(v.toModule()))));
    } else {
      out.Set(0u, 0);
      out.Set(1u, toJs(a.env(), v));
    }
    return out;
  });
}

// jitSetAttr(id, name, value): an existing attribute, with the value converted by the
// attribute's declared type (as a method's argument would be).
Napi::Value jitSetAttr(const Napi::CallbackInfo& info) {
  const Args a(info, "setAttr");
  return run(a, [&]() -> Napi::Value {
    Module& m = moduleAt(a);
    const std::string name = a.string(1, "name");
    const TypePtr type = m.type()->findAttribute(name);
    if (!type) {
      if (m.type()->hasConstant(name)) throw OpError("'" + name + "' is a constant (Final), which cannot change");
      noAttribute(m, name);
    }
    if (type->kind() == TypeKind::ClassType && type->castRaw<c10::ClassType>()->is_module()) {
      throw OpError("'" + name + "' is a submodule (" + type->annotation_str() +
                    "): change its attributes, replacing it is not supported");
    }
    m.setattr(name, ToIValue{a.env(), "attribute"}.convert(info[2], type, name));
    return a.none();
  });
}

// jitRepr(id): Python's repr of a RecursiveScriptModule, word for word.
std::string reprOf(const Module& m) {
  std::string children;
  for (const auto& c : m.named_children()) {
    std::string sub = reprOf(c.value);
    // Python's _addindent: every line but the first moves 2 to the right.
    for (size_t at = sub.find('\n'); at != std::string::npos; at = sub.find('\n', at + 1)) sub.insert(at + 1, "  ");
    children += "\n  (" + c.name + "): " + sub;
  }
  const std::string extra = "original_name=" + originalName(m);
  if (children.empty()) return "RecursiveScriptModule(" + extra + ")";
  return "RecursiveScriptModule(\n  " + extra + children + "\n)";
}

Napi::Value jitRepr(const Napi::CallbackInfo& info) {
  const Args a(info, "ScriptModule.toString");
  return run(a, [&]() -> Napi::Value { return Napi::String::New(a.env(), reprOf(moduleAt(a))); });
}

// jitCode(id, method): the method's TorchScript source, as Python's `m.code` prints forward's.
Napi::Value jitCode(const Napi::CallbackInfo& info) {
  const Args a(info, "ScriptModule.code");
  return run(a, [&]() -> Napi::Value {
    const Module& m = moduleAt(a);
    const std::string name = a.string(1, "method");
    const std::optional<torch::jit::Method> method = m.find_method(name);
    if (!method) throw OpError("the ScriptModule (" + originalName(m) + ") has no method '" + name + "'");
    std::vector<IValue> constants;
    torch::jit::PrintDepsTable deps;
    torch::jit::PythonPrint printer(constants, deps);
    printer.printMethod(method->function());
    return Napi::String::New(a.env(), printer.str());
  });
}

}  // namespace

int64_t jitAddModule(Module m) { return addModule(std::move(m)); }
bool jitIsTensor(const Napi::Value& v) { return isTensor(v); }
Napi::Value jitTensorToJs(Napi::Env env, const at::Tensor& t) { return tensorToJs(env, t); }

Napi::Value jitValueToJs(Napi::Env env, const IValue& v) { return toJs(env, v); }

void registerJit(Napi::Env env, Napi::Object exports) {
  jitState = std::make_unique<JitState>();
  jitState->env = env;
  // Modules die with their environment (a worker's exit, the main thread's teardown), before
  // libtorch's own statics.
  env.AddCleanupHook([] {
    if (!jitState) return;
    if (jitState->tensorClass) napi_delete_reference(jitState->env, jitState->tensorClass);
    jitState.reset();
  });
  const std::pair<const char*, Napi::Function::Callback> fns[] = {
      {"jitInit", jitInit},           {"jitLoad", jitLoad},         {"jitFree", jitFree},
      {"jitRunMethod", jitRunMethod}, {"jitMethods", jitMethods},   {"jitInfo", jitInfo},
      {"jitTrain", jitTrain},         {"jitNamed", jitNamed},       {"jitTo", jitTo},
      {"jitSave", jitSave},           {"jitChildren", jitChildren}, {"jitSubmodule", jitSubmodule},
      {"jitHasAttr", jitHasAttr},     {"jitGetAttr", jitGetAttr},   {"jitSetAttr", jitSetAttr},
      {"jitRepr", jitRepr},           {"jitCode", jitCode},
  };
  for (const auto& [name, fn] : fns) exports.Set(name, Napi::Function::New(env, fn, name));
  registerJitTrace(env, exports);
}

}  // namespace tn
