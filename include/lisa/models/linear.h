#pragma once
// A fully connected layer as stored by torch.nn.Linear: weight [Out, In], optional bias [Out]; or,
// for the LLaMA projections under --quantize, the same layer with a quantized weight
// (quantized_linear.h). Callers use one interface either way.
#include <ATen/ATen.h>

#include <memory>

#include "lisa/models/quantized_linear.h"
#include "lisa/models/weights.h"

namespace lisa::models {

struct Linear {
  at::Tensor weight;  // [Out, In]; undefined when `quantized` holds the weight
  at::Tensor bias;    // [Out] or undefined
  std::shared_ptr<const QuantizedLinear> quantized;

  // Binds `<scope>weight` (and `<scope>bias` when `with_bias`) with the shapes above.
  static Linear bind(const WeightScope& scope, int64_t in_features, int64_t out_features, bool with_bias = true);
  // A layer without bias computing with `weight` [Out, In] quantized to `mode` (kNone: `weight`
  // itself) on the weight's device.
  static Linear quantize(const at::Tensor& weight, QuantMode mode, int64_t group_size);
  // A layer without bias computing with an already quantized weight on `device`.
  static Linear from_quantized(const QuantizedWeight& weight, at::Device device);

  // [..., In] -> [..., Out]. Unquantized fp32 or bf16 on the CPU with at most kFewRowsMaxRows rows (a
  // decoding step): few_rows_linear.h; otherwise at::linear.
  at::Tensor operator()(const at::Tensor& x) const;
  // Bytes of the weight (quantized or not) and bias.
  int64_t bytes() const;

 private:
  at::Tensor full_precision(const at::Tensor& x) const;
};

}  // namespace lisa::models
