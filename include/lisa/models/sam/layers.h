#pragma once
// The small layers SAM is built from, bound by name from a WeightScope. Each mirrors the order of
// operations of its PyTorch counterpart so that reduced-precision runs round where the reference does.
#include <ATen/ATen.h>

#include <vector>

#include "lisa/models/layer_norm.h"
#include "lisa/models/linear.h"
#include "lisa/models/weights.h"

namespace lisa::models::sam {

// SAM's fully connected layers all have a bias: lisa::models::Linear (linear.h) serves them.

// nn.LayerNorm over the last dimension: lisa::models::LayerNorm (layer_norm.h).
using models::LayerNorm;

// SAM's LayerNorm2d: normalises over the channels of [B, C, H, W], eps 1e-6.
class LayerNorm2d {
 public:
  static LayerNorm2d bind(const WeightScope& scope, int64_t channels);
  // A float32 x with half-precision parameters gives a float32 result (type promotion), as in PyTorch.
  at::Tensor operator()(const at::Tensor& x) const;

 private:
  at::Tensor weight_, bias_;  // [C]
};

enum class Activation { kRelu, kGelu };

// SAM's MLPBlock: lin2(act(lin1(x))).
class MlpBlock {
 public:
  static MlpBlock bind(const WeightScope& scope, int64_t dim, int64_t hidden_dim, Activation activation);
  at::Tensor operator()(const at::Tensor& x) const;

 private:
  Linear lin1_, lin2_;
  Activation activation_ = Activation::kGelu;
};

// The mask decoder's MLP (from MaskFormer): `layers.i` Linear layers with ReLU between them;
// the number of layers and the hidden width are read from the weights.
class Mlp {
 public:
  static Mlp bind(const WeightScope& scope, int64_t in_dim, int64_t out_dim);
  at::Tensor operator()(const at::Tensor& x) const;

 private:
  std::vector<Linear> layers_;
};

}  // namespace lisa::models::sam
