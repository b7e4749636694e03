#pragma once
// The range each size in a config may take. Real checkpoints sit far inside them (LLaMA-2-13B:
// hidden 5120, 40 layers, 40 heads, intermediate 13824, vocab 32003, 4096 positions; CLIP
// ViT-L/14: 1024 wide, 24 layers, 16 heads, patch 14, 224 or 336 pixels). They are there so that a
// corrupt or hostile file is refused with a message naming its field before anything is sized
// from it: the rotary table (positions x head dimension), a resize or crop target, a loop over layers.
#include <cstdint>

namespace lisa::config::limits {

constexpr int64_t kMaxWidth = int64_t{1} << 16;          // hidden sizes, out_dim
constexpr int64_t kMaxIntermediate = int64_t{1} << 20;   // MLP widths
constexpr int64_t kMaxLayers = 1024;
constexpr int64_t kMaxHeads = 1024;
constexpr int64_t kMaxVocab = int64_t{1} << 22;
constexpr int64_t kMaxPositions = int64_t{1} << 20;      // max_position_embeddings
constexpr int64_t kMaxRotaryEntries = int64_t{1} << 27;  // max_position_embeddings x head dimension (512 MiB in fp32)
constexpr int64_t kMaxImageSide = 4096;                  // CLIP image_size, resize and crop sizes
constexpr int64_t kMaxPatch = 1024;
constexpr double kMaxEpsilon = 1.0;                      // rms_norm_eps, layer_norm_eps
constexpr double kMaxRopeTheta = 1e12;

}  // namespace lisa::config::limits
