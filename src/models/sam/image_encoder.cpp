#include "lisa/models/sam/image_encoder.h"

#include <string>

#include "lisa/models/sam/relative_position.h"
#include "lisa/models/sam/windows.h"
#include "lisa/error.h"
#include "models/sam/weight_shapes.h"

namespace lisa::models::sam {

namespace {
constexpr double kEncoderLayerNormEps = 1e-6;

std::string block_name(int64_t i) { return "blocks." + std::to_string(i); }

// A block's relative-position tables span 2 * size - 1 offsets per axis: size is the window for a
// windowed block and the whole grid for a global one. Returns the window, 0 for global attention.
int64_t infer_window(const WeightScope& block, int64_t grid_h, int64_t grid_w) {
  const auto h_shape = shape_with_rank(block, "attn.rel_pos_h", 2);
  const auto w_shape = shape_with_rank(block, "attn.rel_pos_w", 2);
  if (h_shape[0] == 2 * grid_h - 1 && w_shape[0] == 2 * grid_w - 1) return 0;
  if (h_shape[0] == w_shape[0] && h_shape[0] % 2 == 1) return (h_shape[0] + 1) / 2;
  throw_shape_error(block, "attn.rel_pos_h", h_shape,
                    detail::concat("2 * window - 1 rows like rel_pos_w (windowed block) or ", 2 * grid_h - 1,
                                   " rows (global block)"));
}
}  // namespace

std::vector<int64_t> ImageEncoderGeometry::global_blocks() const {
  std::vector<int64_t> global;
  for (int64_t i = 0; i < depth(); ++i)
    if (block_windows[i] == 0) global.push_back(i);
  return global;
}

ImageEncoderGeometry ImageEncoderGeometry::infer(const WeightScope& scope) {
  ImageEncoderGeometry g;
  const auto patch = shape_with_rank(scope, "patch_embed.proj.weight", 4);
  if (patch[1] != 3 || patch[2] != patch[3])
    throw_shape_error(scope, "patch_embed.proj.weight", patch, "[embed, 3, patch, patch]");
  g.embed_dim = patch[0];
  g.patch_size = patch[2];

  const auto pos = shape_with_rank(scope, "pos_embed", 4);
  if (pos[0] != 1 || pos[3] != g.embed_dim)
    throw_shape_error(scope, "pos_embed", pos, detail::concat("[1, grid_h, grid_w, ", g.embed_dim, "]"));
  g.grid_h = pos[1];
  g.grid_w = pos[2];

  const int64_t depth = count_list_entries(scope, "blocks", "norm1.weight");
  if (depth == 0) throw_missing(scope, "blocks.0.norm1.weight");
  const auto first = scope.sub(block_name(0));
  const auto rel_pos = shape_with_rank(first, "attn.rel_pos_h", 2);
  const int64_t head_dim = rel_pos[1];
  if (head_dim <= 0 || g.embed_dim % head_dim != 0)
    throw_shape_error(first, "attn.rel_pos_h", rel_pos,
                      detail::concat("[rows, head_dim] with head_dim dividing the embedding width ", g.embed_dim));
  g.num_heads = g.embed_dim / head_dim;
  g.mlp_dim = shape_with_rank(first, "mlp.lin1.weight", 2)[0];
  for (int64_t i = 0; i < depth; ++i) g.block_windows.push_back(infer_window(scope.sub(block_name(i)), g.grid_h, g.grid_w));

  const auto neck = shape_with_rank(scope, "neck.0.weight", 4);
  if (neck[1] != g.embed_dim || neck[2] != 1 || neck[3] != 1)
    throw_shape_error(scope, "neck.0.weight", neck, detail::concat("[out, ", g.embed_dim, ", 1, 1]"));
  g.out_channels = neck[0];
  return g;
}

ImageEncoder ImageEncoder::bind(const WeightScope& scope) {
  ImageEncoder encoder;
  const auto g = ImageEncoderGeometry::infer(scope);
  encoder.geometry_ = g;
  const int64_t c = g.embed_dim, head_dim = g.embed_dim / g.num_heads;
  encoder.patch_weight_ = scope.bind("patch_embed.proj.weight", {c, 3, g.patch_size, g.patch_size});
  encoder.patch_bias_ = scope.bind("patch_embed.proj.bias", {c});
  encoder.pos_embed_ = scope.bind("pos_embed", {1, g.grid_h, g.grid_w, c});
  for (int64_t i = 0; i < g.depth(); ++i) {
    const auto s = scope.sub(block_name(i));
    const int64_t window = g.block_windows[i];
    const int64_t rows_h = 2 * (window ? window : g.grid_h) - 1, rows_w = 2 * (window ? window : g.grid_w) - 1;
    Block block{LayerNorm::bind(s.sub("norm1"), c, kEncoderLayerNormEps),
                LayerNorm::bind(s.sub("norm2"), c, kEncoderLayerNormEps),
                Attention{Linear::bind(s.sub("attn.qkv"), c, 3 * c), Linear::bind(s.sub("attn.proj"), c, c),
                          s.bind("attn.rel_pos_h", {rows_h, head_dim}), s.bind("attn.rel_pos_w", {rows_w, head_dim}),
                          g.num_heads},
                MlpBlock::bind(s.sub("mlp"), c, g.mlp_dim, Activation::kGelu), window};
    encoder.blocks_.push_back(std::move(block));
  }
  encoder.neck_conv1_ = scope.bind("neck.0.weight", {g.out_channels, c, 1, 1});
  encoder.neck_norm1_ = LayerNorm2d::bind(scope.sub("neck.1"), g.out_channels);
  encoder.neck_conv2_ = scope.bind("neck.2.weight", {g.out_channels, g.out_channels, 3, 3});
  encoder.neck_norm2_ = LayerNorm2d::bind(scope.sub("neck.3"), g.out_channels);
  return encoder;
}

at::Tensor ImageEncoder::Attention::operator()(const at::Tensor& x) const {
  const int64_t b = x.size(0), h = x.size(1), w = x.size(2), c = x.size(3);
  const int64_t head_dim = c / num_heads, tokens = h * w;
  // [B, H, W, 3C] -> [3, B, heads, HW, head_dim]
  const auto qkv_heads = qkv(x).reshape({b, tokens, 3, num_heads, head_dim}).permute({2, 0, 3, 1, 4});
  const auto out = relative_position_attention(qkv_heads[0], qkv_heads[1], qkv_heads[2], rel_pos_h, rel_pos_w, h, w);
  // [B, heads, HW, head_dim] -> [B, H, W, C]
  return proj(out.view({b, num_heads, h, w, head_dim}).permute({0, 2, 3, 1, 4}).reshape({b, h, w, c}));
}

at::Tensor ImageEncoder::Block::operator()(const at::Tensor& x) const {
  auto y = norm1(x);
  if (window > 0) {
    const auto partition = window_partition(y, window);
    y = window_unpartition(attn(partition.windows), window, partition.padded_h, partition.padded_w, x.size(1),
                           x.size(2));
  } else {
    y = attn(y);
  }
  const auto z = x + y;
  return z + mlp(norm2(z));
}

at::Tensor ImageEncoder::operator()(const at::Tensor& pixels) const {
  // [B, 3, image_h, image_w] -> [B, grid_h, grid_w, embed]
  auto x = at::conv2d(pixels, patch_weight_, patch_bias_, {geometry_.patch_size, geometry_.patch_size})
               .permute({0, 2, 3, 1}) +
           pos_embed_;
  for (const auto& block : blocks_) x = block(x);

  // SAM runs the fp16 neck in float32 (autocast) to avoid overflow; float32 activations with the fp16
  // weights upcast reproduce that, and the result goes back to fp16.
  const bool float_neck = x.scalar_type() == at::kHalf;
  const auto neck_weight = [&](const at::Tensor& w) { return float_neck ? w.to(at::kFloat) : w; };
  auto y = x.permute({0, 3, 1, 2});  // [B, embed, grid_h, grid_w]
  if (float_neck) y = y.to(at::kFloat);
  y = neck_norm1_(at::conv2d(y, neck_weight(neck_conv1_)));
  y = neck_norm2_(at::conv2d(y, neck_weight(neck_conv2_), {}, /*stride=*/1, /*padding=*/1));
  return y.to(x.scalar_type());
}

}  // namespace lisa::models::sam
