#include "lisa/models/sam/relative_position.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <utility>
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

RelativeTerms decomposed_relative_terms(const at::Tensor& q, const at::Tensor& rel_pos_h, const at::Tensor& rel_pos_w,
                                        int64_t q_h, int64_t q_w, int64_t k_h, int64_t k_w) {
  const auto rh = relative_position_table(q_h, k_h, rel_pos_h);  // [q_h, k_h, C]
  const auto rw = relative_position_table(q_w, k_w, rel_pos_w);  // [q_w, k_w, C]
  const int64_t b = q.size(0), c = q.size(2);
  const auto grid_q = q.reshape({b, q_h, q_w, c});
  return {at::einsum("bhwc,hkc->bhwk", {grid_q, rh}).reshape({b, q_h * q_w, k_h}),
          at::einsum("bhwc,wkc->bhwk", {grid_q, rw}).reshape({b, q_h * q_w, k_w})};
}

namespace {

constexpr int64_t kCpuLogitsBytesPerBlock = int64_t{1} << 20;
constexpr int64_t kMaxBiasBytes = int64_t{128} << 20;

// One block: heads [first_head, +heads) and queries [first_query, +queries) of q_scaled, k, v
// [BH, L, D] (contiguous), rel_h [BH, L, k_h] and rel_w [BH, L, k_w]; written into out [BH, L, D].
struct AttentionInputs {
  at::Tensor q_scaled, k, v, rel_h, rel_w, out;
  int64_t k_h, k_w;
};

void attend_block(const AttentionInputs& in, int64_t first_head, int64_t heads, int64_t first_query, int64_t queries) {
  const auto rows = [&](const at::Tensor& t) { return t.narrow(0, first_head, heads).narrow(1, first_query, queries); };
  const auto keys = in.k.narrow(0, first_head, heads);
  at::Tensor logits = at::matmul(rows(in.q_scaled), keys.transpose(-1, -2));  // [heads, queries, L]
  // add_decomposed_rel_pos: (logits + rel_h over k_w) + rel_w over k_h, each sum rounded to the dtype.
  logits.view({heads, queries, in.k_h, in.k_w}).add_(rows(in.rel_h).unsqueeze(3)).add_(rows(in.rel_w).unsqueeze(2));
  rows(in.out).copy_(at::matmul(at::softmax(logits, -1), in.v.narrow(0, first_head, heads)));
}

}  // namespace

at::Tensor relative_position_attention_in_blocks(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                                 const at::Tensor& rel_pos_h, const at::Tensor& rel_pos_w, int64_t h,
                                                 int64_t w, int64_t heads_per_block, int64_t queries_per_block,
                                                 bool parallel) {
  const int64_t b = q.size(0), heads = q.size(1), tokens = q.size(2), head_dim = q.size(3), pairs = b * heads;
  const auto flat = [&](const at::Tensor& t) { return t.reshape({pairs, tokens, head_dim}).contiguous(); };
  AttentionInputs in;
  in.k_h = h;
  in.k_w = w;
  in.k = flat(k);
  in.v = flat(v);
  // The relative terms use the unscaled queries, the logits the scaled ones, as SAM's Attention does.
  const auto queries = flat(q);
  in.q_scaled = queries * (1.0 / std::sqrt(static_cast<double>(head_dim)));
  auto terms = decomposed_relative_terms(queries, rel_pos_h, rel_pos_w, h, w, h, w);
  in.rel_h = std::move(terms.along_h);
  in.rel_w = std::move(terms.along_w);
  in.out = at::empty({pairs, tokens, head_dim}, q.options());

  const int64_t head_step = std::clamp<int64_t>(heads_per_block, 1, pairs);
  const int64_t query_step = std::clamp<int64_t>(queries_per_block, 1, tokens);
  const int64_t head_blocks = (pairs + head_step - 1) / head_step, query_blocks = (tokens + query_step - 1) / query_step;
  const auto run = [&](int64_t begin, int64_t end) {
    for (int64_t block = begin; block < end; ++block) {
      const int64_t first_head = block / query_blocks * head_step, first_query = block % query_blocks * query_step;
      attend_block(in, first_head, std::min(head_step, pairs - first_head), first_query,
                   std::min(query_step, tokens - first_query));
    }
  };
  if (parallel) {
    at::parallel_for(0, head_blocks * query_blocks, 1, run);
  } else {
    run(0, head_blocks * query_blocks);
  }
  return in.out.view({b, heads, tokens, head_dim});
}

at::Tensor relative_position_attention_with_bias(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                                 const at::Tensor& rel_pos_h, const at::Tensor& rel_pos_w, int64_t h,
                                                 int64_t w, int64_t max_bias_bytes) {
  const int64_t b = q.size(0), heads = q.size(1), tokens = q.size(2), head_dim = q.size(3);
  const int64_t bias_bytes_per_head = b * tokens * tokens * static_cast<int64_t>(q.element_size());
  const int64_t chunk = std::clamp<int64_t>(max_bias_bytes / std::max<int64_t>(bias_bytes_per_head, 1), 1, heads);
  const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
  std::vector<at::Tensor> outputs;
  for (int64_t first = 0; first < heads; first += chunk) {
    const int64_t n = std::min(chunk, heads - first);
    const auto qs = q.narrow(1, first, n);
    // The relative positions enter as an additive bias on the logits, which SDPA takes as attn_mask.
    const auto terms = decomposed_relative_terms(qs.reshape({b * n, tokens, head_dim}), rel_pos_h, rel_pos_w, h, w, h, w);
    const auto bias = (terms.along_h.unsqueeze(3) + terms.along_w.unsqueeze(2)).view({b, n, tokens, tokens});
    outputs.push_back(at::scaled_dot_product_attention(qs, k.narrow(1, first, n), v.narrow(1, first, n), bias,
                                                       /*dropout_p=*/0.0, /*is_causal=*/false, scale));
  }
  return outputs.size() == 1 ? outputs.front() : at::cat(outputs, 1);
}

at::Tensor relative_position_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                       const at::Tensor& rel_pos_h, const at::Tensor& rel_pos_w, int64_t h, int64_t w) {
  if (q.device().is_cpu() && q.scalar_type() != at::kFloat) {
    const int64_t row_bytes = q.size(2) * static_cast<int64_t>(q.element_size());
    return relative_position_attention_in_blocks(q, k, v, rel_pos_h, rel_pos_w, h, w, 1,
                                                 kCpuLogitsBytesPerBlock / row_bytes, /*parallel=*/true);
  }
  return relative_position_attention_with_bias(q, k, v, rel_pos_h, rel_pos_w, h, w, kMaxBiasBytes);
}

}  // namespace lisa::models::sam
