#include "args.h"

#include <ATen/ScalarOps.h>
#include <c10/core/impl/DeviceGuardImplInterface.h>

#include <cmath>
#include <cstring>

#include "generator.h"

namespace tn {

namespace {

const char* jsTypeNameWithArticle(const Napi::Value& v) {
  switch (v.Type()) {
    case napi_undefined:
      return "undefined";
    case napi_null:
      return "null";
    case napi_boolean:
      return "a boolean";
    case napi_number:
      return "a number";
    case napi_string:
      return "a string";
    case napi_symbol:
      return "a symbol";
    case napi_object:
      return v.IsArray() ? "an array" : "an object";
    case napi_function:
      return "a function";
    case napi_bigint:
      return "a bigint";
    default:
      return "an external value";
  }
}

constexpr int32_t kScalarInSecondSlot = -2;

}  // namespace

const char* jsTypeName(const Napi::Value& v, bool article) {
  const char* name = jsTypeNameWithArticle(v);
  if (article) return name;
  // The same literal past its article: "a number" -> "number".
  if (std::strncmp(name, "a ", 2) == 0) return name + 2;
  if (std::strncmp(name, "an ", 3) == 0) return name + 3;
  return name;
}

void Args::typeError(size_t i, const char* name, const char* expected) const {
  const Napi::Value v = i < info_.Length() ? info_[i] : env().Undefined();
  throw ArgError(std::string("argument '") + name + "' must be " + expected + ", got " + jsTypeName(v));
}

const at::Tensor& Args::tensor(size_t i, const char* name) const {
  // One N-API call on the hot path: the status says whether it was a number.
  int32_t h;
  if (napi_get_value_int32(info_.Env(), info_[i], &h) != napi_ok) typeError(i, name, "a Tensor");
  return handles().get(h);
}

std::optional<at::Tensor> Args::optTensor(size_t i, const char* name) const {
  if (!has(i)) return std::nullopt;
  return tensor(i, name);
}

c10::MaybeOwned<at::Tensor> Args::tensorOrScalar(size_t i, const char* name) const {
  int32_t h;
  if (napi_get_value_int32(info_.Env(), info_[i], &h) != napi_ok) typeError(i, name, "a Tensor or a number");
  if (h != kScalarInSecondSlot) return c10::MaybeOwned<at::Tensor>::borrowed(handles().get(h));
  bool ok = false;
  const at::Scalar s = toScalar(info_[i + 1], &ok);
  if (!ok) typeError(i + 1, name, "a Tensor or a number");
  // Python's rule: a bare number takes part in type promotion as a "wrapped number", so
  // float32 * 2 stays float32 and int64 + 3 stays int64.
  return c10::MaybeOwned<at::Tensor>::owned(at::native::wrapped_scalar_tensor(s));
}

OptTensorOrScalar Args::optTensorOrScalar(size_t i, const char* name) const {
  int32_t h;
  if (napi_get_value_int32(info_.Env(), info_[i], &h) != napi_ok) typeError(i, name, "a Tensor, a number or null");
  if (h != kScalarInSecondSlot) return {handles().get(h), std::nullopt};
  if (!has(i + 1)) return {};
  bool ok = false;
  const at::Scalar s = toScalar(info_[i + 1], &ok);
  if (!ok) typeError(i + 1, name, "a Tensor, a number or null");
  return {std::nullopt, s};
}

std::vector<at::Tensor> Args::tensorList(size_t i, const char* name) const {
  const Napi::Value v = info_[i];
  if (!v.IsArray()) typeError(i, name, "an array of Tensors");
  const auto arr = v.As<Napi::Array>();
  const uint32_t n = arr.Length();
  std::vector<at::Tensor> out;
  out.reserve(n);
  for (uint32_t k = 0; k < n; k++) {
    const Napi::Value e = arr[k];
    if (!e.IsNumber()) typeError(i, name, "an array of Tensors");
    out.push_back(handles().get(e.As<Napi::Number>().Int32Value()));
  }
  return out;
}

c10::List<std::optional<at::Tensor>> Args::optTensorList(size_t i, const char* name) const {
  const Napi::Value v = info_[i];
  if (!v.IsArray()) typeError(i, name, "an array of Tensors or nulls");
  const auto arr = v.As<Napi::Array>();
  c10::List<std::optional<at::Tensor>> out;
  for (uint32_t k = 0, n = arr.Length(); k < n; k++) {
    const Napi::Value e = arr[k];
    if (e.IsNull() || e.IsUndefined()) {
      out.push_back(std::nullopt);
    } else if (e.IsNumber()) {
      out.push_back(handles().get(e.As<Napi::Number>().Int32Value()));
    } else {
      typeError(i, name, "an array of Tensors or nulls");
    }
  }
  return out;
}

at::Scalar toScalar(const Napi::Value& v, bool* ok) {
  *ok = true;
  if (v.IsNumber()) {
    const double d = v.As<Napi::Number>().DoubleValue();
    // -0 is a float in JavaScript (no integer has a sign bit): keep it one, as PyTorch keeps -0.0.
    const bool isInt = std::nearbyint(d) == d && std::abs(d) < 9.007199254740992e15 && !(d == 0 && std::signbit(d));
    if (isInt) return at::Scalar(static_cast<int64_t>(d));
    return at::Scalar(d);
  }
  if (v.IsBoolean()) return at::Scalar(v.As<Napi::Boolean>().Value());
  *ok = false;
  return at::Scalar();
}

at::Scalar Args::scalar(size_t i, const char* name) const {
  bool ok = false;
  at::Scalar s = toScalar(info_[i], &ok);
  if (!ok) typeError(i, name, "a number or a boolean");
  return s;
}

std::optional<at::Scalar> Args::optScalar(size_t i, const char* name) const {
  if (!has(i)) return std::nullopt;
  return scalar(i, name);
}

int64_t Args::int64(size_t i, const char* name) const {
  const Napi::Value v = info_[i];
  if (!v.IsNumber()) typeError(i, name, "an integer");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::nearbyint(d) != d || std::abs(d) > 9.2e18) typeError(i, name, "an integer");
  return static_cast<int64_t>(d);
}

std::optional<int64_t> Args::optInt64(size_t i, const char* name) const {
  if (!has(i)) return std::nullopt;
  return int64(i, name);
}

double Args::float64(size_t i, const char* name) const {
  const Napi::Value v = info_[i];
  if (!v.IsNumber()) typeError(i, name, "a number");
  return v.As<Napi::Number>().DoubleValue();
}

std::optional<double> Args::optFloat64(size_t i, const char* name) const {
  if (!has(i)) return std::nullopt;
  return float64(i, name);
}

bool Args::boolean(size_t i, const char* name) const {
  const Napi::Value v = info_[i];
  if (!v.IsBoolean()) typeError(i, name, "a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::optional<bool> Args::optBoolean(size_t i, const char* name) const {
  if (!has(i)) return std::nullopt;
  return boolean(i, name);
}

IntList Args::intList(size_t i, const char* name, size_t expand) const {
  const Napi::Value v = info_[i];
  IntList out;
  if (v.IsNumber()) {
    out.assign(expand > 0 ? expand : 1, int64(i, name));
    return out;
  }
  if (!v.IsArray()) typeError(i, name, "an array of integers");
  const auto arr = v.As<Napi::Array>();
  for (uint32_t k = 0, n = arr.Length(); k < n; k++) {
    const Napi::Value e = arr[k];
    if (!e.IsNumber()) typeError(i, name, "an array of integers");
    const double d = e.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d) || std::nearbyint(d) != d || std::abs(d) > 9.2e18) typeError(i, name, "an array of integers");
    out.push_back(static_cast<int64_t>(d));
  }
  if (expand > 1 && out.size() == 1) out.assign(expand, out[0]);
  return out;
}

std::optional<IntList> Args::optIntList(size_t i, const char* name, size_t expand) const {
  if (!has(i)) return std::nullopt;
  return intList(i, name, expand);
}

std::vector<double> Args::floatList(size_t i, const char* name) const {
  const Napi::Value v = info_[i];
  std::vector<double> out;
  if (v.IsNumber()) {
    out.push_back(v.As<Napi::Number>().DoubleValue());
    return out;
  }
  if (!v.IsArray()) typeError(i, name, "an array of numbers");
  const auto arr = v.As<Napi::Array>();
  for (uint32_t k = 0, n = arr.Length(); k < n; k++) {
    const Napi::Value e = arr[k];
    if (!e.IsNumber()) typeError(i, name, "an array of numbers");
    out.push_back(e.As<Napi::Number>().DoubleValue());
  }
  return out;
}

std::optional<std::vector<double>> Args::optFloatList(size_t i, const char* name) const {
  if (!has(i)) return std::nullopt;
  return floatList(i, name);
}

at::ScalarType Args::dtype(size_t i, const char* name) const {
  const Napi::Value v = info_[i];
  if (!v.IsNumber()) typeError(i, name, "a dtype");
  const int32_t code = v.As<Napi::Number>().Int32Value();
  if (code < 0 || code >= static_cast<int32_t>(at::ScalarType::NumOptions)) typeError(i, name, "a dtype");
  return static_cast<at::ScalarType>(code);
}

std::optional<at::ScalarType> Args::optDtype(size_t i, const char* name) const {
  if (!has(i)) return std::nullopt;
  return dtype(i, name);
}

at::Device Args::device(size_t i, const char* name) const {
  const Napi::Value v = info_[i];
  if (!v.IsString()) typeError(i, name, "a device string such as 'cpu' or 'cuda:0'");
  const std::string s = v.As<Napi::String>().Utf8Value();
  at::Device d(at::kCPU);
  try {
    d = at::Device(s);
  } catch (const c10::Error&) {
    throw OpError("invalid device '" + s + "': expected 'cpu', 'cuda' or 'cuda:N'");
  }
  if (d.is_cuda()) {
    if (!c10::impl::hasDeviceGuardImpl(at::kCUDA)) {
      throw OpError("CUDA is not available: this build of libtorch has no CUDA support (device '" + s + "')");
    }
    if (c10::impl::getDeviceGuardImpl(at::kCUDA)->deviceCount() == 0) {
      throw OpError("CUDA is not available: no CUDA device was found (device '" + s + "')");
    }
  }
  return d;
}

std::optional<at::Device> Args::optDevice(size_t i, const char* name) const {
  if (!has(i)) return std::nullopt;
  return device(i, name);
}

std::string Args::string(size_t i, const char* name) const {
  const Napi::Value v = info_[i];
  if (!v.IsString()) typeError(i, name, "a string");
  return v.As<Napi::String>().Utf8Value();
}

std::optional<std::string> Args::optString(size_t i, const char* name) const {
  if (!has(i)) return std::nullopt;
  return string(i, name);
}

int64_t Args::reduction(size_t i, const char* name) const {
  if (!has(i)) return at::Reduction::Mean;
  const std::string s = string(i, name);
  if (s == "mean") return at::Reduction::Mean;
  if (s == "sum") return at::Reduction::Sum;
  if (s == "none") return at::Reduction::None;
  throw ArgError(std::string("argument '") + name + "' must be 'mean', 'sum' or 'none', got '" + s + "'");
}

at::MemoryFormat Args::memoryFormat(size_t i, const char* name) const {
  const std::string s = string(i, name);
  if (s == "contiguousFormat") return at::MemoryFormat::Contiguous;
  if (s == "channelsLast") return at::MemoryFormat::ChannelsLast;
  if (s == "preserveFormat") return at::MemoryFormat::Preserve;
  throw ArgError(std::string("argument '") + name +
                 "' must be 'contiguousFormat', 'channelsLast' or 'preserveFormat', got '" + s + "'");
}

std::optional<at::MemoryFormat> Args::optMemoryFormat(size_t i, const char* name) const {
  if (!has(i)) return std::nullopt;
  return memoryFormat(i, name);
}

std::optional<at::Generator> Args::optGenerator(size_t i, const char* name) const {
  if (!has(i)) return std::nullopt;
  at::Generator* g = generatorOf(info_[i]);
  if (g == nullptr) typeError(i, name, "a Generator");
  return *g;
}

Napi::Value Args::ret(at::Tensor t) const {
  if (!t.defined()) return env().Null();
  napi_value out;
  napi_create_int32(env(), handles().put(std::move(t)), &out);
  return Napi::Value(env(), out);
}

Napi::Value Args::ret(const std::vector<at::Tensor>& ts) const {
  auto arr = Napi::Array::New(env(), ts.size());
  for (uint32_t k = 0; k < ts.size(); k++) arr[k] = ret(ts[k]);
  return arr;
}

Napi::Value Args::ret(const at::Scalar& s) const {
  if (s.isBoolean()) return Napi::Boolean::New(env(), s.toBool());
  if (s.isIntegral(false)) return Napi::Number::New(env(), static_cast<double>(s.toLong()));
  return Napi::Number::New(env(), s.toDouble());
}

}  // namespace tn
