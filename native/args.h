// Reading JavaScript arguments into ATen's types, and writing results back.
//
// Conventions shared with lib/ (the TypeScript side passes exactly these):
//   Tensor          a handle (int32); -1 is a disposed tensor
//   Tensor?         a handle, or undefined/null
//   Tensor|Scalar   two slots: a handle or -2, then the number/boolean when the handle is -2
//   Tensor[]        an array of handles
//   Scalar          a number (integral values become int64 scalars) or a boolean
//   int[]           an array of numbers, or one number
//   ScalarType      a dtype code (c10::ScalarType's value)
//   Device          a string: 'cpu', 'cuda', 'cuda:1'
//   Generator       the External that native/generator.cpp made
//   undefined       the argument's default
#pragma once
#include <ATen/ATen.h>
#include <c10/util/SmallVector.h>
#include <napi.h>

#include <optional>
#include <string>
#include <vector>

#include "errors.h"
#include "handles.h"

namespace tn {

using IntList = c10::SmallVector<int64_t, 6>;

// An optional argument that may be a Tensor or a number (`Tensor|Scalar?` in ops.table): at most
// one of the two is set.
struct OptTensorOrScalar {
  std::optional<at::Tensor> tensor;
  std::optional<at::Scalar> scalar;
  bool given() const { return tensor.has_value() || scalar.has_value(); }
};

class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* op) : info_(info), op(op) {}

  const Napi::CallbackInfo& info() const { return info_; }
  Napi::Env env() const { return info_.Env(); }
  bool has(size_t i) const {
    if (i >= info_.Length()) return false;
    napi_valuetype t;
    napi_typeof(info_.Env(), info_[i], &t);
    return t != napi_undefined && t != napi_null;
  }

  const at::Tensor& tensor(size_t i, const char* name) const;
  std::optional<at::Tensor> optTensor(size_t i, const char* name) const;
  // The tensor borrowed from its slot, or a new wrapped number.
  c10::MaybeOwned<at::Tensor> tensorOrScalar(size_t i, const char* name) const;
  // A Tensor, a number, or nothing (null or undefined).
  OptTensorOrScalar optTensorOrScalar(size_t i, const char* name) const;
  std::vector<at::Tensor> tensorList(size_t i, const char* name) const;
  c10::List<std::optional<at::Tensor>> optTensorList(size_t i, const char* name) const;

  at::Scalar scalar(size_t i, const char* name) const;
  at::Scalar scalar(size_t i, const char* name, const at::Scalar& dflt) const {
    return has(i) ? scalar(i, name) : dflt;
  }
  std::optional<at::Scalar> optScalar(size_t i, const char* name) const;
  int64_t int64(size_t i, const char* name) const;
  int64_t int64(size_t i, const char* name, int64_t dflt) const { return has(i) ? int64(i, name) : dflt; }
  std::optional<int64_t> optInt64(size_t i, const char* name) const;
  double float64(size_t i, const char* name) const;
  double float64(size_t i, const char* name, double dflt) const { return has(i) ? float64(i, name) : dflt; }
  std::optional<double> optFloat64(size_t i, const char* name) const;
  bool boolean(size_t i, const char* name) const;
  bool boolean(size_t i, const char* name, bool dflt) const { return has(i) ? boolean(i, name) : dflt; }
  std::optional<bool> optBoolean(size_t i, const char* name) const;
  // `expand` > 0: a single number (or one-element list) stands for that many copies, as
  // PyTorch's `int[2] stride=1` does.
  IntList intList(size_t i, const char* name, size_t expand = 0) const;
  std::optional<IntList> optIntList(size_t i, const char* name, size_t expand = 0) const;
  std::vector<double> floatList(size_t i, const char* name) const;
  std::optional<std::vector<double>> optFloatList(size_t i, const char* name) const;
  at::ScalarType dtype(size_t i, const char* name) const;
  std::optional<at::ScalarType> optDtype(size_t i, const char* name) const;
  at::Device device(size_t i, const char* name) const;
  std::optional<at::Device> optDevice(size_t i, const char* name) const;
  std::string string(size_t i, const char* name) const;
  std::string string(size_t i, const char* name, const char* dflt) const { return has(i) ? string(i, name) : dflt; }
  std::optional<std::string> optString(size_t i, const char* name) const;
  int64_t reduction(size_t i, const char* name) const;
  at::MemoryFormat memoryFormat(size_t i, const char* name) const;
  std::optional<at::MemoryFormat> optMemoryFormat(size_t i, const char* name) const;
  // A Generator (lib/torch/generator.ts), or nothing: the op then draws from the default one.
  std::optional<at::Generator> optGenerator(size_t i, const char* name) const;

  // Results.
  Napi::Value ret(at::Tensor t) const;
  Napi::Value ret(const std::vector<at::Tensor>& ts) const;
  template <class... T>
  Napi::Value ret(const std::tuple<T...>& ts) const {
    auto arr = Napi::Array::New(env(), sizeof...(T));
    uint32_t k = 0;
    std::apply([&](const auto&... t) { ((arr[k++] = ret(t)), ...); }, ts);
    return arr;
  }
  Napi::Value ret(const at::Scalar& s) const;
  Napi::Value ret(double v) const { return Napi::Number::New(env(), v); }
  Napi::Value ret(int64_t v) const { return Napi::Number::New(env(), static_cast<double>(v)); }
  Napi::Value ret(bool v) const { return Napi::Boolean::New(env(), v); }
  Napi::Value none() const { return env().Undefined(); }

  [[noreturn]] void typeError(size_t i, const char* name, const char* expected) const;

 private:
  const Napi::CallbackInfo& info_;

 public:
  const char* op;
};

// Runs an op body: converts libtorch's exceptions, and tells V8 about native memory that the
// op's results hold, in batches so that the common case costs nothing.
template <class F>
Napi::Value run(const Args& a, F&& body) {
  handles().drainReleases();
  Napi::Value result = guard(a.env(), a.op, std::forward<F>(body));
  reportExternalMemory(a.env());
  return result;
}

// What a JavaScript value is, for messages: "a number", "an array" (`article` false: "number").
const char* jsTypeName(const Napi::Value& v, bool article = true);

// A JavaScript number as ATen's Scalar: integral values are int64 (so int64 + 3 stays int64).
at::Scalar toScalar(const Napi::Value& v, bool* ok);

}  // namespace tn
