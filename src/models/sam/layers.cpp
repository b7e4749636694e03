#include "lisa/models/sam/layers.h"

#include <algorithm>

#include "models/sam/weight_shapes.h"

namespace lisa::models::sam {

namespace {
constexpr double kLayerNorm2dEps = 1e-6;
}  // namespace

LayerNorm2d LayerNorm2d::bind(const WeightScope& scope, int64_t channels) {
  LayerNorm2d norm;
  norm.weight_ = scope.bind("weight", {channels});
  norm.bias_ = scope.bind("bias", {channels});
  return norm;
}

// Step by step as SAM writes it (not at::layer_norm), so that bf16 / fp16 runs round each
// intermediate like the reference does.
at::Tensor LayerNorm2d::operator()(const at::Tensor& x) const {
  const auto mean = x.mean(1, /*keepdim=*/true);
  const auto centred = x - mean;
  const auto variance = centred.pow(2).mean(1, /*keepdim=*/true);
  const auto normalised = centred / at::sqrt(variance + kLayerNorm2dEps);
  return weight_.view({-1, 1, 1}) * normalised + bias_.view({-1, 1, 1});
}

MlpBlock MlpBlock::bind(const WeightScope& scope, int64_t dim, int64_t hidden_dim, Activation activation) {
  MlpBlock block;
  block.lin1_ = Linear::bind(scope.sub("lin1"), dim, hidden_dim);
  block.lin2_ = Linear::bind(scope.sub("lin2"), hidden_dim, dim);
  block.activation_ = activation;
  return block;
}

at::Tensor MlpBlock::operator()(const at::Tensor& x) const {
  auto hidden = lin1_(x);
  // nn.GELU() defaults to the exact erf form.
  hidden = activation_ == Activation::kGelu ? at::gelu(hidden) : at::relu(hidden);
  return lin2_(hidden);
}

Mlp Mlp::bind(const WeightScope& scope, int64_t in_dim, int64_t out_dim) {
  // An empty list still asks for layers.0 below, so the error names the missing key.
  const int64_t depth = std::max<int64_t>(1, count_list_entries(scope, "layers", "weight"));
  Mlp mlp;
  int64_t width = in_dim;
  for (int64_t i = 0; i < depth; ++i) {
    const auto name = "layers." + std::to_string(i);
    const int64_t out = i + 1 == depth ? out_dim : shape_with_rank(scope, name + ".weight", 2)[0];
    mlp.layers_.push_back(Linear::bind(scope.sub(name), width, out));
    width = out;
  }
  return mlp;
}

at::Tensor Mlp::operator()(const at::Tensor& x) const {
  auto y = x;
  for (size_t i = 0; i < layers_.size(); ++i) {
    y = layers_[i](y);
    if (i + 1 < layers_.size()) y = at::relu(y);
  }
  return y;
}

}  // namespace lisa::models::sam
