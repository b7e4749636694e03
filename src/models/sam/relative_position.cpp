#include "lisa/models/sam/relative_position.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace lisa::models::sam {

at::Tensor relative_position_table(int64_t q_size, int64_t k_size, const at::Tensor& rel_pos) {
  const int64_t max_distance = 2 * std::max(q_size, k_size) - 1;
  auto table = rel_pos;
  if (rel_pos.size(0) != max_distance) {
    // [L, C] -> [1, C, L] -> linear resize -> [max_distance, C]
    table = at::upsample_linear1d(rel_pos.t().unsqueeze(0), {max_distance}, /*align_corners=*/false)
                .squeeze(0)
                .t();
  }
  // The reference computes these coordinates as float32 tensors and truncates them; so does this.
  const double q_stretch = std::max(static_cast<double>(k_size) / q_size, 1.0);
  const double k_stretch = std::max(static_cast<double>(q_size) / k_size, 1.0);
  const auto q_coords = at::arange(q_size).unsqueeze(1) * q_stretch;
  const auto k_coords = at::arange(k_size).unsqueeze(0) * k_stretch;
  const auto offsets = (q_coords - k_coords) + (k_size - 1) * k_stretch;
  const auto index = offsets.to(at::kLong).flatten().to(table.device());
  return table.index_select(0, index).view({q_size, k_size, table.size(1)});
}

at::Tensor decomposed_relative_bias(const at::Tensor& q, const at::Tensor& rel_pos_h, const at::Tensor& rel_pos_w,
                                    int64_t q_h, int64_t q_w, int64_t k_h, int64_t k_w) {
  const auto rh = relative_position_table(q_h, k_h, rel_pos_h);  // [q_h, k_h, C]
  const auto rw = relative_position_table(q_w, k_w, rel_pos_w);  // [q_w, k_w, C]
  const int64_t b = q.size(0), c = q.size(2);
  const auto grid_q = q.reshape({b, q_h, q_w, c});
  const auto rel_h = at::einsum("bhwc,hkc->bhwk", {grid_q, rh});  // [B, q_h, q_w, k_h]
  const auto rel_w = at::einsum("bhwc,wkc->bhwk", {grid_q, rw});  // [B, q_h, q_w, k_w]
  return (rel_h.unsqueeze(4) + rel_w.unsqueeze(3)).reshape({b, q_h * q_w, k_h * k_w});
}

at::Tensor relative_position_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                       const at::Tensor& rel_pos_h, const at::Tensor& rel_pos_w, int64_t h, int64_t w,
                                       int64_t max_bias_bytes) {
  const int64_t b = q.size(0), heads = q.size(1), tokens = q.size(2), head_dim = q.size(3);
  const int64_t bias_bytes_per_head = b * tokens * tokens * static_cast<int64_t>(q.element_size());
  const int64_t chunk = std::clamp<int64_t>(max_bias_bytes / std::max<int64_t>(bias_bytes_per_head, 1), 1, heads);
  const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
  std::vector<at::Tensor> outputs;
  for (int64_t first = 0; first < heads; first += chunk) {
    const int64_t n = std::min(chunk, heads - first);
    const auto qs = q.narrow(1, first, n);
    // The relative positions enter as an additive bias on the logits, which SDPA takes as attn_mask.
    const auto bias = decomposed_relative_bias(qs.reshape({b * n, tokens, head_dim}), rel_pos_h, rel_pos_w, h, w, h, w)
                          .view({b, n, tokens, tokens});
    outputs.push_back(at::scaled_dot_product_attention(qs, k.narrow(1, first, n), v.narrow(1, first, n), bias,
                                                       /*dropout_p=*/0.0, /*is_causal=*/false, scale));
  }
  return outputs.size() == 1 ? outputs.front() : at::cat(outputs, 1);
}

}  // namespace lisa::models::sam
