#include "lisa/models/sam/two_way_transformer.h"

#include <string>

#include "lisa/error.h"
#include "models/sam/weight_shapes.h"

namespace lisa::models::sam {

namespace {
constexpr double kTransformerLayerNormEps = 1e-5;  // nn.LayerNorm's default, unlike the image encoder's 1e-6

// [n, T, heads * c] <-> [n, heads, T, c]
at::Tensor separate_heads(const at::Tensor& x, int64_t heads) {
  return x.reshape({x.size(0), x.size(1), heads, x.size(2) / heads}).transpose(1, 2);
}
at::Tensor recombine_heads(const at::Tensor& x) {
  return x.transpose(1, 2).reshape({x.size(0), x.size(2), x.size(1) * x.size(3)});
}
}  // namespace

TwoWayTransformer::Attention TwoWayTransformer::Attention::bind(const WeightScope& scope, int64_t dim) {
  const auto q_shape = shape_with_rank(scope, "q_proj.weight", 2);
  const int64_t internal = q_shape[0];
  if (q_shape[1] != dim || internal <= 0 || dim % internal != 0 || internal % kNumHeads != 0)
    throw_shape_error(scope, "q_proj.weight", q_shape,
                      detail::concat("[", dim, " / downsample_rate, ", dim, "] with a width divisible by ", kNumHeads,
                                     " heads"));
  return {Linear::bind(scope.sub("q_proj"), dim, internal), Linear::bind(scope.sub("k_proj"), dim, internal),
          Linear::bind(scope.sub("v_proj"), dim, internal), Linear::bind(scope.sub("out_proj"), internal, dim)};
}

at::Tensor TwoWayTransformer::Attention::operator()(const at::Tensor& q, const at::Tensor& k,
                                                    const at::Tensor& v) const {
  const auto out = at::scaled_dot_product_attention(separate_heads(q_proj(q), kNumHeads),
                                                    separate_heads(k_proj(k), kNumHeads),
                                                    separate_heads(v_proj(v), kNumHeads));
  return out_proj(recombine_heads(out));
}

TwoWayTransformer TwoWayTransformer::bind(const WeightScope& scope, int64_t dim) {
  const int64_t depth = count_list_entries(scope, "layers", "norm1.weight");
  if (depth == 0) throw_missing(scope, "layers.0.norm1.weight");
  TwoWayTransformer transformer;
  for (int64_t i = 0; i < depth; ++i) {
    const auto s = scope.sub("layers." + std::to_string(i));
    const int64_t mlp_dim = shape_with_rank(s, "mlp.lin1.weight", 2)[0];
    transformer.layers_.push_back(Layer{Attention::bind(s.sub("self_attn"), dim),
                                        Attention::bind(s.sub("cross_attn_token_to_image"), dim),
                                        Attention::bind(s.sub("cross_attn_image_to_token"), dim),
                                        LayerNorm::bind(s.sub("norm1"), dim, kTransformerLayerNormEps),
                                        LayerNorm::bind(s.sub("norm2"), dim, kTransformerLayerNormEps),
                                        LayerNorm::bind(s.sub("norm3"), dim, kTransformerLayerNormEps),
                                        LayerNorm::bind(s.sub("norm4"), dim, kTransformerLayerNormEps),
                                        MlpBlock::bind(s.sub("mlp"), dim, mlp_dim, Activation::kRelu),
                                        /*skip_first_layer_pe=*/i == 0});
  }
  transformer.final_attn_token_to_image_ = Attention::bind(scope.sub("final_attn_token_to_image"), dim);
  transformer.norm_final_attn_ = LayerNorm::bind(scope.sub("norm_final_attn"), dim, kTransformerLayerNormEps);
  return transformer;
}

void TwoWayTransformer::Layer::operator()(at::Tensor& queries, at::Tensor& keys, const at::Tensor& query_pe,
                                          const at::Tensor& key_pe) const {
  // Self attention of the tokens; the first layer replaces the tokens (no residual, no PE) as SAM does.
  if (skip_first_layer_pe) {
    queries = self_attn(queries, queries, queries);
  } else {
    const auto q = queries + query_pe;
    queries = queries + self_attn(q, q, queries);
  }
  queries = norm1(queries);

  // Tokens attend to the image.
  auto q = queries + query_pe;
  auto k = keys + key_pe;
  queries = norm2(queries + cross_attn_token_to_image(q, k, keys));

  queries = norm3(queries + mlp(queries));

  // The image attends to the tokens.
  q = queries + query_pe;
  k = keys + key_pe;
  keys = norm4(keys + cross_attn_image_to_token(k, q, queries));
}

TwoWayTransformer::Output TwoWayTransformer::operator()(const at::Tensor& image, const at::Tensor& image_pe,
                                                        const at::Tensor& tokens) const {
  // [n, D, H, W] -> [n, HW, D]
  const auto image_pe_tokens = image_pe.flatten(2).permute({0, 2, 1});
  auto keys = image.flatten(2).permute({0, 2, 1});
  auto queries = tokens;
  for (const auto& layer : layers_) layer(queries, keys, tokens, image_pe_tokens);

  const auto q = queries + tokens;
  const auto k = keys + image_pe_tokens;
  queries = norm_final_attn_(queries + final_attn_token_to_image_(q, k, keys));
  return {queries, keys};
}

}  // namespace lisa::models::sam
