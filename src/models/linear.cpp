#include "lisa/models/linear.h"

namespace lisa::models {

Linear Linear::bind(const WeightScope& scope, int64_t in_features, int64_t out_features, bool with_bias) {
  Linear layer;
  layer.weight = scope.bind("weight", {out_features, in_features});
  if (with_bias) layer.bias = scope.bind("bias", {out_features});
  return layer;
}

Linear Linear::quantize(const at::Tensor& weight, QuantMode mode, int64_t group_size) {
  Linear layer;
  if (mode == QuantMode::kNone)
    layer.weight = weight;
  else
    layer = from_quantized(quantize_weight(weight, mode, group_size), weight.device());
  return layer;
}

Linear Linear::from_quantized(const QuantizedWeight& weight, at::Device device) {
  Linear layer;
  layer.quantized = std::make_shared<const QuantizedLinear>(weight, device);
  return layer;
}

at::Tensor Linear::operator()(const at::Tensor& x) const {
  if (!quantized) return at::linear(x, weight, bias);
  const at::Tensor y = (*quantized)(x);
  return bias.defined() ? y + bias : y;
}

int64_t Linear::bytes() const {
  int64_t total = quantized ? quantized->bytes() : weight.numel() * static_cast<int64_t>(weight.element_size());
  if (bias.defined()) total += bias.numel() * static_cast<int64_t>(bias.element_size());
  return total;
}

}  // namespace lisa::models
