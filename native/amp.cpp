// Autocast (automatic mixed precision) regions, as torch.autocast's __enter__ and __exit__.
#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <napi.h>

#include "args.h"
#include "bindings.h"

namespace tn {

namespace {

at::DeviceType autocastDevice(const Args& a, size_t i) {
  const std::string d = a.string(i, "deviceType");
  if (d == "cpu") return at::kCPU;
  if (d == "cuda") return at::kCUDA;
  throw OpError("autocast: device type must be 'cpu' or 'cuda', got '" + d + "'");
}

// autocastEnter(deviceType, enabled, dtype, cacheEnabled) -> [enabled, dtype, cacheEnabled] before
Napi::Value autocastEnter(const Napi::CallbackInfo& info) {
  const Args a(info, "autocast");
  return run(a, [&]() -> Napi::Value {
    const at::DeviceType dev = autocastDevice(a, 0);
    auto previous = Napi::Array::New(a.env(), 3);
    previous[0u] = Napi::Boolean::New(a.env(), at::autocast::is_autocast_enabled(dev));
    previous[1u] = Napi::Number::New(a.env(), static_cast<int>(at::autocast::get_autocast_dtype(dev)));
    previous[2u] = Napi::Boolean::New(a.env(), at::autocast::is_autocast_cache_enabled());
    at::autocast::set_autocast_enabled(dev, a.boolean(1, "enabled"));
    at::autocast::set_autocast_dtype(dev, a.dtype(2, "dtype"));
    at::autocast::increment_nesting();
    at::autocast::set_autocast_cache_enabled(a.boolean(3, "cacheEnabled", true));
    return previous;
  });
}

// autocastExit(deviceType, enabled, dtype, cacheEnabled): restores what autocastEnter returned.
Napi::Value autocastExit(const Napi::CallbackInfo& info) {
  const Args a(info, "autocast");
  return run(a, [&]() -> Napi::Value {
    const at::DeviceType dev = autocastDevice(a, 0);
    // Leaving the outermost region frees the casted-weight cache, as torch.autocast does.
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    at::autocast::set_autocast_enabled(dev, a.boolean(1, "enabled"));
    at::autocast::set_autocast_dtype(dev, a.dtype(2, "dtype"));
    at::autocast::set_autocast_cache_enabled(a.boolean(3, "cacheEnabled"));
    return a.none();
  });
}

Napi::Value isAutocastEnabled(const Napi::CallbackInfo& info) {
  const Args a(info, "isAutocastEnabled");
  return run(a, [&]() -> Napi::Value {
    return Napi::Boolean::New(a.env(), at::autocast::is_autocast_enabled(autocastDevice(a, 0)));
  });
}

}  // namespace

void registerAmp(Napi::Env env, Napi::Object exports) {
  const std::pair<const char*, Napi::Function::Callback> fns[] = {
      {"autocastEnter", autocastEnter},
      {"autocastExit", autocastExit},
      {"isAutocastEnabled", isAutocastEnabled},
  };
  for (const auto& [name, fn] : fns) exports.Set(name, Napi::Function::New(env, fn, name));
}

}  // namespace tn
