// A caching allocator for CPU tensors, installed in place of c10's default one.
//
// Why: in Node, the JavaScript side frees small blocks all the time, so glibc's malloc
// consolidates its fast bins on nearly every request of a few KiB or more, and a freed
// activation of a few MiB is handed back to the kernel and faulted in again next step. A
// training loop asks for the same sizes step after step, so keeping freed blocks by exact size
// and handing them out again skips malloc altogether. This is what PyTorch's CUDA allocator
// does for device memory; c10 ships a similar one for mobile CPUs.
//
// Bounds: blocks up to 16 MiB are kept, at most TORCH_NODE_CPU_CACHE_MB (default 256) MiB in
// all; beyond that a freed block goes straight back to malloc. TORCH_NODE_CPU_CACHE_MB=0 turns
// the cache off. One process-wide instance (worker threads share it), guarded by a mutex:
// libtorch's intra-op threads allocate too.
#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>
#include <napi.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "args.h"
#include "bindings.h"
#include "errors.h"

namespace tn {
namespace {

// Each block starts with a header holding its size; the tensor's data follows it. The header
// is as large as c10's alignment, so the data stays 64-byte aligned like c10's own.
constexpr size_t kHeader = 64;
constexpr size_t kMaxBlock = size_t{16} << 20;

class CachingCpuAllocator final : public c10::Allocator {
 public:
  explicit CachingCpuAllocator(size_t limit) : limit_(limit) {}

  c10::DataPtr allocate(size_t n) override {
    if (n == 0) return {nullptr, nullptr, &release, c10::Device(c10::kCPU)};
    void* data = nullptr;
    if (n <= kMaxBlock) {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = free_.find(n);
      if (it != free_.end() && !it->second.empty()) {
        data = it->second.back();
        it->second.pop_back();
        cached_ -= n;
      }
    }
    if (data == nullptr) {
      auto* base = static_cast<char*>(c10::alloc_cpu(n + kHeader));
      std::memcpy(base, &n, sizeof n);
      data = base + kHeader;
    }
    // As c10's own CPU allocator: torch.profiler's profileMemory sees each allocation (a block
    // taken from the cache included) and, in release, each free. Without a profiler this is
    // one thread-local read.
    c10::profiledCPUMemoryReporter().New(data, n);
    return {data, data, &release, c10::Device(c10::kCPU)};
  }

  c10::DeleterFnPtr raw_deleter() const override { return &release; }

  void copy_data(void* dest, const void* src, size_t count) const override { default_copy_data(dest, src, count); }

  size_t cachedBytes() {
    std::lock_guard<std::mutex> lock(mutex_);
    return cached_;
  }

  void emptyCache() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [size, blocks] : free_) {
      for (void* data : blocks) c10::free_cpu(static_cast<char*>(data) - kHeader);
    }
    free_.clear();
    cached_ = 0;
  }

  static CachingCpuAllocator* instance;

 private:
  static void release(void* data) {
    if (data == nullptr) return;
    c10::profiledCPUMemoryReporter().Delete(data);
    char* base = static_cast<char*>(data) - kHeader;
    size_t n;
    std::memcpy(&n, base, sizeof n);
    if (n <= kMaxBlock && instance->keep(data, n)) return;
    c10::free_cpu(base);
  }

  bool keep(void* data, size_t n) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (cached_ + n > limit_) return false;
    free_[n].push_back(data);
    cached_ += n;
    return true;
  }

  const size_t limit_;
  std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  size_t cached_ = 0;
};

CachingCpuAllocator* CachingCpuAllocator::instance = nullptr;

// Installed once per process, before the first tensor of the first environment. Never freed:
// tensors may outlive every environment (static destructors, other threads).
void installOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    size_t mb = 256;
    if (const char* env = std::getenv("TORCH_NODE_CPU_CACHE_MB")) {
      char* end = nullptr;
      const unsigned long long v = std::strtoull(env, &end, 10);
      if (*env >= '0' && *env <= '9' && end != env && *end == '\0') {
        mb = static_cast<size_t>(v);
      } else {
        std::fprintf(stderr, "torch-node: TORCH_NODE_CPU_CACHE_MB='%s' is not a whole number of MiB; using %zu\n", env,
                     mb);
      }
    }
    if (mb == 0) return;
    CachingCpuAllocator::instance = new CachingCpuAllocator(mb << 20);
    c10::SetCPUAllocator(CachingCpuAllocator::instance, /*priority=*/1);
  });
}

// cpuCachedBytes(): bytes of freed blocks kept for reuse; cpuEmptyCache() hands them back to malloc.
Napi::Value cpuCachedBytes(const Napi::CallbackInfo& info) {
  const Args a(info, "cpuCachedBytes");
  // run() frees the tensors that dispose() queued first, so their blocks are counted.
  return run(a, [&]() -> Napi::Value {
    auto* alloc = CachingCpuAllocator::instance;
    return Napi::Number::New(a.env(), alloc ? static_cast<double>(alloc->cachedBytes()) : 0.0);
  });
}

Napi::Value cpuEmptyCache(const Napi::CallbackInfo& info) {
  const Args a(info, "cpuEmptyCache");
  return run(a, [&]() -> Napi::Value {
    if (auto* alloc = CachingCpuAllocator::instance) alloc->emptyCache();
    return a.none();
  });
}

}  // namespace

void registerCpuAllocator(Napi::Env env, Napi::Object exports) {
  installOnce();
  exports.Set("cpuCachedBytes", Napi::Function::New(env, cpuCachedBytes, "cpuCachedBytes"));
  exports.Set("cpuEmptyCache", Napi::Function::New(env, cpuEmptyCache, "cpuEmptyCache"));
}

}  // namespace tn
