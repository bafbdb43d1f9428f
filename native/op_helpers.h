// What the generated op glue (native/generated/) calls besides libtorch itself: argument
// reading, tensor options, and the few ops whose PyTorch front end is Python code.
#pragma once
#include <ATen/ATen.h>
// TORCH_VERSION, which the generated ops name where libtorch lacks one; it moved in 2.9.
#if __has_include(<torch/headeronly/version.h>)
#include <torch/headeronly/version.h>
#else
#include <torch/csrc/api/include/torch/version.h>
#endif

#include <optional>
#include <string>

#include "args.h"

namespace tn {

// Whether a Tensor|Scalar argument was a JS number (wrapped as a CPU scalar tensor). Ops whose
// Tensor overload wants the tensor on the input's device (clamp_min on CUDA) take the Scalar one.
inline bool isNumber(const at::Tensor& t) { return t.unsafeGetTensorImpl()->is_wrapped_number(); }

inline at::TensorOptions options(std::optional<at::ScalarType> dtype, std::optional<at::Device> device) {
  return at::TensorOptions().dtype(dtype).device(device);
}

// For the *_like ops: what is not given comes from the input tensor.
inline at::TensorOptions likeOptions(std::optional<at::ScalarType> dtype, std::optional<at::Device> device) {
  return options(dtype, device);
}

// torch.nn.functional.interpolate, whose dispatch to the upsample kernels lives in Python.
at::Tensor interpolate(const at::Tensor& input, at::OptionalIntArrayRef size,
                       std::optional<at::ArrayRef<double>> scaleFactor, const std::string& mode,
                       std::optional<bool> alignCorners);

// clamp / clamp_ with bounds that are numbers or Tensors, as torch.clamp: libtorch's clamp.Tensor
// where the bounds given are Tensors, else clamp(Scalar) (a Tensor beside a number must then
// have no dimensions, as Python's argument parser requires).
at::Tensor clamp(const at::Tensor& self, const OptTensorOrScalar& min, const OptTensorOrScalar& max);
void clamp_(const at::Tensor& self, const OptTensorOrScalar& min, const OptTensorOrScalar& max);

// max_pool2d, by native/max_pool.cpp's branch-free kernel where it applies (the same results
// as libtorch's, bit for bit), else by libtorch.
at::Tensor maxPool2d(const at::Tensor& input, at::IntArrayRef kernel, at::IntArrayRef stride, at::IntArrayRef padding,
                     at::IntArrayRef dilation, bool ceilMode);

// _weight_norm(v, g, dim), guarded: an empty v or g gives v * g (empty, or the size error of the
// product) instead of reaching the fused kernel, which divides by zero rows (SIGFPE; PyTorch 2.13
// crashes the same way), and a g without one element per slice of v is an Error instead of a
// write past the kernel's buffer (heap corruption).
at::Tensor weightNorm(const at::Tensor& v, const at::Tensor& g, int64_t dim);

}  // namespace tn

using tn::interpolate;
using tn::likeOptions;
using tn::options;
