// torch.Generator: a random number generator of its own, which ops draw from instead of the
// default one when given as their `generator` option.
//
// JavaScript holds an at::Generator (a reference to a CPU or CUDA generator's state) in a
// type-tagged External: the tag lets the ops tell a Generator from any other object, and the
// finalizer drops the reference. The default CPU generator is wrapped the same way, so that
// torch.defaultGenerator and torch.manualSeed act on one state. Every read or change of a state
// holds the generator's mutex, as libtorch's own samplers do.
#include "generator.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <c10/core/GeneratorImpl.h>

#include <mutex>

#include "args.h"

namespace tn {

namespace {

constexpr napi_type_tag kGeneratorTag = {0x6a1f3c52d4e08b97ULL, 0x2b7e90c4f1a3d865ULL};

// JavaScript numbers hold integers exactly up to 2^53: seed() keeps below it, so that the seed it
// returns reproduces the stream when given back to manualSeed.
constexpr uint64_t kExactInJs = (uint64_t{1} << 53) - 1;

Napi::Value wrapGenerator(Napi::Env env, at::Generator g) {
  auto ext = Napi::External<at::Generator>::New(env, new at::Generator(std::move(g)),
                                                [](Napi::Env, at::Generator* p) { delete p; });
  ext.TypeTag(&kGeneratorTag);
  return ext;
}

at::Generator& self(const Args& a) {
  at::Generator* g = generatorOf(a.info()[0]);
  if (g == nullptr) a.typeError(0, "generator", "a Generator");
  return *g;
}

// generatorNew(device?) -> a new generator, seeded with libtorch's default seed as Python's is.
Napi::Value generatorNew(const Napi::CallbackInfo& info) {
  const Args a(info, "Generator");
  return run(a, [&]() -> Napi::Value {
    const at::Device d = a.has(0) ? a.device(0, "device") : at::Device(at::kCPU);
    if (d.is_cpu()) return wrapGenerator(a.env(), at::make_generator<at::CPUGeneratorImpl>());
    if (d.is_cuda()) {
      return wrapGenerator(a.env(), at::detail::getCUDAHooks().getNewGenerator(d.has_index() ? d.index() : -1));
    }
    throw OpError("device '" + d.str() + "' has no generator: expected 'cpu' or 'cuda'");
  });
}

Napi::Value generatorDefault(const Napi::CallbackInfo& info) {
  const Args a(info, "defaultGenerator");
  return run(a, [&]() -> Napi::Value {
    const at::Device d = a.has(0) ? a.device(0, "device") : at::Device(at::kCPU);
    if (d.is_cpu()) return wrapGenerator(a.env(), at::detail::getDefaultCPUGenerator());
    if (d.is_cuda()) {
      // A CUDA device's own generator (the current device's where no index is given).
      return wrapGenerator(a.env(), at::detail::getCUDAHooks().getDefaultGenerator(d.has_index() ? d.index() : -1));
    }
    throw OpError("device '" + d.str() + "' has no default generator: expected 'cpu' or 'cuda'");
  });
}

Napi::Value generatorDevice(const Napi::CallbackInfo& info) {
  const Args a(info, "Generator.device");
  return run(a, [&]() -> Napi::Value { return Napi::String::New(a.env(), self(a).device().str()); });
}

// generatorManualSeed(g, seed): the seed as a BigInt already reduced to 64 bits by JavaScript.
Napi::Value generatorManualSeed(const Napi::CallbackInfo& info) {
  const Args a(info, "Generator.manualSeed");
  return run(a, [&]() -> Napi::Value {
    at::Generator& g = self(a);
    if (!a.info()[1].IsBigInt()) a.typeError(1, "seed", "a bigint");
    bool lossless = false;
    const uint64_t seed = a.info()[1].As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) throw ArgError("argument 'seed' must be between -2^63 and 2^64 - 1");
    std::lock_guard<std::mutex> lock(g.mutex());
    g.set_current_seed(seed);
    return a.none();
  });
}

Napi::Value generatorSeed(const Napi::CallbackInfo& info) {
  const Args a(info, "Generator.seed");
  return run(a, [&]() -> Napi::Value {
    at::Generator& g = self(a);
    const uint64_t seed = c10::detail::getNonDeterministicRandom(g.device().is_cuda()) & kExactInJs;
    std::lock_guard<std::mutex> lock(g.mutex());
    g.set_current_seed(seed);
    return Napi::Number::New(a.env(), static_cast<double>(seed));
  });
}

Napi::Value generatorInitialSeed(const Napi::CallbackInfo& info) {
  const Args a(info, "Generator.initialSeed");
  return run(a, [&]() -> Napi::Value {
    at::Generator& g = self(a);
    std::lock_guard<std::mutex> lock(g.mutex());
    return Napi::BigInt::New(a.env(), g.current_seed());
  });
}

Napi::Value generatorGetState(const Napi::CallbackInfo& info) {
  const Args a(info, "Generator.getState");
  return run(a, [&]() -> Napi::Value {
    at::Generator& g = self(a);
    std::lock_guard<std::mutex> lock(g.mutex());
    return a.ret(g.get_state());
  });
}

Napi::Value generatorSetState(const Napi::CallbackInfo& info) {
  const Args a(info, "Generator.setState");
  return run(a, [&]() -> Napi::Value {
    at::Generator& g = self(a);
    const at::Tensor& state = a.tensor(1, "state");
    std::lock_guard<std::mutex> lock(g.mutex());
    g.set_state(state);
    return a.none();
  });
}

}  // namespace

at::Generator* generatorOf(const Napi::Value& v) {
  if (!v.IsExternal()) return nullptr;
  const auto ext = v.As<Napi::External<at::Generator>>();
  if (!ext.CheckTypeTag(&kGeneratorTag)) return nullptr;
  return ext.Data();
}

void registerGenerator(Napi::Env env, Napi::Object exports) {
  const std::pair<const char*, Napi::Function::Callback> fns[] = {
      {"generatorNew", generatorNew},           {"generatorDefault", generatorDefault},
      {"generatorDevice", generatorDevice},     {"generatorManualSeed", generatorManualSeed},
      {"generatorSeed", generatorSeed},         {"generatorInitialSeed", generatorInitialSeed},
      {"generatorGetState", generatorGetState}, {"generatorSetState", generatorSetState},
  };
  for (const auto& [name, fn] : fns) exports.Set(name, Napi::Function::New(env, fn, name));
}

}  // namespace tn
