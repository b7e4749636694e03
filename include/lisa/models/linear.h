#pragma once
// A fully connected layer as stored by torch.nn.Linear: weight [Out, In], optional bias [Out].
#include <ATen/ATen.h>

#include "lisa/models/weights.h"

namespace lisa::models {

struct Linear {
  at::Tensor weight;  // [Out, In]
  at::Tensor bias;    // [Out] or undefined

  // Binds `<scope>weight` (and `<scope>bias` when `with_bias`) with the shapes above.
  static Linear bind(const WeightScope& scope, int64_t in_features, int64_t out_features, bool with_bias = true);

  // [..., In] -> [..., Out]
  at::Tensor operator()(const at::Tensor& x) const { return at::linear(x, weight, bias); }
};

}  // namespace lisa::models
