// max_pool2d on the CPU with a branch-free forward kernel.
//
// Why: libtorch's CPU kernel for contiguous (NCHW) input picks each window's maximum with a
// data-dependent branch, which the processor mispredicts on real activations: on a 64x6x28x28
// batch it takes 1.5 ms, fifty times a ReLU over the same data, and half of a LeNet training step
// (measured in bench/, in Python, C++ and here alike). This kernel computes the same function
// with selects instead of branches, so every result is the same to the bit: the same maxima, the
// same indices (the first maximum of a window in row-major order; a NaN wins, the last NaN of a
// window if several), and the autograd node PyTorch records (MaxPool2DWithIndicesBackward0, whose
// backward is libtorch's own kernel). float32 goes four outputs at a time (SSE2) for 2x2
// windows with stride 2 and for any window not clipped by the padding with stride 1 or 2; the
// rest one at a time. Measured at 1 thread: 64x6x28x28, 2x2: 0.25 ms vs libtorch's 1.6 ms;
// 32x64x56x56, 3x3 stride 2 padding 1 (a ResNet stem's): 18 ms vs 53 ms. What this kernel does
// not cover goes to libtorch: other dtypes and devices, channels-last input, forward-mode AD,
// and unusual arguments (whose errors are then libtorch's).
#include <ATen/Parallel.h>
#include <ATen/native/Pool.h>
#include <c10/util/irange.h>
#include <torch/csrc/autograd/VariableTypeUtils.h>
#include <torch/csrc/autograd/generated/Functions.h>
#include <torch/csrc/jit/frontend/tracer.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <memory>
#include <type_traits>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "args.h"
#include "bindings.h"
#include "node_ref.h"
#include "op_helpers.h"

namespace tn {

namespace {

std::atomic<bool> fastPoolEnabled{true};

struct Pool2d {
  int64_t kH, kW, sH, sW, pH, pW, dH, dW;
  int64_t inH, inW, outH, outW;
};

// The window [first, end) of output position o along one axis, stepped by dilation, as
// libtorch's kernel bounds it (start moved up past the padding by whole dilation steps).
inline void window(int64_t o, int64_t s, int64_t p, int64_t k, int64_t d, int64_t in, int64_t& first, int64_t& end) {
  first = o * s - p;
  end = std::min(first + (k - 1) * d + 1, in);
  while (first < 0) first += d;
}

// One output row of 2x2 windows with stride 2 (the common case) from input rows r0 and r0 + w.
// The first element starts each window: taking it is what `v > -inf || isnan(v)` does, and when
// it is -inf, keeping -inf at the window's first index gives the same result. `base` is the flat
// index of r0[0] in its plane.
template <typename T>
void pool2x2Scalar(const T* r0, int64_t w, int64_t ow, int64_t base, T* out, int64_t* idx) {
  const T* r1 = r0 + w;
  const T a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], e = r1[2 * ow + 1];
  T m = a;
  int64_t k = 0;
  if ((b > m) | (b != b)) m = b, k = 1;
  if ((c > m) | (c != c)) m = c, k = w;
  if ((e > m) | (e != e)) m = e, k = w + 1;
  out[ow] = m;
  idx[ow] = base + 2 * ow + k;
}

template <typename T>
void pool2x2Row(const T* r0, int64_t w, int64_t outW, int64_t base, T* out, int64_t* idx) {
  int64_t ow = 0;
#if defined(__SSE2__)
  if constexpr (std::is_same_v<T, float>) {
    // Four windows at a time, with compares and masks instead of branches (a compiler turns the
    // scalar rule into branches, which real activations make unpredictable). Each lane keeps
    // which element of its window holds the maximum so far: 0 a, 1 b, 2 c, 3 e.
    const float* r1 = r0 + w;
    const __m128i one = _mm_set1_epi32(1), two = _mm_set1_epi32(2), three = _mm_set1_epi32(3);
    auto take = [](__m128 v, __m128 m) { return _mm_or_ps(_mm_cmpgt_ps(v, m), _mm_cmpunord_ps(v, v)); };
    auto pick = [](__m128 t, __m128 v, __m128 m) { return _mm_or_ps(_mm_and_ps(t, v), _mm_andnot_ps(t, m)); };
    auto pickI = [](__m128i t, __m128i v, __m128i m) {
      return _mm_or_si128(_mm_and_si128(t, v), _mm_andnot_si128(t, m));
    };
    alignas(16) int32_t which[4];
    for (; ow + 4 <= outW; ow += 4) {
      const __m128 top0 = _mm_loadu_ps(r0 + 2 * ow), top1 = _mm_loadu_ps(r0 + 2 * ow + 4);
      const __m128 bot0 = _mm_loadu_ps(r1 + 2 * ow), bot1 = _mm_loadu_ps(r1 + 2 * ow + 4);
      const __m128 a = _mm_shuffle_ps(top0, top1, _MM_SHUFFLE(2, 0, 2, 0));
      const __m128 b = _mm_shuffle_ps(top0, top1, _MM_SHUFFLE(3, 1, 3, 1));
      const __m128 c = _mm_shuffle_ps(bot0, bot1, _MM_SHUFFLE(2, 0, 2, 0));
      const __m128 e = _mm_shuffle_ps(bot0, bot1, _MM_SHUFFLE(3, 1, 3, 1));
      __m128 m = a;
      __m128i k = _mm_setzero_si128();
      __m128 t = take(b, m);
      m = pick(t, b, m);
      k = pickI(_mm_castps_si128(t), one, k);
      t = take(c, m);
      m = pick(t, c, m);
      k = pickI(_mm_castps_si128(t), two, k);
      t = take(e, m);
      m = pick(t, e, m);
      k = pickI(_mm_castps_si128(t), three, k);
      _mm_storeu_ps(out + ow, m);
      _mm_store_si128(reinterpret_cast<__m128i*>(which), k);
      for (int j = 0; j < 4; j++) idx[ow + j] = base + 2 * (ow + j) + (which[j] & 1) + (which[j] >> 1) * w;
    }
  }
#endif
  for (; ow < outW; ow++) pool2x2Scalar(r0, w, ow, base, out, idx);
}

// One output of a general window, rows [h0, h1) of the input: libtorch's loop, row by row,
// with the update written as selects.
template <typename T>
void poolOne(const T* in, const Pool2d& g, int64_t h0, int64_t h1, int64_t ow, T* out, int64_t* idx) {
  int64_t w0, w1;
  window(ow, g.sW, g.pW, g.kW, g.dW, g.inW, w0, w1);
  T m = -std::numeric_limits<T>::infinity();
  int64_t k = h0 * g.inW + w0;
  for (int64_t h = h0; h < h1; h += g.dH) {
    for (int64_t w = w0; w < w1; w += g.dW) {
      const int64_t i = h * g.inW + w;
      const T v = in[i];
      const bool t = (v > m) | (v != v);
      m = t ? v : m;
      k = t ? i : k;
    }
  }
  out[ow] = m;
  idx[ow] = k;
}

// Outputs [ow, end) of a row whose windows lie inside the input row (no clipping by the
// padding), four at a time, in the same order of comparisons as poolOne. Returns where it
// stopped (the remainder, and inputs whose flat indices could overflow int32, go one by one).
template <typename T>
int64_t poolInterior(const T* in, const Pool2d& g, int64_t h0, int64_t h1, int64_t ow, int64_t end, T* out,
                     int64_t* idx) {
#if defined(__SSE2__)
  if constexpr (std::is_same_v<T, float>) {
    if (g.inH * g.inW >= (int64_t{1} << 31) || (g.sW != 1 && g.sW != 2)) return ow;
    const __m128 minusInf = _mm_set1_ps(-std::numeric_limits<float>::infinity());
    const __m128i lane = _mm_set_epi32(3, 2, 1, 0);
    alignas(16) int32_t k4[4];
    for (; ow + 4 <= end; ow += 4) {
      const int64_t w0 = ow * g.sW - g.pW;  // the first lane's window start
      __m128 m = minusInf;
      // each lane's first index: row h0, its own window start
      __m128i k = _mm_add_epi32(_mm_set1_epi32(static_cast<int32_t>(h0 * g.inW + w0)),
                                g.sW == 1 ? lane : _mm_add_epi32(lane, lane));
      for (int64_t h = h0; h < h1; h += g.dH) {
        const float* row = in + h * g.inW;
        for (int64_t kw = 0; kw < g.kW; kw++) {
          const int64_t c = w0 + kw * g.dW;  // the first lane's column
          __m128 v;
          if (g.sW == 1) {
            v = _mm_loadu_ps(row + c);
          } else {
            // lanes at c, c+2, c+4, c+6 (c + 6 is inside the row: it is in the last lane's
            // window); the second load would read c + 7, so near the row's end the two odd
            // lanes' values are picked one by one
            const __m128 lo = _mm_loadu_ps(row + c);
            const __m128 hi =
                c + 8 <= g.inW ? _mm_loadu_ps(row + c + 4) : _mm_set_ps(0.0f, row[c + 6], 0.0f, row[c + 4]);
            v = _mm_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
          }
          const __m128i i = _mm_add_epi32(_mm_set1_epi32(static_cast<int32_t>(h * g.inW + c)),
                                          g.sW == 1 ? lane : _mm_add_epi32(lane, lane));
          const __m128 t = _mm_or_ps(_mm_cmpgt_ps(v, m), _mm_cmpunord_ps(v, v));
          m = _mm_or_ps(_mm_and_ps(t, v), _mm_andnot_ps(t, m));
          const __m128i ti = _mm_castps_si128(t);
          k = _mm_or_si128(_mm_and_si128(ti, i), _mm_andnot_si128(ti, k));
        }
      }
      _mm_storeu_ps(out + ow, m);
      _mm_store_si128(reinterpret_cast<__m128i*>(k4), k);
      for (int j = 0; j < 4; j++) idx[ow + j] = k4[j];
    }
  }
#endif
  return ow;
}

// One plane: out[oh][ow] = max of the window, idx = its flat index in the input plane. The
// update rule is libtorch's, `v > max || isnan(v)`, written as selects.
template <typename T>
void poolPlane(const T* in, T* out, int64_t* idx, const Pool2d& g) {
  // (ceil mode can add a last window that hangs over the edge: those take the general loop.)
  const bool simple2x2 = g.kH == 2 && g.kW == 2 && g.sH == 2 && g.sW == 2 && g.pH == 0 && g.pW == 0 && g.dH == 1 &&
                         g.dW == 1 && 2 * g.outH <= g.inH && 2 * g.outW <= g.inW;
  if (simple2x2) {
    for (int64_t oh = 0; oh < g.outH; oh++)
      pool2x2Row(in + 2 * oh * g.inW, g.inW, g.outW, 2 * oh * g.inW, out + oh * g.outW, idx + oh * g.outW);
    return;
  }
  // Any other window: the columns whose windows lie inside the row go four at a time where the
  // vector path exists; the edges (windows clipped by the padding) one at a time.
  const int64_t interiorLo = std::min(g.outW, (g.pW + g.sW - 1) / g.sW);
  const int64_t lastStart = g.inW - 1 + g.pW - (g.kW - 1) * g.dW;  // the last w0 whose window fits
  const int64_t interiorHi = lastStart < 0 ? -1 : std::min(g.outW - 1, lastStart / g.sW);
  for (int64_t oh = 0; oh < g.outH; oh++) {
    int64_t h0, h1;
    window(oh, g.sH, g.pH, g.kH, g.dH, g.inH, h0, h1);
    T* o = out + oh * g.outW;
    int64_t* ix = idx + oh * g.outW;
    int64_t ow = 0;
    for (; ow < g.outW && ow < interiorLo; ow++) poolOne(in, g, h0, h1, ow, o, ix);
    ow = poolInterior(in, g, h0, h1, ow, interiorHi + 1, o, ix);
    for (; ow < g.outW; ow++) poolOne(in, g, h0, h1, ow, o, ix);
  }
}

// The arguments as libtorch normalises them (a single value for both axes, stride defaulting
// to the kernel size); false where they are not ones this kernel takes.
bool readArgs(const at::Tensor& input, at::IntArrayRef kernel, at::IntArrayRef stride, at::IntArrayRef padding,
              at::IntArrayRef dilation, bool ceilMode, Pool2d& g) {
  auto pick = [](at::IntArrayRef v, size_t i) { return v.size() == 1 ? v[0] : v[i]; };
  const auto okLen = [](at::IntArrayRef v) { return v.size() == 1 || v.size() == 2; };
  if (!okLen(kernel) || !(stride.empty() || okLen(stride)) || !okLen(padding) || !okLen(dilation)) return false;
  g.kH = pick(kernel, 0);
  g.kW = pick(kernel, 1);
  g.sH = stride.empty() ? g.kH : pick(stride, 0);
  g.sW = stride.empty() ? g.kW : pick(stride, 1);
  g.pH = pick(padding, 0);
  g.pW = pick(padding, 1);
  g.dH = pick(dilation, 0);
  g.dW = pick(dilation, 1);
  if (g.kH <= 0 || g.kW <= 0 || g.sH <= 0 || g.sW <= 0 || g.dH <= 0 || g.dW <= 0) return false;
  // libtorch refuses padding over half the kernel; such calls get its error.
  if (g.pH < 0 || g.pW < 0 || 2 * g.pH > g.kH || 2 * g.pW > g.kW) return false;
  g.inH = input.size(-2);
  g.inW = input.size(-1);
  if (g.inH <= 0 || g.inW <= 0) return false;
  g.outH = at::native::pooling_output_shape<int64_t>(g.inH, g.kH, g.pH, g.sH, g.dH, ceilMode);
  g.outW = at::native::pooling_output_shape<int64_t>(g.inW, g.kW, g.pW, g.sW, g.dW, ceilMode);
  return g.outH > 0 && g.outW > 0;
}

bool takes(const at::Tensor& input) {
  if (!fastPoolEnabled.load(std::memory_order_relaxed)) return false;
  // The tracer records ops at the dispatcher, which this kernel does not pass through: under
  // torch.jit.trace (on this thread) max_pool2d goes to libtorch so that it is recorded.
  if (torch::jit::tracer::isTracing()) return false;
  if (!input.defined() || !input.device().is_cpu() || input.layout() != at::kStrided) return false;
  if (input.scalar_type() != at::kFloat && input.scalar_type() != at::kDouble) return false;
  if (input.dim() != 3 && input.dim() != 4) return false;
  // Channels-last input (and anything libtorch would treat as such) keeps libtorch's kernel,
  // whose output keeps that layout.
  if (!input.is_contiguous() || input.suggest_memory_format() != at::MemoryFormat::Contiguous) return false;
  if (input.is_conj() || input.is_neg() || input._fw_grad(/*level=*/0).defined()) return false;
  for (int64_t d = 0; d < input.dim() - 2; d++)
    if (input.size(d) == 0) return false;
  return true;
}

}  // namespace

at::Tensor maxPool2d(const at::Tensor& input, at::IntArrayRef kernel, at::IntArrayRef stride, at::IntArrayRef padding,
                     at::IntArrayRef dilation, bool ceilMode) {
  Pool2d g{};
  if (!takes(input) || !readArgs(input, kernel, stride, padding, dilation, ceilMode, g)) {
    return at::max_pool2d(input, kernel, stride, padding, dilation, ceilMode);
  }
  std::vector<int64_t> outShape = input.sizes().vec();
  outShape[outShape.size() - 2] = g.outH;
  outShape[outShape.size() - 1] = g.outW;
  const int64_t planes = input.numel() / (g.inH * g.inW);

  // What libtorch's autograd wrapper (VariableType) records for max_pool2d_with_indices: the
  // node, its inputs' edges and arguments before computing; the output's history and the saved
  // indices after.
  using Backward = torch::autograd::generated::MaxPool2DWithIndicesBackward0;
  NodeRef<Backward> node;
  if (torch::autograd::compute_requires_grad(input)) {
    node = makeNode<Backward>();
    node->set_next_edges(torch::autograd::collect_next_edges(input));
    node->ceil_mode = ceilMode;
    node->dilation = {g.dH, g.dW};
    node->kernel_size = {g.kH, g.kW};
    node->padding = {g.pH, g.pW};
    node->self_ = torch::autograd::SavedVariable(input, false);
    node->stride = {g.sH, g.sW};
  }

  at::Tensor out, indices;
  {
    at::AutoDispatchBelowADInplaceOrView below;
    out = at::empty(outShape, input.options());
    indices = at::empty(outShape, input.options().dtype(at::kLong));
    const int64_t inPlane = g.inH * g.inW, outPlane = g.outH * g.outW;
    // Work per plane decides how many planes a thread takes, as at::parallel_for's grain does.
    const int64_t grain = std::max<int64_t>(1, at::internal::GRAIN_SIZE / std::max<int64_t>(1, outPlane * g.kH * g.kW));
    AT_DISPATCH_FLOATING_TYPES(input.scalar_type(), "max_pool2d", [&] {
      const scalar_t* in = input.const_data_ptr<scalar_t>();
      scalar_t* o = out.mutable_data_ptr<scalar_t>();
      int64_t* ix = indices.mutable_data_ptr<int64_t>();
      at::parallel_for(0, planes, grain, [&](int64_t begin, int64_t end) {
        for (int64_t p = begin; p < end; p++) poolPlane(in + p * inPlane, o + p * outPlane, ix + p * outPlane, g);
      });
    });
  }
  if (node) {
    torch::autograd::set_history(out, node);
    node->result1_ = torch::autograd::SavedVariable(indices, true);
  }
  return out;
}

// fastMaxPool(): whether max_pool2d takes this kernel where it can; fastMaxPool(false) sends
// every call to libtorch's (to compare them, as torch.backends.fastMaxPool does).
void registerPooling(Napi::Env env, Napi::Object exports) {
  exports.Set("fastMaxPool", Napi::Function::New(
                                 env,
                                 [](const Napi::CallbackInfo& info) -> Napi::Value {
                                   const Args a(info, "fastMaxPool");
                                   return run(a, [&]() -> Napi::Value {
                                     if (a.has(0)) fastPoolEnabled.store(a.boolean(0, "enabled", true));
                                     return Napi::Boolean::New(a.env(), fastPoolEnabled.load());
                                   });
                                 },
                                 "fastMaxPool"));
}

}  // namespace tn
