#include "lisa/models/rotary_embedding.h"

#include <string>

#include "lisa/error.h"

namespace lisa::models {

RotaryEmbedding::RotaryEmbedding(int64_t head_dim, int64_t max_positions, double theta, at::Device device,
                                 at::ScalarType dtype) {
  const auto f32 = at::TensorOptions().dtype(at::kFloat);
  // inv_freq = 1 / theta^(2i / D), i < D/2, in float32 as the reference buffer is.
  const at::Tensor exponents = at::arange(0, head_dim, 2, f32) / static_cast<double>(head_dim);
  const at::Tensor inv_freq = at::reciprocal(at::pow(theta, exponents));
  const at::Tensor freqs = at::outer(at::arange(max_positions, f32), inv_freq);  // [P, D/2]
  const at::Tensor angles = at::cat({freqs, freqs}, -1);                         // [P, D]
  cos_ = angles.cos().to(device, dtype);
  // rotate_half(x) * sin = [-x2, x1] * [sin1, sin2] = [x2, x1] * [-sin1, sin2]: with the sign in
  // the table, the swap is a single copy (negation is exact, so the products are the same bits).
  const at::Tensor sin = angles.sin();
  const int64_t half = head_dim / 2;
  signed_sin_ = at::cat({-sin.slice(1, 0, half), sin.slice(1, half)}, 1).to(device, dtype);
}

RotaryEmbedding::Rows RotaryEmbedding::rows(int64_t start, int64_t length) const {
  // Callers keep to max_position_embeddings: the session and make_cache check a prompt's positions.
  LISA_INTERNAL_ASSERT(start >= 0 && length >= 0 && start + length <= max_positions(), "rotary embedding: positions [",
                       start, ", ", start + length, ") exceed max_position_embeddings ", max_positions());
  return {cos_.slice(0, start, start + length), signed_sin_.slice(0, start, start + length)};
}

RotaryEmbedding::Rows RotaryEmbedding::rows_at(const at::Tensor& positions) const {
  return {cos_.index_select(0, positions), signed_sin_.index_select(0, positions)};
}

at::Tensor RotaryEmbedding::rotate(const at::Tensor& x, const Rows& rows) {
  const int64_t half = x.size(-1) / 2;
  const at::Tensor swapped_halves = at::cat({x.slice(-1, half), x.slice(-1, 0, half)}, -1);
  return x * rows.cos + swapped_halves * rows.signed_sin;
}

}  // namespace lisa::models
