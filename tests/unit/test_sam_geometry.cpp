// Sam::load on a small synthetic SAM checkpoint: the geometry is read off the weight shapes, and
// every missing, mis-shaped or unexpected key is reported by name.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "lisa/error.h"
#include "lisa/io/checkpoint.h"
#include "lisa/models/sam/sam.h"
#include "unit/io_fixtures.h"

namespace lisa::models::sam {
namespace {

using Weights = std::map<std::string, at::Tensor>;
using ::testing::HasSubstr;

constexpr int64_t kEmbed = 16, kHeadDim = 8, kPatch = 4, kGrid = 8, kWindow = 3, kMlp = 24;
constexpr int64_t kDim = 32, kDecoderMlp = 40, kIouHidden = 20, kMasks = 4;
const std::string kPrefix = "model.visual_model.";

void add(Weights& w, const std::string& name, at::IntArrayRef shape) { w[kPrefix + name] = at::randn(shape) * 0.2; }
void add_linear(Weights& w, const std::string& name, int64_t in, int64_t out) {
  add(w, name + ".weight", {out, in});
  add(w, name + ".bias", {out});
}
void add_norm(Weights& w, const std::string& name, int64_t dim) {
  w[kPrefix + name + ".weight"] = at::ones({dim});
  add(w, name + ".bias", {dim});
}
void add_attention(Weights& w, const std::string& name, int64_t internal) {
  for (const char* proj : {"q_proj", "k_proj", "v_proj"}) add_linear(w, name + "." + proj, kDim, internal);
  add_linear(w, name + ".out_proj", internal, kDim);
}

// Blocks 0 and 2 windowed (window 3 on an 8 x 8 grid: padded to 9 x 9), block 1 global.
Weights tiny_sam() {
  Weights w;
  const std::string enc = "image_encoder.";
  add(w, enc + "patch_embed.proj.weight", {kEmbed, 3, kPatch, kPatch});
  add(w, enc + "patch_embed.proj.bias", {kEmbed});
  add(w, enc + "pos_embed", {1, kGrid, kGrid, kEmbed});
  for (int i = 0; i < 3; ++i) {
    const auto b = enc + "blocks." + std::to_string(i) + ".";
    const int64_t rows = 2 * (i == 1 ? kGrid : kWindow) - 1;
    add_norm(w, b + "norm1", kEmbed);
    add_norm(w, b + "norm2", kEmbed);
    add_linear(w, b + "attn.qkv", kEmbed, 3 * kEmbed);
    add_linear(w, b + "attn.proj", kEmbed, kEmbed);
    add(w, b + "attn.rel_pos_h", {rows, kHeadDim});
    add(w, b + "attn.rel_pos_w", {rows, kHeadDim});
    add_linear(w, b + "mlp.lin1", kEmbed, kMlp);
    add_linear(w, b + "mlp.lin2", kMlp, kEmbed);
  }
  add(w, enc + "neck.0.weight", {kDim, kEmbed, 1, 1});
  add_norm(w, enc + "neck.1", kDim);
  add(w, enc + "neck.2.weight", {kDim, kDim, 3, 3});
  add_norm(w, enc + "neck.3", kDim);

  const std::string pe = "prompt_encoder.";
  add(w, pe + "pe_layer.positional_encoding_gaussian_matrix", {2, kDim / 2});
  add(w, pe + "no_mask_embed.weight", {1, kDim});
  add(w, pe + "not_a_point_embed.weight", {1, kDim});
  for (int i = 0; i < 4; ++i) add(w, pe + "point_embeddings." + std::to_string(i) + ".weight", {1, kDim});
  add(w, pe + "mask_downscaling.0.weight", {4, 1, 2, 2});
  add(w, pe + "mask_downscaling.0.bias", {4});
  add_norm(w, pe + "mask_downscaling.1", 4);
  add(w, pe + "mask_downscaling.3.weight", {16, 4, 2, 2});
  add(w, pe + "mask_downscaling.3.bias", {16});
  add_norm(w, pe + "mask_downscaling.4", 16);
  add(w, pe + "mask_downscaling.6.weight", {kDim, 16, 1, 1});
  add(w, pe + "mask_downscaling.6.bias", {kDim});

  const std::string md = "mask_decoder.";
  add(w, md + "iou_token.weight", {1, kDim});
  add(w, md + "mask_tokens.weight", {kMasks, kDim});
  for (int i = 0; i < 2; ++i) {
    const auto l = md + "transformer.layers." + std::to_string(i) + ".";
    add_attention(w, l + "self_attn", kDim);
    add_attention(w, l + "cross_attn_token_to_image", kDim / 2);
    add_attention(w, l + "cross_attn_image_to_token", kDim / 2);
    for (const char* norm : {"norm1", "norm2", "norm3", "norm4"}) add_norm(w, l + norm, kDim);
    add_linear(w, l + "mlp.lin1", kDim, kDecoderMlp);
    add_linear(w, l + "mlp.lin2", kDecoderMlp, kDim);
  }
  add_attention(w, md + "transformer.final_attn_token_to_image", kDim / 2);
  add_norm(w, md + "transformer.norm_final_attn", kDim);
  add(w, md + "output_upscaling.0.weight", {kDim, kDim / 4, 2, 2});
  add(w, md + "output_upscaling.0.bias", {kDim / 4});
  add_norm(w, md + "output_upscaling.1", kDim / 4);
  add(w, md + "output_upscaling.3.weight", {kDim / 4, kDim / 8, 2, 2});
  add(w, md + "output_upscaling.3.bias", {kDim / 8});
  for (int i = 0; i < kMasks; ++i) {
    const auto h = md + "output_hypernetworks_mlps." + std::to_string(i) + ".layers.";
    add_linear(w, h + "0", kDim, kDim);
    add_linear(w, h + "1", kDim, kDim);
    add_linear(w, h + "2", kDim, kDim / 8);
  }
  add_linear(w, md + "iou_prediction_head.layers.0", kDim, kIouHidden);
  add_linear(w, md + "iou_prediction_head.layers.1", kIouHidden, kIouHidden);
  add_linear(w, md + "iou_prediction_head.layers.2", kIouHidden, kMasks);
  // A key of another model part: finish("model.visual_model.") must leave it alone.
  w["model.norm.weight"] = at::ones({8});
  return w;
}

// Writes `weights` as float32 safetensors and returns the file.
std::filesystem::path write_safetensors(const Weights& weights, const std::string& stem) {
  nlohmann::json header = nlohmann::json::object();
  std::string data;
  for (const auto& [name, tensor] : weights) {
    const auto t = tensor.to(at::kFloat).contiguous();
    const size_t begin = data.size(), bytes = t.numel() * sizeof(float);
    data.append(static_cast<const char*>(t.data_ptr()), bytes);
    header[name] = {{"dtype", "F32"}, {"shape", t.sizes().vec()}, {"data_offsets", {begin, begin + bytes}}};
  }
  const auto text = header.dump();
  const auto path = std::filesystem::path(::testing::TempDir()) / (stem + ".safetensors");
  std::ofstream out(path, std::ios::binary);
  const uint64_t length = text.size();
  char length_bytes[8];
  for (int i = 0; i < 8; ++i) length_bytes[i] = static_cast<char>((length >> (8 * i)) & 0xff);
  out.write(length_bytes, 8);
  out << text << data;
  return path;
}

Sam load(const Weights& weights, const std::string& stem, at::ScalarType dtype = at::kFloat) {
  const auto checkpoint = io::Checkpoint::open(write_safetensors(weights, stem));
  WeightBinder binder(checkpoint, at::kCPU, dtype);
  return Sam::load(binder);
}

// The lisa::Error message Sam::load gives for `weights` (a test failure when it loads).
std::string load_error(const Weights& weights, const std::string& stem) {
  return lisa::testing::error_of([&] { load(weights, stem); });
}

TEST(SamGeometry, InfersTheGeometryFromTheWeights) {
  const auto sam = load(tiny_sam(), "sam_geometry_ok");
  const auto& g = sam.encoder_geometry();
  EXPECT_EQ(g.embed_dim, kEmbed);
  EXPECT_EQ(g.patch_size, kPatch);
  EXPECT_EQ(g.grid_h, kGrid);
  EXPECT_EQ(g.grid_w, kGrid);
  EXPECT_EQ(g.num_heads, kEmbed / kHeadDim);
  EXPECT_EQ(g.mlp_dim, kMlp);
  EXPECT_EQ(g.out_channels, kDim);
  EXPECT_EQ(g.block_windows, (std::vector<int64_t>{kWindow, 0, kWindow}));
  EXPECT_EQ(g.global_blocks(), (std::vector<int64_t>{1}));
  EXPECT_EQ(sam.input_size(), (ImageSize{kGrid * kPatch, kGrid * kPatch}));
}

TEST(SamGeometry, RunsEndToEndWithTheInferredShapes) {
  for (const auto dtype : {at::kFloat, at::kBFloat16, at::kHalf}) {
    const auto sam = load(tiny_sam(), "sam_geometry_run", dtype);
    const auto embedding = sam.encode_image(at::randn({1, 3, kGrid * kPatch, kGrid * kPatch}));
    ASSERT_EQ(embedding.sizes(), at::IntArrayRef({1, kDim, kGrid, kGrid}));
    EXPECT_EQ(embedding.scalar_type(), dtype);
    const auto prediction = sam.decode(embedding, at::randn({2, kDim}));
    ASSERT_EQ(prediction.low_res_logits.sizes(), at::IntArrayRef({2, 1, 4 * kGrid, 4 * kGrid}));
    ASSERT_EQ(prediction.iou.sizes(), at::IntArrayRef({2}));
    EXPECT_TRUE(at::isfinite(prediction.low_res_logits).all().item<bool>());
    const auto logits = sam.postprocess(prediction.low_res_logits, {24, 32}, {12, 16});
    EXPECT_EQ(logits.sizes(), at::IntArrayRef({2, 1, 12, 16}));
    EXPECT_EQ(logits.scalar_type(), at::kFloat);
  }
}

TEST(SamGeometry, DecodesNoMasksForNoSegEmbeddings) {
  const auto sam = load(tiny_sam(), "sam_geometry_empty");
  const auto prediction = sam.decode(at::zeros({1, kDim, kGrid, kGrid}), at::zeros({0, kDim}));
  EXPECT_EQ(prediction.low_res_logits.size(0), 0);
  EXPECT_EQ(prediction.iou.size(0), 0);
}

TEST(SamGeometry, RejectsInputsOfTheWrongShape) {
  const auto sam = load(tiny_sam(), "sam_geometry_inputs");
  EXPECT_THROW(sam.encode_image(at::zeros({1, 3, 16, 16})), Error);
  EXPECT_THROW(sam.decode(at::zeros({1, kDim, kGrid, kGrid}), at::zeros({2, kDim + 1})), Error);
  EXPECT_THROW(sam.decode(at::zeros({2, kDim, kGrid, kGrid}), at::zeros({2, kDim})), InternalError);
}

TEST(SamGeometry, AMissingKeyIsNamed) {
  for (const std::string key : {"image_encoder.blocks.1.attn.rel_pos_w", "image_encoder.pos_embed",
                                "image_encoder.neck.3.bias", "prompt_encoder.no_mask_embed.weight",
                                "mask_decoder.transformer.layers.1.cross_attn_image_to_token.v_proj.bias",
                                "mask_decoder.iou_prediction_head.layers.0.weight"}) {
    auto weights = tiny_sam();
    weights.erase(kPrefix + key);
    EXPECT_THAT(load_error(weights, "sam_geometry_missing"), HasSubstr("'" + kPrefix + key + "'"));
  }
}

TEST(SamGeometry, AMisShapedKeyIsNamed) {
  const std::map<std::string, std::vector<int64_t>> bad{
      {"image_encoder.patch_embed.proj.weight", {kEmbed, 3, kPatch}},
      {"image_encoder.blocks.2.attn.rel_pos_h", {6, kHeadDim}},              // even: neither window nor grid
      {"image_encoder.blocks.0.attn.rel_pos_h", {2 * kWindow - 1, 5}},       // head_dim 5 does not divide 16
      {"image_encoder.blocks.2.mlp.lin1.weight", {kMlp + 1, kEmbed}},        // unlike block 0
      {"image_encoder.neck.2.weight", {kDim, kDim, 1, 1}},
      {"mask_decoder.transformer.layers.0.cross_attn_token_to_image.q_proj.weight", {12, kDim}},
      {"mask_decoder.output_upscaling.3.weight", {kDim / 4, kDim / 4, 2, 2}},
  };
  for (const auto& [key, shape] : bad) {
    auto weights = tiny_sam();
    weights[kPrefix + key] = at::zeros(shape);
    EXPECT_THAT(load_error(weights, "sam_geometry_shape"), HasSubstr("'" + kPrefix + key + "'")) << key;
  }
}

TEST(SamGeometry, AnUnexpectedKeyIsNamed) {
  auto weights = tiny_sam();
  weights[kPrefix + "image_encoder.blocks.0.attn.extra"] = at::zeros({2});
  EXPECT_THAT(load_error(weights, "sam_geometry_extra"), HasSubstr(kPrefix + "image_encoder.blocks.0.attn.extra"));
}

}  // namespace
}  // namespace lisa::models::sam
