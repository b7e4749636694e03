#pragma once
// Decomposed relative positions (MViTv2, as used by SAM's image encoder): a per-axis table of
// embeddings indexed by the query-key offset, turned into an additive attention bias.
#include <ATen/ATen.h>

#include <cstdint>

namespace lisa::models::sam {

// rel_pos [L, C] -> [q_size, k_size, C], the embedding of each query-key offset along one axis.
// The table is linearly resized (align_corners=false) when L != 2 * max(q_size, k_size) - 1, and the
// coordinates of the shorter axis are stretched when q_size != k_size, as SAM's get_rel_pos does.
at::Tensor relative_position_table(int64_t q_size, int64_t k_size, const at::Tensor& rel_pos);

// The attention bias [B, q_h * q_w, k_h * k_w] that SAM's add_decomposed_rel_pos adds to the
// attention logits: bias[b, (i, j), (k, l)] = q[b, (i, j)] . Rh[i, k] + q[b, (i, j)] . Rw[j, l]
// with the unscaled queries q [B, q_h * q_w, C].
at::Tensor decomposed_relative_bias(const at::Tensor& q, const at::Tensor& rel_pos_h, const at::Tensor& rel_pos_w,
                                    int64_t q_h, int64_t q_w, int64_t k_h, int64_t k_w);

// SAM's attention with that bias: softmax(q k^T * scale + bias) v over q, k, v [B, heads, HW,
// head_dim] (q_h * q_w = k_h * k_w = HW), result [B, heads, HW, head_dim]. The bias of a global
// layer is heads x HW^2 numbers (ViT-H at 1024 pixels: 16 x 4096^2, 537 MB in bf16, 1 GB in fp32),
// so it is made and used for as many heads at a time as fit in `max_bias_bytes` (at least one).
// Heads are independent: the result depends on the chunking only through float rounding (the
// products block differently), and a pass over one image always chunks the same way.
at::Tensor relative_position_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                       const at::Tensor& rel_pos_h, const at::Tensor& rel_pos_w, int64_t h, int64_t w,
                                       int64_t max_bias_bytes = int64_t{128} << 20);

}  // namespace lisa::models::sam
