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

// The two terms that SAM's add_decomposed_rel_pos adds to the attention logits, from the unscaled
// queries q [B, q_h * q_w, C]: along_h [B, q_h * q_w, k_h] with along_h[b, (i, j), k] = q[b, (i, j)] . Rh[i, k]
// and along_w [B, q_h * q_w, k_w] with along_w[b, (i, j), l] = q[b, (i, j)] . Rw[j, l]. The logit of
// key (k, l) gets along_h[.., k], then along_w[.., l].
struct RelativeTerms {
  at::Tensor along_h, along_w;
};
RelativeTerms decomposed_relative_terms(const at::Tensor& q, const at::Tensor& rel_pos_h, const at::Tensor& rel_pos_w,
                                        int64_t q_h, int64_t q_w, int64_t k_h, int64_t k_w);

// SAM's attention with those terms: softmax(q k^T * head_dim^-0.5 + bias) v over q, k, v [B, heads,
// HW, head_dim] (q_h * q_w = k_h * k_w = HW), result [B, heads, HW, head_dim]. SAM materializes the
// logits of every head (ViT-H's global layer at 1024 pixels: 16 x 4096^2 numbers, 537 MB in bf16, 1 GB
// in fp32); neither way below does. Measured with scripts/bench/sam_attention.sh (docs/benchmarks.md,
// "With the AVX-512 bf16 product and SAM's blocked attention"), each way is taken where it is faster:
// - on the CPU in bf16 and fp16, relative_position_attention_in_blocks (1.3 to 1.9x faster than SDPA
//   + bias in bf16 for the mid preset's and ViT-H's global layers), in blocks of one head and as many
//   queries as make about 1 MiB of logits (a core's L2), spread over the threads;
// - elsewhere (fp32, where MKL's GEMMs and SDPA's fused softmax are 6 to 23% faster, and CUDA, never
//   measured), relative_position_attention_with_bias with 128 MiB of bias at most.
at::Tensor relative_position_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                       const at::Tensor& rel_pos_h, const at::Tensor& rel_pos_w, int64_t h, int64_t w);

// SAM's own operations and roundings, in the inputs' dtype: logits = (q * head_dim^-0.5) @ k^T, then
// + along_h, then + along_w (add_decomposed_rel_pos's two sums), softmax, @ v, for heads_per_block of
// the B * heads (image, head) pairs and queries_per_block queries at a time (both clamped to [1, their
// count]); blocks run in parallel over the intra-op threads when `parallel`. The blocking changes
// nothing but the GEMMs' row blocks: with the engine's blocking the result has the bits of SAM's
// unblocked operations (tested on a global layer's shape); MKL may round blocks of 1 to a few rows
// differently.
at::Tensor relative_position_attention_in_blocks(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                                 const at::Tensor& rel_pos_h, const at::Tensor& rel_pos_w, int64_t h,
                                                 int64_t w, int64_t heads_per_block, int64_t queries_per_block,
                                                 bool parallel);

// SDPA with the bias along_h + along_w made for as many heads at a time as fit in `max_bias_bytes` (at
// least one): the result depends on the chunking only through float rounding, and differs from SAM's
// operations by the rounding of the summed bias and of SDPA's fused softmax (1e-5 in fp32).
at::Tensor relative_position_attention_with_bias(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                                 const at::Tensor& rel_pos_h, const at::Tensor& rel_pos_w, int64_t h,
                                                 int64_t w, int64_t max_bias_bytes);

}  // namespace lisa::models::sam
