#pragma once
// torch.nn.LayerNorm over the last dimension, as stored: weight [C], bias [C]. CLIP and SAM use it.
#include <ATen/ATen.h>

#include "lisa/models/weights.h"

namespace lisa::models {

struct LayerNorm {
  at::Tensor weight, bias;  // [C]
  double eps = 1e-5;

  // Binds `<scope>weight` and `<scope>bias`, each [width].
  static LayerNorm bind(const WeightScope& scope, int64_t width, double eps);

  // [..., C] -> [..., C]
  at::Tensor operator()(const at::Tensor& x) const { return at::layer_norm(x, {weight.size(0)}, weight, bias, eps); }
};

}  // namespace lisa::models
