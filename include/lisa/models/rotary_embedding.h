#pragma once
// Rotary position embedding in Hugging Face's "rotate half" layout: dimension i pairs with i + D/2.
// Like transformers 4.31 LlamaRotaryEmbedding, the cos/sin tables are computed once in float32 on the
// CPU and then cast to the model dtype, so bf16/fp16 models see the same rounded tables.
#include <ATen/ATen.h>

namespace lisa::models {

class RotaryEmbedding {
 public:
  RotaryEmbedding() = default;
  RotaryEmbedding(int64_t head_dim, int64_t max_positions, double theta, at::Device device, at::ScalarType dtype);

  // x [B, heads, T, D] holding positions [start, start + T) -> rotated [B, heads, T, D]
  at::Tensor apply(const at::Tensor& x, int64_t start) const;

  int64_t max_positions() const { return cos_.size(0); }

 private:
  at::Tensor cos_, signed_sin_;  // [max_positions, D], model dtype; signed_sin_: [-sin, sin] by half
};

}  // namespace lisa::models
