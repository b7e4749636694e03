#include "lisa/models/linear.h"

#include <vector>

#include "lisa/models/few_rows_linear.h"

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
  if (!quantized) return full_precision(x);
  const at::Tensor y = (*quantized)(x);
  return bias.defined() ? y + bias : y;
}

at::Tensor Linear::full_precision(const at::Tensor& x) const {
  if (x.dim() < 1) return at::linear(x, weight, bias);  // its error
  const at::Tensor x2d = x.reshape({-1, x.size(-1)});  // a width mismatch: not applicable, at::linear's error
  if (!few_rows_linear_applies(x2d, weight)) return at::linear(x, weight, bias);
  std::vector<int64_t> shape(x.sizes().begin(), x.sizes().end());
  shape.back() = weight.size(0);
  const at::Tensor y = few_rows_linear(x2d, weight).view(shape);
  return bias.defined() ? y + bias : y;
}

int64_t Linear::bytes() const {
  int64_t total = quantized ? quantized->bytes() : weight.numel() * static_cast<int64_t>(weight.element_size());
  if (bias.defined()) total += bias.numel() * static_cast<int64_t>(bias.element_size());
  return total;
}

}  // namespace lisa::models
