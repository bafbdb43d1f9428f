#include "handles.h"

#include <cstring>

#include "errors.h"

namespace tn {

namespace {
// Bytes of storage this tensor brings: its whole storage when it is the only user (a fresh
// result), none when it shares one (a view). Released with the same count, so the balance
// reported to V8 always returns to zero.
int64_t newBytes(const at::Tensor& t) {
  if (!t.defined() || !t.has_storage()) return 0;
  const auto& storage = t.storage();
  return storage.use_count() == 1 && t.is_cpu() ? static_cast<int64_t>(storage.nbytes()) : 0;
}
}  // namespace

int32_t HandleTable::put(at::Tensor tensor) {
  const int64_t bytes = newBytes(tensor);
  delta_ += bytes;
  if (!free_.empty()) {
    const int32_t h = free_.back();
    free_.pop_back();
    slots_[h] = std::move(tensor);
    bytes_[h] = bytes;
    return h;
  }
  slots_.push_back(std::move(tensor));
  bytes_.push_back(bytes);
  return static_cast<int32_t>(slots_.size() - 1);
}

const at::Tensor& HandleTable::get(int32_t h) const {
  if (h < 0 || static_cast<size_t>(h) >= slots_.size() || !slots_[h].defined()) {
    throw OpError("tensor was disposed");
  }
  return slots_[h];
}

void HandleTable::release(int32_t h) {
  if (h < 0 || static_cast<size_t>(h) >= slots_.size() || !slots_[h].defined()) return;
  slots_[h] = at::Tensor();
  delta_ -= bytes_[h];
  bytes_[h] = 0;
  free_.push_back(h);
}

int64_t HandleTable::takeExternalDelta() {
  const int64_t d = delta_;
  delta_ = 0;
  return d;
}

thread_local HandleTable* current = nullptr;

HandleTable& handles() { return *current; }

// The table and its release queue: the queue's memory is a JavaScript ArrayBuffer that the table
// keeps alive with a reference, so that its backing store stays where the table points.
struct HandleState {
  HandleTable table;
  Napi::Reference<Napi::ArrayBuffer> queue;
};

void installHandles(Napi::Env env, Napi::Object exports) {
  constexpr int32_t kQueueCapacity = 1024;
  auto* state = new HandleState();
  auto buffer = Napi::ArrayBuffer::New(env, sizeof(int32_t) * (kQueueCapacity + 1));
  std::memset(buffer.Data(), 0, buffer.ByteLength());
  state->queue = Napi::Persistent(buffer);
  state->table.setReleaseQueue(static_cast<int32_t*>(buffer.Data()), kQueueCapacity);
  exports.Set("releaseQueue", Napi::Int32Array::New(env, kQueueCapacity + 1, buffer, 0));
  current = &state->table;
  // The table dies with its environment (a worker's exit, or the main thread's teardown),
  // before libtorch's own statics are destroyed.
  env.SetInstanceData<HandleState>(state);
  env.AddCleanupHook([] { current = nullptr; });
}

}  // namespace tn
