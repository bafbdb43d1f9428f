// torch.cuda: devices, streams, events and the caching allocator's statistics.
//
// Everything here goes through c10's device-generic interfaces (DeviceGuardImplInterface,
// c10::Event, c10::DeviceAllocator), which libtorch_cuda implements when it is loaded. The
// same code therefore serves a CPU libtorch (every call says CUDA is not available) and a
// CUDA one, and the addon needs no CUDA toolkit to build.
#include <ATen/ATen.h>
#include <c10/core/CachingDeviceAllocator.h>
#include <c10/core/Event.h>
#include <c10/core/Stream.h>
#include <c10/core/impl/DeviceGuardImplInterface.h>
#include <napi.h>

#include <memory>
#include <unordered_map>

#include "args.h"
#include "bindings.h"

namespace tn {

namespace {

const c10::impl::DeviceGuardImplInterface& cuda() {
  if (!c10::impl::hasDeviceGuardImpl(at::kCUDA)) {
    throw OpError("CUDA is not available: this build of libtorch has no CUDA support");
  }
  const auto* impl = c10::impl::getDeviceGuardImpl(at::kCUDA);
  if (impl->deviceCount() == 0) throw OpError("CUDA is not available: no CUDA device was found");
  return *impl;
}

at::Device cudaDevice(const Args& a, size_t i) {
  const auto& impl = cuda();
  if (!a.has(i)) return at::Device(at::kCUDA, impl.getDevice().index());
  at::Device d = a.device(i, "device");
  if (!d.is_cuda()) throw OpError("expected a CUDA device, got '" + d.str() + "'");
  if (!d.has_index()) d.set_index(impl.getDevice().index());
  if (d.index() >= impl.deviceCount()) {
    throw OpError("device " + d.str() + " does not exist: " + std::to_string(impl.deviceCount()) + " CUDA device(s)");
  }
  return d;
}

// A stream crosses to JavaScript as [id, deviceIndex, deviceType].
Napi::Value packStream(Napi::Env env, const c10::Stream& s) {
  const auto data = s.pack3();
  auto arr = Napi::Array::New(env, 3);
  arr[0u] = Napi::Number::New(env, static_cast<double>(data.stream_id));
  arr[1u] = Napi::Number::New(env, data.device_index);
  arr[2u] = Napi::Number::New(env, static_cast<int>(data.device_type));
  return arr;
}

c10::Stream unpackStream(const Args& a, size_t i) {
  cuda();
  const auto v = a.info()[i];
  if (!v.IsArray() || v.As<Napi::Array>().Length() != 3) a.typeError(i, "stream", "a cuda.Stream");
  const auto arr = v.As<Napi::Array>();
  return c10::Stream::unpack3(static_cast<c10::StreamId>(arr.Get(0u).As<Napi::Number>().Int64Value()),
                              static_cast<c10::DeviceIndex>(arr.Get(1u).As<Napi::Number>().Int32Value()),
                              static_cast<c10::DeviceType>(arr.Get(2u).As<Napi::Number>().Int32Value()));
}

Napi::Value isAvailable(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), c10::impl::hasDeviceGuardImpl(at::kCUDA) && at::hasCUDA() &&
                                            c10::impl::getDeviceGuardImpl(at::kCUDA)->deviceCount() > 0);
}

Napi::Value deviceCount(const Napi::CallbackInfo& info) {
  if (!c10::impl::hasDeviceGuardImpl(at::kCUDA)) return Napi::Number::New(info.Env(), 0);
  return Napi::Number::New(info.Env(), c10::impl::getDeviceGuardImpl(at::kCUDA)->deviceCount());
}

Napi::Value synchronize(const Napi::CallbackInfo& info) {
  const Args a(info, "cuda.synchronize");
  return run(a, [&]() -> Napi::Value {
    const at::Device d = cudaDevice(a, 0);
    cuda().synchronizeDevice(d.index());
    return a.none();
  });
}

// newStream(device?, priority?): a stream from libtorch's pool; priority < 0 is high.
Napi::Value newStream(const Napi::CallbackInfo& info) {
  const Args a(info, "cuda.Stream");
  return run(a, [&]() -> Napi::Value {
    const at::Device d = cudaDevice(a, 0);
    const int64_t priority = a.int64(1, "priority", 0);
    return packStream(a.env(), cuda().getStreamFromGlobalPool(d, priority < 0));
  });
}

Napi::Value currentStream(const Napi::CallbackInfo& info) {
  const Args a(info, "cuda.currentStream");
  return run(a, [&]() -> Napi::Value { return packStream(a.env(), cuda().getStream(cudaDevice(a, 0))); });
}

// Makes `stream` current on its device and returns the stream it replaces.
Napi::Value exchangeStream(const Napi::CallbackInfo& info) {
  const Args a(info, "cuda.withStream");
  return run(a, [&]() -> Napi::Value { return packStream(a.env(), cuda().exchangeStream(unpackStream(a, 0))); });
}

Napi::Value streamSynchronize(const Napi::CallbackInfo& info) {
  const Args a(info, "Stream.synchronize");
  return run(a, [&]() -> Napi::Value {
    cuda().synchronizeStream(unpackStream(a, 0));
    return a.none();
  });
}

Napi::Value streamQuery(const Napi::CallbackInfo& info) {
  const Args a(info, "Stream.query");
  return run(a, [&]() -> Napi::Value { return Napi::Boolean::New(a.env(), cuda().queryStream(unpackStream(a, 0))); });
}

// Work queued on `waiter` after this call waits for what is queued on `other` now.
Napi::Value streamWaitStream(const Napi::CallbackInfo& info) {
  const Args a(info, "Stream.waitStream");
  return run(a, [&]() -> Napi::Value {
    const c10::Stream waiter = unpackStream(a, 0);
    const c10::Stream other = unpackStream(a, 1);
    c10::Event e(at::kCUDA);
    e.record(other);
    e.block(waiter);
    return a.none();
  });
}

// Marks `self` as used on `stream`: the caching allocator does not reuse its memory until the
// work queued on that stream so far has finished.
Napi::Value recordStream(const Napi::CallbackInfo& info) {
  const Args a(info, "recordStream");
  return run(a, [&]() -> Napi::Value {
    const at::Tensor& t = a.tensor(0, "self");
    const c10::Stream s = unpackStream(a, 1);
    if (!t.is_cuda()) throw OpError("recordStream needs a CUDA tensor, got one on " + t.device().str());
    t.record_stream(s);
    return a.none();
  });
}

// Events live in a per-thread table; JavaScript holds their ids.
struct EventTable {
  std::unordered_map<int32_t, std::unique_ptr<c10::Event>> events;
  int32_t next = 0;
};
thread_local EventTable eventTable;

c10::Event& eventAt(const Args& a, size_t i) {
  const auto it = eventTable.events.find(static_cast<int32_t>(a.int64(i, "event")));
  if (it == eventTable.events.end()) throw OpError("the event was disposed");
  return *it->second;
}

Napi::Value newEvent(const Napi::CallbackInfo& info) {
  const Args a(info, "cuda.Event");
  return run(a, [&]() -> Napi::Value {
    cuda();
    const bool timing = a.boolean(0, "enableTiming", false);
    const int32_t id = eventTable.next++;
    eventTable.events.emplace(id, std::make_unique<c10::Event>(at::kCUDA, timing ? c10::EventFlag::BACKEND_DEFAULT
                                                                                 : c10::EventFlag::PYTORCH_DEFAULT));
    return Napi::Number::New(a.env(), id);
  });
}

Napi::Value freeEvent(const Napi::CallbackInfo& info) {
  eventTable.events.erase(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

Napi::Value eventRecord(const Napi::CallbackInfo& info) {
  const Args a(info, "Event.record");
  return run(a, [&]() -> Napi::Value {
    c10::Event& e = eventAt(a, 0);
    e.record(a.has(1) ? unpackStream(a, 1) : cuda().getStream(cudaDevice(a, 2)));
    return a.none();
  });
}

Napi::Value eventWait(const Napi::CallbackInfo& info) {
  const Args a(info, "Event.wait");
  return run(a, [&]() -> Napi::Value {
    c10::Event& e = eventAt(a, 0);
    e.block(a.has(1) ? unpackStream(a, 1) : cuda().getStream(cudaDevice(a, 2)));
    return a.none();
  });
}

Napi::Value eventQuery(const Napi::CallbackInfo& info) {
  const Args a(info, "Event.query");
  return run(a, [&]() -> Napi::Value { return Napi::Boolean::New(a.env(), eventAt(a, 0).query()); });
}

Napi::Value eventSynchronize(const Napi::CallbackInfo& info) {
  const Args a(info, "Event.synchronize");
  return run(a, [&]() -> Napi::Value {
    eventAt(a, 0).synchronize();
    return a.none();
  });
}

Napi::Value eventElapsedTime(const Napi::CallbackInfo& info) {
  const Args a(info, "Event.elapsedTime");
  return run(a, [&]() -> Napi::Value { return Napi::Number::New(a.env(), eventAt(a, 0).elapsedTime(eventAt(a, 1))); });
}

// memoryStats(device?) -> [allocated current, allocated peak, reserved current, reserved peak]
Napi::Value memoryStats(const Napi::CallbackInfo& info) {
  const Args a(info, "cuda.memoryStats");
  return run(a, [&]() -> Napi::Value {
    const at::Device d = cudaDevice(a, 0);
    const auto stats = c10::getDeviceAllocator(at::kCUDA)->getDeviceStats(d.index());
    const auto agg = static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE);
    auto arr = Napi::Array::New(a.env(), 4);
    arr[0u] = Napi::Number::New(a.env(), static_cast<double>(stats.allocated_bytes[agg].current));
    arr[1u] = Napi::Number::New(a.env(), static_cast<double>(stats.allocated_bytes[agg].peak));
    arr[2u] = Napi::Number::New(a.env(), static_cast<double>(stats.reserved_bytes[agg].current));
    arr[3u] = Napi::Number::New(a.env(), static_cast<double>(stats.reserved_bytes[agg].peak));
    return arr;
  });
}

Napi::Value resetPeakMemoryStats(const Napi::CallbackInfo& info) {
  const Args a(info, "cuda.resetPeakMemoryStats");
  return run(a, [&]() -> Napi::Value {
    const at::Device d = cudaDevice(a, 0);
    c10::getDeviceAllocator(at::kCUDA)->resetPeakStats(d.index());
    return a.none();
  });
}

Napi::Value emptyCache(const Napi::CallbackInfo& info) {
  const Args a(info, "cuda.emptyCache");
  return run(a, [&]() -> Napi::Value {
    cuda();
    c10::getDeviceAllocator(at::kCUDA)->emptyCache();
    return a.none();
  });
}

}  // namespace

void registerCuda(Napi::Env env, Napi::Object exports) {
  const std::pair<const char*, Napi::Function::Callback> fns[] = {
      {"cudaIsAvailable", isAvailable},
      {"cudaDeviceCount", deviceCount},
      {"cudaSynchronize", synchronize},
      {"cudaNewStream", newStream},
      {"cudaCurrentStream", currentStream},
      {"cudaExchangeStream", exchangeStream},
      {"cudaStreamSynchronize", streamSynchronize},
      {"cudaStreamQuery", streamQuery},
      {"cudaStreamWaitStream", streamWaitStream},
      {"cudaRecordStream", recordStream},
      {"cudaNewEvent", newEvent},
      {"cudaFreeEvent", freeEvent},
      {"cudaEventRecord", eventRecord},
      {"cudaEventWait", eventWait},
      {"cudaEventQuery", eventQuery},
      {"cudaEventSynchronize", eventSynchronize},
      {"cudaEventElapsedTime", eventElapsedTime},
      {"cudaMemoryStats", memoryStats},
      {"cudaResetPeakMemoryStats", resetPeakMemoryStats},
      {"cudaEmptyCache", emptyCache},
  };
  for (const auto& [name, fn] : fns) exports.Set(name, Napi::Function::New(env, fn, name));
}

}  // namespace tn
