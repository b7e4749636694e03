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

  // The table rows of some positions, [T, D] each, broadcast over [B, heads] by rotate().
  struct Rows {
    at::Tensor cos, signed_sin;
  };
  // Positions [start, start + T); throws if they exceed the table.
  Rows rows(int64_t start, int64_t length) const;
  // Positions given as an int64 tensor [T] on the model's device (read there: not range-checked).
  Rows rows_at(const at::Tensor& positions) const;
  // x [B, heads, T, D] -> rotated [B, heads, T, D]
  static at::Tensor rotate(const at::Tensor& x, const Rows& rows);

  int64_t max_positions() const { return cos_.size(0); }

 private:
  at::Tensor cos_, signed_sin_;  // [max_positions, D], model dtype; signed_sin_: [-sin, sin] by half
};

}  // namespace lisa::models
