// The table of tensors that JavaScript holds.
//
// JavaScript never holds a native object per tensor: it holds an index into this table (a
// "handle"). Creating a result is a slot write, freeing it resets the slot, and no finalizer
// or wrapper object is left behind per tensor, so a long synchronous loop neither waits on the
// garbage collector nor fragments the heap with small live allocations.
//
// The slots are a deque, not a vector: an op holds references to its input slots while it runs,
// and JavaScript may run inside an op (a saved-tensor pack hook, saved_tensor_hooks.cpp) and make
// tensors. A deque grows at its end without moving the slots it has.
#pragma once
#include <ATen/core/Tensor.h>
#include <napi.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <vector>

namespace tn {

class HandleTable {
 public:
  int32_t put(at::Tensor tensor);
  // The tensor behind `handle`; throws OpError("tensor was disposed") for a freed handle.
  const at::Tensor& get(int32_t handle) const;
  void release(int32_t handle);
  // Bytes created or freed since the last call, for napi_adjust_external_memory.
  int64_t takeExternalDelta();
  int64_t pendingExternalDelta() const { return delta_; }

  // Handles that JavaScript disposed, queued in memory it shares with us (slot 0 holds the
  // count), so that dispose() costs no N-API call. Drained before every op and when full.
  void setReleaseQueue(int32_t* queue, int32_t capacity) {
    queue_ = queue;
    queueCapacity_ = capacity;
  }
  void drainReleases() {
    if (queue_ == nullptr || queue_[0] == 0) return;
    const int32_t n = std::min(queue_[0], queueCapacity_);
    for (int32_t k = 1; k <= n; k++) release(queue_[k]);
    queue_[0] = 0;
  }
  size_t live() const { return slots_.size() - free_.size(); }
  const std::deque<at::Tensor>& slots() const { return slots_; }

 private:
  std::deque<at::Tensor> slots_;
  std::vector<int64_t> bytes_;  // bytes reported to V8 for each slot
  std::vector<int32_t> free_;
  int64_t delta_ = 0;
  int32_t* queue_ = nullptr;
  int32_t queueCapacity_ = 0;
};

// One table per JavaScript thread (main thread or worker): handles never cross threads.
HandleTable& handles();
// Tells V8 about native memory in steps of 1 MiB, so that its heuristics see tensors without
// a call per op.
inline void reportExternalMemory(Napi::Env env) {
  constexpr int64_t kStep = 1 << 20;
  HandleTable& table = handles();
  const int64_t d = table.pendingExternalDelta();
  if (d >= kStep || d <= -kStep) Napi::MemoryManagement::AdjustExternalMemory(env, table.takeExternalDelta());
}

// Creates this thread's table and exports its release queue (`releaseQueue`, an Int32Array);
// called once per environment from the module's init.
void installHandles(Napi::Env env, Napi::Object exports);

}  // namespace tn
