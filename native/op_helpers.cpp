#include "op_helpers.h"

#include <ATen/ScalarOps.h>

namespace tn {

at::Tensor interpolate(const at::Tensor& input, at::OptionalIntArrayRef size,
                       std::optional<at::ArrayRef<double>> scaleFactor, const std::string& mode,
                       std::optional<bool> alignCorners) {
  const int64_t spatial = input.dim() - 2;
  if (spatial < 1 || spatial > 3) {
    throw OpError("expected a 3-D, 4-D or 5-D input (batch, channels, spatial...), got " + std::to_string(input.dim()) +
                  "-D");
  }
  if (size.has_value() == scaleFactor.has_value()) {
    throw OpError("exactly one of size and scaleFactor must be given");
  }
  const bool linear = mode == "linear" || mode == "bilinear" || mode == "trilinear" || mode == "bicubic";
  if (alignCorners.has_value() && !linear) {
    throw OpError("alignCorners can only be set with the linear, bilinear, trilinear and bicubic modes");
  }
  // A single size or factor applies to every spatial dimension, as in PyTorch.
  std::optional<std::vector<int64_t>> outSize;
  std::optional<std::vector<double>> scales;
  if (size) outSize = size->size() == 1 ? std::vector<int64_t>(spatial, (*size)[0]) : size->vec();
  if (scaleFactor)
    scales = scaleFactor->size() == 1 ? std::vector<double>(spatial, (*scaleFactor)[0]) : scaleFactor->vec();
  if ((outSize && static_cast<int64_t>(outSize->size()) != spatial) ||
      (scales && static_cast<int64_t>(scales->size()) != spatial)) {
    throw OpError("size or scaleFactor must have one entry per spatial dimension (" + std::to_string(spatial) + ")");
  }
  const at::OptionalIntArrayRef os = outSize ? at::OptionalIntArrayRef(*outSize) : std::nullopt;
  const std::optional<at::ArrayRef<double>> sf = scales ? std::optional<at::ArrayRef<double>>(*scales) : std::nullopt;
  const bool ac = alignCorners.value_or(false);
  if (mode == "nearest") {
    if (spatial == 1) return at::upsample_nearest1d(input, os, sf);
    if (spatial == 2) return at::upsample_nearest2d(input, os, sf);
    return at::upsample_nearest3d(input, os, sf);
  }
  if (mode == "nearest-exact") {
    if (spatial == 1) return at::_upsample_nearest_exact1d(input, os, sf);
    if (spatial == 2) return at::_upsample_nearest_exact2d(input, os, sf);
    return at::_upsample_nearest_exact3d(input, os, sf);
  }
  if (mode == "linear" && spatial == 1) return at::upsample_linear1d(input, os, ac, sf);
  if (mode == "bilinear" && spatial == 2) return at::upsample_bilinear2d(input, os, ac, sf);
  if (mode == "bicubic" && spatial == 2) return at::upsample_bicubic2d(input, os, ac, sf);
  if (mode == "trilinear" && spatial == 3) return at::upsample_trilinear3d(input, os, ac, sf);
  if (mode == "area") {
    if (!outSize) {
      std::vector<int64_t> computed;
      for (int64_t d = 0; d < spatial; d++) {
        computed.push_back(static_cast<int64_t>(std::floor(input.size(d + 2) * (*scales)[d])));
      }
      outSize = computed;
    }
    if (spatial == 1) return at::adaptive_avg_pool1d(input, *outSize);
    if (spatial == 2) return at::adaptive_avg_pool2d(input, *outSize);
    return at::adaptive_avg_pool3d(input, *outSize);
  }
  throw OpError("mode '" + mode + "' does not apply to a " + std::to_string(input.dim()) +
                "-D input (nearest, nearest-exact, area; linear 3-D, bilinear/bicubic 4-D, trilinear 5-D)");
}

namespace {

// One bound a Tensor and the other a number: Python's argument parser then takes clamp(Scalar),
// reading a Tensor without dimensions as a number, and refuses any other Tensor.
std::optional<at::Scalar> asScalar(const OptTensorOrScalar& v, const char* op) {
  if (!v.tensor) return v.scalar;
  if (v.tensor->dim() != 0) {
    throw ArgError(std::string(op) +
                   ": a Tensor bound with dimensions and a number bound cannot be mixed (as in PyTorch); pass both "
                   "as Tensors");
  }
  return v.tensor->item();
}

// Whether clamp(Scalar) is the overload: a number among the bounds, or no Tensor.
bool scalarOverload(const OptTensorOrScalar& min, const OptTensorOrScalar& max) {
  return min.scalar || max.scalar || !(min.tensor || max.tensor);
}

}  // namespace

at::Tensor clamp(const at::Tensor& self, const OptTensorOrScalar& min, const OptTensorOrScalar& max) {
  if (scalarOverload(min, max)) return at::clamp(self, asScalar(min, "clamp"), asScalar(max, "clamp"));
  return at::clamp(self, min.tensor, max.tensor);
}

void clamp_(const at::Tensor& self, const OptTensorOrScalar& min, const OptTensorOrScalar& max) {
  if (scalarOverload(min, max))
    self.clamp_(asScalar(min, "clamp_"), asScalar(max, "clamp_"));
  else
    self.clamp_(min.tensor, max.tensor);
}

at::Tensor weightNorm(const at::Tensor& v, const at::Tensor& g, int64_t dim) {
  if (v.numel() == 0 || g.numel() == 0) return at::mul(v, g);
  // The fused kernel writes one norm per element of g's shape and reads g per slice of v: a g of
  // any other size would write past its buffer. g must hold one magnitude per slice along dim
  // (dim -1: one for the whole tensor), as norm_except_dim(v, 2, dim) has.
  const int64_t slices = dim == -1 ? 1 : v.size(at::maybe_wrap_dim(dim, v.dim()));
  TORCH_CHECK(g.numel() == slices, "g must have one element per slice of v along dim ", dim, " (", slices,
              "), as norm_except_dim(v, 2, dim) has; got g of shape ", g.sizes());
  return at::_weight_norm(v, g, dim);
}

}  // namespace tn
