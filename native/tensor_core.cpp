// The hand-written part of the Tensor binding: handles, metadata, moving data between
// JavaScript memory and tensors, devices and dtypes. Ops come from native/generated/.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <napi.h>
// Where TORCH_VERSION is declared moved in libtorch 2.9; older headers keep it in torch/.
#if __has_include(<torch/headeronly/version.h>)
#include <torch/headeronly/version.h>
#else
#include <torch/version.h>
#endif

#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "args.h"
#include "bindings.h"

namespace tn {

namespace {

Napi::Value freeHandle(const Napi::CallbackInfo& info) {
  handles().release(info[0].As<Napi::Number>().Int32Value());
  reportExternalMemory(info.Env());
  return info.Env().Undefined();
}

// Frees what dispose() queued (lib/torch/lifetime.ts), when JavaScript cannot wait for the
// next op to do it.
Napi::Value drainReleases(const Napi::CallbackInfo& info) {
  handles().drainReleases();
  reportExternalMemory(info.Env());
  return info.Env().Undefined();
}

Napi::Value shape(const Napi::CallbackInfo& info) {
  const Args a(info, "shape");
  return run(a, [&]() -> Napi::Value {
    const auto sizes = a.tensor(0, "self").sizes();
    auto arr = Napi::Array::New(a.env(), sizes.size());
    for (uint32_t k = 0; k < sizes.size(); k++) arr[k] = Napi::Number::New(a.env(), static_cast<double>(sizes[k]));
    return arr;
  });
}

Napi::Value stride(const Napi::CallbackInfo& info) {
  const Args a(info, "stride");
  return run(a, [&]() -> Napi::Value {
    const auto strides = a.tensor(0, "self").strides();
    auto arr = Napi::Array::New(a.env(), strides.size());
    for (uint32_t k = 0; k < strides.size(); k++) arr[k] = Napi::Number::New(a.env(), static_cast<double>(strides[k]));
    return arr;
  });
}

Napi::Value dtype(const Napi::CallbackInfo& info) {
  const Args a(info, "dtype");
  return run(a, [&]() -> Napi::Value {
    return Napi::Number::New(a.env(), static_cast<int>(a.tensor(0, "self").scalar_type()));
  });
}

Napi::Value device(const Napi::CallbackInfo& info) {
  const Args a(info, "device");
  return run(a, [&]() -> Napi::Value { return Napi::String::New(a.env(), a.tensor(0, "self").device().str()); });
}

// The device as a number, (type << 8) | (index + 1): what Tensor.device maps to its name, so
// that reading a tensor's device makes no string (a training step reads it a few times).
Napi::Value deviceCode(const Napi::CallbackInfo& info) {
  const Args a(info, "device");
  return run(a, [&]() -> Napi::Value {
    const at::Device d = a.tensor(0, "self").device();
    return Napi::Number::New(a.env(), (static_cast<int>(d.type()) << 8) | (d.index() + 1));
  });
}

// Several cheap properties in one call, `which` choosing one; errors name the property.
constexpr const char* kFlagNames[] = {"numel",  "dim",      "requiresGrad", "isContiguous",
                                      "isLeaf", "isPinned", "elementSize"};

Napi::Value flags(const Napi::CallbackInfo& info) {
  const int which = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : -1;
  const Args a(info, which >= 0 && which < 7 ? kFlagNames[which] : "flags");
  return run(a, [&]() -> Napi::Value {
    const at::Tensor& t = a.tensor(0, "self");
    const auto env = a.env();
    switch (a.int64(1, "which")) {
      case 0:
        return Napi::Number::New(env, static_cast<double>(t.numel()));
      case 1:
        return Napi::Number::New(env, static_cast<double>(t.dim()));
      case 2:
        return Napi::Boolean::New(env, t.requires_grad());
      case 3:
        return Napi::Boolean::New(env, t.is_contiguous());
      case 4:
        return Napi::Boolean::New(env, t.is_leaf());
      case 5:
        return Napi::Boolean::New(env, t.is_pinned());
      case 6:
        return Napi::Number::New(env, static_cast<double>(t.element_size()));
      default:
        throw OpError("unknown flag");
    }
  });
}

at::ScalarType typedArrayScalarType(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array:
      return at::kChar;
    case napi_uint8_array:
    case napi_uint8_clamped_array:
      return at::kByte;
    case napi_int16_array:
      return at::kShort;
    case napi_int32_array:
      return at::kInt;
    case napi_float32_array:
      return at::kFloat;
    case napi_float64_array:
      return at::kDouble;
    case napi_bigint64_array:
      return at::kLong;
    default:
      throw ArgError("Uint16Array, Uint32Array and BigUint64Array have no tensor dtype");
  }
}

// The first byte of a typed array's elements. Unlike TypedArray::ArrayBuffer().Data(), which
// accepts only an ArrayBuffer, this works for views of a SharedArrayBuffer too.
uint8_t* typedArrayData(const Napi::TypedArray& ta) {
  void* data = nullptr;
  const napi_status status = napi_get_typedarray_info(ta.Env(), ta, nullptr, nullptr, &data, nullptr, nullptr);
  if (status != napi_ok) throw OpError("cannot read the typed array's memory");
  return static_cast<uint8_t*>(data);
}

std::vector<int64_t> shapeFor(const Args& a, size_t i, int64_t numel) {
  if (!a.has(i)) return {numel};
  auto s = a.intList(i, "shape");
  int64_t n = 1;
  for (auto d : s) n *= d;
  if (n != numel) {
    throw OpError("shape " + c10::str(at::IntArrayRef(s)) + " holds " + std::to_string(n) +
                  " elements but the data has " + std::to_string(numel));
  }
  return {s.begin(), s.end()};
}

// tensor(typedArray, shape?, dtype?, device?, requiresGrad?): a copy of the data.
Napi::Value fromTypedArray(const Napi::CallbackInfo& info) {
  const Args a(info, "tensor");
  return run(a, [&]() -> Napi::Value {
    if (!info[0].IsTypedArray()) a.typeError(0, "data", "a typed array");
    const auto ta = info[0].As<Napi::TypedArray>();
    const at::ScalarType src = a.has(5) ? a.dtype(5, "srcDtype") : typedArrayScalarType(ta.TypedArrayType());
    // A source dtype other than the array's own reinterprets its bytes (float16 from a
    // Uint16Array, any dtype from a Uint8Array of raw bytes).
    const size_t itemSize = c10::elementSize(src);
    if (ta.ByteLength() % itemSize != 0) {
      throw OpError(std::to_string(ta.ByteLength()) + " bytes do not hold a whole number of " + c10::toString(src) +
                    " elements");
    }
    const int64_t numel = static_cast<int64_t>(ta.ByteLength() / itemSize);
    const auto sizes = shapeFor(a, 1, numel);
    auto* data = typedArrayData(ta);
    const at::Tensor view = at::from_blob(data, sizes, at::TensorOptions().dtype(src));
    const at::ScalarType dst = a.has(2) ? a.dtype(2, "dtype") : src;
    const at::Device dev = a.has(3) ? a.device(3, "device") : at::Device(at::kCPU);
    at::Tensor out = view.to(dev, dst, /*non_blocking=*/false, /*copy=*/true);
    if (a.boolean(4, "requiresGrad", false)) out.requires_grad_(true);
    return a.ret(std::move(out));
  });
}

// The owner of JavaScript memory that a tensor views. The deleter may run on another thread
// (an autograd worker, a CUDA callback); the references are then released on the JavaScript
// thread the next time it enters the addon. `hold`, where given, is an int32 in shared memory
// that counts the tensors over the memory (a data worker's output slot, which the worker reuses
// once the count is back to 0): +1 when the tensor is made, -1 when its memory is let go, at
// once, on whichever thread that happens (the reference keeps the counter's memory alive).
struct BufferOwner {
  Napi::Reference<Napi::Value> ref;
  Napi::Reference<Napi::Value> holdRef;
  int32_t* hold = nullptr;
  std::thread::id thread;
};

std::mutex pendingMutex;
std::vector<BufferOwner*> pendingOwners;

void releasePendingOwners() {
  std::vector<BufferOwner*> owners;
  {
    std::lock_guard<std::mutex> lock(pendingMutex);
    if (pendingOwners.empty()) return;
    // Only our own thread's owners can be released here.
    auto it = std::partition(pendingOwners.begin(), pendingOwners.end(),
                             [](BufferOwner* o) { return o->thread != std::this_thread::get_id(); });
    owners.assign(it, pendingOwners.end());
    pendingOwners.erase(it, pendingOwners.end());
  }
  for (auto* o : owners) delete o;
}

// fromBuffer(typedArray, shape?, dtype?, hold?, holdIndex?): a tensor over the same memory, no
// copy; hold: an Int32Array over shared memory, holdIndex the counter in it (see BufferOwner).
Napi::Value fromBuffer(const Napi::CallbackInfo& info) {
  const Args a(info, "fromBuffer");
  return run(a, [&]() -> Napi::Value {
    releasePendingOwners();
    if (!info[0].IsTypedArray()) a.typeError(0, "data", "a typed array");
    const auto ta = info[0].As<Napi::TypedArray>();
    const at::ScalarType type = a.has(2) ? a.dtype(2, "srcDtype") : typedArrayScalarType(ta.TypedArrayType());
    const int64_t numel = static_cast<int64_t>(ta.ByteLength() / c10::elementSize(type));
    const auto sizes = shapeFor(a, 1, numel);
    auto* data = typedArrayData(ta);
    int32_t* hold = nullptr;
    if (a.has(3)) {
      if (!info[3].IsTypedArray() || info[3].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
        a.typeError(3, "hold", "an Int32Array");
      const auto counters = info[3].As<Napi::TypedArray>();
      const int64_t index = a.int64(4, "holdIndex");
      if (index < 0 || static_cast<size_t>(index) >= counters.ElementLength())
        throw OpError("holdIndex " + std::to_string(index) + " is outside the hold array of " +
                      std::to_string(counters.ElementLength()) + " counters");
      hold = reinterpret_cast<int32_t*>(typedArrayData(counters)) + index;
    }
    // The buffer (ArrayBuffer or SharedArrayBuffer) is kept alive while the tensor views it.
    auto* owner = new BufferOwner{Napi::Persistent(static_cast<Napi::Value>(ta.ArrayBuffer())),
                                  hold ? Napi::Persistent(info[3]) : Napi::Reference<Napi::Value>(), hold,
                                  std::this_thread::get_id()};
    at::Tensor t = at::from_blob(
        data, sizes,
        [owner](void*) {
          if (owner->hold) __atomic_fetch_sub(owner->hold, 1, __ATOMIC_SEQ_CST);
          if (owner->thread == std::this_thread::get_id()) {
            delete owner;
          } else {
            std::lock_guard<std::mutex> lock(pendingMutex);
            pendingOwners.push_back(owner);
          }
        },
        at::TensorOptions().dtype(type));
    if (hold) __atomic_fetch_add(hold, 1, __ATOMIC_SEQ_CST);  // after: the deleter takes it back
    return a.ret(std::move(t));
  });
}

// The elements as they read: a conjugate or negative view (x.conj(), x.conj().imag) with its
// bit applied, since the bytes in memory are those of the tensor it views.
at::Tensor resolved(const at::Tensor& t) { return t.resolve_conj().resolve_neg(); }

// The tensor's elements as a fresh ArrayBuffer, row-major. float16 and bfloat16, which have
// no typed array in Node 20, come back as float32; complex64 and complex128 as their float32 or
// float64 (real, imaginary) pairs, interleaved.
Napi::Value toBuffer(const Napi::CallbackInfo& info) {
  const Args a(info, "toTypedArray");
  return run(a, [&]() -> Napi::Value {
    at::Tensor t = resolved(a.tensor(0, "self").detach());
    if (t.scalar_type() == at::kHalf || t.scalar_type() == at::kBFloat16) t = t.to(at::kFloat);
    t = t.to(at::kCPU).contiguous();
    const size_t bytes = t.numel() * t.element_size();
    auto buffer = Napi::ArrayBuffer::New(a.env(), bytes);
    if (bytes) std::memcpy(buffer.Data(), t.data_ptr(), bytes);
    return buffer;
  });
}

// The tensor's elements in its dtype's bytes (row-major, native byte order), for writers of
// file formats; a conjugate or negative view's as they read (see resolved()).
Napi::Value rawBytes(const Napi::CallbackInfo& info) {
  const Args a(info, "rawBytes");
  return run(a, [&]() -> Napi::Value {
    const at::Tensor t = resolved(a.tensor(0, "self").detach()).to(at::kCPU).contiguous();
    const size_t bytes = t.numel() * t.element_size();
    auto buffer = Napi::ArrayBuffer::New(a.env(), bytes);
    if (bytes) std::memcpy(buffer.Data(), t.data_ptr(), bytes);
    return buffer;
  });
}

// Where a tensor's elements lie, for writers that keep views and tied weights sharing one
// storage as PyTorch's torch.save does: the storage (its device and data pointer, a key equal
// for every tensor over it), its size in bytes, and the tensor's offset into it in elements.
Napi::Value storageInfo(const Napi::CallbackInfo& info) {
  const Args a(info, "storageInfo");
  return run(a, [&]() -> Napi::Value {
    const at::Tensor& t = a.tensor(0, "self");
    const c10::Storage& storage = t.storage();
    std::ostringstream key;
    key << t.device() << '@' << storage.data();
    auto out = Napi::Object::New(a.env());
    out.Set("key", key.str());
    out.Set("nbytes", static_cast<double>(storage.nbytes()));
    out.Set("offset", static_cast<double>(t.storage_offset()));
    return out;
  });
}

// The bytes of a tensor's whole storage (copied to the CPU), for the writers above; as they lie
// in memory: a conjugate or negative view's bit is the writer's to record.
Napi::Value storageBytes(const Napi::CallbackInfo& info) {
  const Args a(info, "storageBytes");
  return run(a, [&]() -> Napi::Value {
    const at::Tensor& t = a.tensor(0, "self");
    const auto nbytes = static_cast<int64_t>(t.storage().nbytes());
    at::Tensor whole = at::empty({0}, t.options().dtype(at::kByte).requires_grad(false));
    whole.set_(t.storage(), 0, {nbytes}, {1});
    whole = whole.to(at::kCPU);
    auto buffer = Napi::ArrayBuffer::New(a.env(), static_cast<size_t>(nbytes));
    if (nbytes) std::memcpy(buffer.Data(), whole.data_ptr(), static_cast<size_t>(nbytes));
    return buffer;
  });
}

Napi::Value item(const Napi::CallbackInfo& info) {
  const Args a(info, "item");
  return run(a, [&]() -> Napi::Value {
    const at::Tensor& t = a.tensor(0, "self");
    if (t.numel() != 1) {
      throw OpError("a Tensor with " + std::to_string(t.numel()) + " elements cannot be converted to a number");
    }
    if (t.is_complex()) {
      const at::ScalarType st = t.scalar_type();
      const char* name = st == at::kComplexFloat ? "complex64" : st == at::kComplexDouble ? "complex128" : "complex";
      throw OpError(std::string("a ") + name +
                    " tensor has no JavaScript number (JavaScript has no complex numbers); use "
                    "torch.viewAsReal(x) for its [real, imaginary] pair, or x.real.item() and x.imag.item()");
    }
    const at::Scalar s = t.item();
    if (s.isIntegral(false)) {
      const int64_t v = s.toLong();
      if (std::abs(v) > (int64_t{1} << 53)) {
        throw OpError(std::to_string(v) + " is beyond 2^53 and has no exact JavaScript number; use toTypedArray()");
      }
    }
    return a.ret(s);
  });
}

// to(self, dtype?, device?, nonBlocking, copy)
Napi::Value to(const Napi::CallbackInfo& info) {
  const Args a(info, "to");
  return run(a, [&]() -> Napi::Value {
    const at::Tensor& t = a.tensor(0, "self");
    const auto dtype = a.optDtype(1, "dtype");
    const auto dev = a.optDevice(2, "device");
    const bool nonBlocking = a.boolean(3, "nonBlocking", false);
    const bool copy = a.boolean(4, "copy", false);
    at::Tensor out = t.to(dev.value_or(t.device()), dtype.value_or(t.scalar_type()), nonBlocking, copy);
    // Nothing to do: the same handle comes back, so JavaScript returns the same Tensor.
    if (out.is_same(t)) return info[0];
    return a.ret(std::move(out));
  });
}

Napi::Value pinMemory(const Napi::CallbackInfo& info) {
  const Args a(info, "pinMemory");
  return run(a, [&]() -> Napi::Value {
    const at::Tensor& t = a.tensor(0, "self");
    if (!at::hasCUDA()) throw OpError("pinned memory needs CUDA, which is not available");
    return a.ret(t.pin_memory());
  });
}

Napi::Value memory(const Napi::CallbackInfo& info) {
  const Args a(info, "memory");
  return run(a, [&]() -> Napi::Value {
    // Each storage counted once, however many handles view it.
    std::map<const void*, std::pair<std::string, size_t>> storages;
    size_t live = 0;
    for (const auto& t : handles().slots()) {
      if (!t.defined()) continue;
      live++;
      if (!t.has_storage()) continue;
      const auto& s = t.storage();
      storages.emplace(s.unsafeGetStorageImpl(), std::make_pair(t.device().str(), s.nbytes()));
    }
    auto bytes = Napi::Object::New(a.env());
    std::map<std::string, double> perDevice;
    for (const auto& [_, v] : storages) perDevice[v.first] += static_cast<double>(v.second);
    for (const auto& [dev, n] : perDevice) bytes.Set(dev, n);
    auto out = Napi::Object::New(a.env());
    out.Set("tensors", static_cast<double>(live));
    out.Set("bytes", bytes);
    return out;
  });
}

Napi::Value manualSeed(const Napi::CallbackInfo& info) {
  const Args a(info, "manualSeed");
  return run(a, [&]() -> Napi::Value {
    at::manual_seed(static_cast<uint64_t>(a.int64(0, "seed")));
    return a.none();
  });
}

// The default CPU generator's state (torch.get_rng_state / set_rng_state), so that a resumed
// run draws the same random numbers as an uninterrupted one.
Napi::Value getRngState(const Napi::CallbackInfo& info) {
  const Args a(info, "getRngState");
  return run(a, [&]() -> Napi::Value {
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    return a.ret(gen.get_state());
  });
}

Napi::Value setRngState(const Napi::CallbackInfo& info) {
  const Args a(info, "setRngState");
  return run(a, [&]() -> Napi::Value {
    const at::Tensor& state = a.tensor(0, "state");
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(state);
    return a.none();
  });
}

Napi::Value setNumThreads(const Napi::CallbackInfo& info) {
  const Args a(info, "setNumThreads");
  return run(a, [&]() -> Napi::Value {
    const int64_t n = a.int64(0, "n");
    if (n < 1 || n > 1024) throw OpError("the number of threads must be between 1 and 1024, got " + std::to_string(n));
    at::set_num_threads(static_cast<int>(n));
    return a.none();
  });
}

Napi::Value getNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), at::get_num_threads());
}

Napi::Value buildInfo(const Napi::CallbackInfo& info) {
  auto out = Napi::Object::New(info.Env());
  out.Set("libtorch", TORCH_VERSION);
#ifdef TORCH_NODE_CUDA
  out.Set("cuda", true);
#else
  out.Set("cuda", false);
#endif
  return out;
}

}  // namespace

void registerTensorCore(Napi::Env env, Napi::Object exports) {
  const std::pair<const char*, Napi::Function::Callback> fns[] = {
      {"free", freeHandle},
      {"drainReleases", drainReleases},
      {"shape", shape},
      {"stride", stride},
      {"dtype", dtype},
      {"device", device},
      {"deviceCode", deviceCode},
      {"flags", flags},
      {"fromTypedArray", fromTypedArray},
      {"fromBuffer", fromBuffer},
      {"toBuffer", toBuffer},
      {"rawBytes", rawBytes},
      {"storageInfo", storageInfo},
      {"storageBytes", storageBytes},
      {"item", item},
      {"to", to},
      {"pinMemory", pinMemory},
      {"memory", memory},
      {"manualSeed", manualSeed},
      {"getRngState", getRngState},
      {"setRngState", setRngState},
      {"setNumThreads", setNumThreads},
      {"getNumThreads", getNumThreads},
      {"buildInfo", buildInfo},
  };
  for (const auto& [name, fn] : fns) exports.Set(name, Napi::Function::New(env, fn, name));
}

}  // namespace tn
