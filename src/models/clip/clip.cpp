#include <cmath>
#include <string>

#include "lisa/error.h"
#include "lisa/models/clip.h"

namespace lisa::models {

namespace {
const std::string kPrefix = "vision_model.";

// CLIP's "quick_gelu" activation: x * sigmoid(1.702 x).
at::Tensor quick_gelu(const at::Tensor& x) { return x * at::sigmoid(x * 1.702); }

int64_t count_encoder_layers(const WeightBinder& binder) {
  int64_t depth = 0;
  while (binder.contains(kPrefix + "encoder.layers." + std::to_string(depth) + ".layer_norm1.weight")) ++depth;
  return depth;
}
}  // namespace

ClipVisionTower ClipVisionTower::bind(WeightBinder& binder, const ClipVisionOptions& options) {
  const std::string& file = binder.checkpoint().path().string();
  ClipVisionTower tower;
  tower.options_ = options;
  WeightScope root(binder, kPrefix);
  WeightScope embeddings = root.sub("embeddings");

  const auto patch_shape = embeddings.shape_of("patch_embedding.weight");  // [C, 3, P, P]
  LISA_CHECK(patch_shape.size() == 4 && patch_shape[1] == 3 && patch_shape[2] == patch_shape[3], file, ": weight '",
             kPrefix, "embeddings.patch_embedding.weight' is not a square RGB patch conv");
  const int64_t width = patch_shape[0];
  tower.patch_size_ = patch_shape[2];
  LISA_CHECK(options.num_heads > 0 && width % options.num_heads == 0, file, ": CLIP width ", width,
             " is not divisible by num_heads ", options.num_heads);

  const auto positions_shape = embeddings.shape_of("position_embedding.weight");  // [N + 1, C]
  const auto grid = static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(positions_shape.at(0) - 1))));
  LISA_CHECK(grid * grid + 1 == positions_shape.at(0), file, ": weight '", kPrefix,
             "embeddings.position_embedding.weight' has ", positions_shape.at(0),
             " rows, not a square patch grid plus CLS");
  tower.grid_size_ = grid;

  tower.patch_embedding_ = embeddings.bind("patch_embedding.weight", patch_shape);
  tower.class_embedding_ = embeddings.bind("class_embedding", {width});
  tower.position_embedding_ = embeddings.bind("position_embedding.weight", {grid * grid + 1, width});
  tower.pre_layrnorm_ = LayerNorm::bind(root.sub("pre_layrnorm"), width, options.layer_norm_eps);

  const int64_t depth = count_encoder_layers(binder);
  const int64_t selected = options.select_layer < 0 ? depth + 1 + options.select_layer : options.select_layer;
  LISA_CHECK(selected >= 0 && selected <= depth, file, ": select_layer ", options.select_layer, " is outside the ",
             depth + 1, " hidden states of this ", depth, "-layer CLIP tower");

  for (int64_t i = 0; i < selected; ++i) {
    const WeightScope scope = root.sub("encoder.layers." + std::to_string(i));
    const int64_t ffn = scope.sub("mlp.fc1").shape_of("weight").at(0);
    EncoderLayer layer;
    layer.layer_norm1 = LayerNorm::bind(scope.sub("layer_norm1"), width, options.layer_norm_eps);
    layer.layer_norm2 = LayerNorm::bind(scope.sub("layer_norm2"), width, options.layer_norm_eps);
    layer.q_proj = Linear::bind(scope.sub("self_attn.q_proj"), width, width, true);
    layer.k_proj = Linear::bind(scope.sub("self_attn.k_proj"), width, width, true);
    layer.v_proj = Linear::bind(scope.sub("self_attn.v_proj"), width, width, true);
    layer.out_proj = Linear::bind(scope.sub("self_attn.out_proj"), width, width, true);
    layer.fc1 = Linear::bind(scope.sub("mlp.fc1"), width, ffn, true);
    layer.fc2 = Linear::bind(scope.sub("mlp.fc2"), ffn, width, true);
    tower.layers_.push_back(std::move(layer));
  }

  // Layers after the selected hidden state cannot influence it: ignored rather than loaded.
  for (int64_t i = selected; i < depth; ++i) binder.ignore_prefix(kPrefix + "encoder.layers." + std::to_string(i) + ".");
  // LLaVA reads hidden_states[select_layer], which is taken before post_layernorm.
  binder.ignore_prefix(kPrefix + "post_layernorm.");
  // A buffer that older transformers versions saved with the weights; positions are implicit here.
  binder.ignore_prefix(kPrefix + "embeddings.position_ids");
  // openai/clip-vit-large-patch14 is a full CLIPModel: its text tower and projection heads are unused.
  binder.ignore_prefix("text_model.");
  binder.ignore_prefix("visual_projection.");
  binder.ignore_prefix("text_projection.");
  binder.ignore_prefix("logit_scale");
  return tower;
}

at::Tensor ClipVisionTower::attention(const EncoderLayer& layer, const at::Tensor& x) const {
  const int64_t batch = x.size(0), tokens = x.size(1), width = x.size(2);
  const int64_t heads = options_.num_heads, head_dim = width / heads;
  auto split_heads = [&](const at::Tensor& t) { return t.view({batch, tokens, heads, head_dim}).transpose(1, 2); };
  // [B, heads, T, D]; the default SDPA scale is CLIP's head_dim^-0.5; no mask in the vision tower.
  const at::Tensor context = at::scaled_dot_product_attention(split_heads(layer.q_proj(x)), split_heads(layer.k_proj(x)),
                                                              split_heads(layer.v_proj(x)));
  return layer.out_proj(context.transpose(1, 2).reshape({batch, tokens, width}));
}

at::Tensor ClipVisionTower::forward(const at::Tensor& pixels) const {
  const int64_t size = image_size();
  // Engine::load checks the preprocessor's crop size against the tower's image_size.
  LISA_INTERNAL_ASSERT(pixels.dim() == 4 && pixels.size(1) == 3 && pixels.size(2) == size && pixels.size(3) == size,
                       "CLIP vision tower: pixels have shape ", pixels.sizes(), ", expected [B, 3, ", size, ", ", size,
                       "]");
  const int64_t batch = pixels.size(0), width = hidden_size();
  const at::Tensor input = pixels.to(patch_embedding_.device(), patch_embedding_.scalar_type());

  // [B, C, g, g] -> [B, N, C]
  const at::Tensor patches = at::conv2d(input, patch_embedding_, {}, {patch_size_, patch_size_}).flatten(2).transpose(1, 2);
  const at::Tensor cls = class_embedding_.view({1, 1, width}).expand({batch, 1, width});
  at::Tensor x = at::cat({cls, patches}, 1) + position_embedding_;  // [B, N + 1, C]
  x = pre_layrnorm_(x);

  for (const auto& layer : layers_) {
    x = x + attention(layer, layer.layer_norm1(x));
    x = x + layer.fc2(quick_gelu(layer.fc1(layer.layer_norm2(x))));
  }
  return x.slice(1, 1);  // drop CLS: LLaVA's "patch" feature selection
}

}  // namespace lisa::models
