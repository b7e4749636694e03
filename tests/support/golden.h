#pragma once
// Access to the reference goldens under tests/data/golden (written by
// scripts/reference/make_goldens.py; layout in scripts/reference/README.md).
//
// The goldens store the model inputs (CLIP pixels, SAM's resized picture) only as SHA-256 hashes
// plus small samples. GoldenCase::clip_pixels() and sam_input() recompute them with the engine's
// preprocessing, which is bit-exact, and throw unless the bytes hash to the reference's.
#include <ATen/ATen.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lisa/image/sam_preprocess.h"
#include "lisa/io/checkpoint.h"
#include "lisa/pipeline/options.h"

namespace lisa::testing {

// tests/data/golden
const std::filesystem::path& golden_root();
// models/lisa-tiny-bin, models/lisa-tiny-safetensors, models/clip-tiny
std::filesystem::path golden_lisa_bin_dir();
std::filesystem::path golden_lisa_safetensors_dir();
std::filesystem::path golden_clip_dir();
// The tiny .bin checkpoint with the tiny CLIP, on the CPU.
pipeline::EngineOptions golden_engine_options();

// Lowercase hex SHA-256 of a tensor's bytes (made contiguous on the CPU first), the way the
// generator hashes numpy arrays: raw little-endian element bytes in row-major order.
std::string sha256_hex(const at::Tensor& tensor);
std::string sha256_hex(const void* data, size_t size);

struct GoldenCase {
  std::string kind;  // "chat" or "eval"
  std::string name;  // directory name
  std::filesystem::path dir;
  nlohmann::json meta;  // case.json
  io::Checkpoint tensors;

  // Throws lisa::Error naming the case directory when case.json or its tensor file is unreadable.
  static GoldenCase load(const std::filesystem::path& dir);

  at::Tensor tensor(const std::string& key) const { return tensors.load(key); }
  std::vector<int64_t> ids() const { return meta.at("input_ids").get<std::vector<int64_t>>(); }
  std::filesystem::path image_path() const;
  std::vector<std::filesystem::path> mask_paths() const;

  // [1, 3, 224, 224] float32: the reference's CLIP pixel_values for this case.
  at::Tensor clip_pixels() const;
  // SAM's input for this case; resized (the uint8 picture before normalisation) is the reference's.
  image::SamInput sam_input() const;
};

// IoU of a boolean mask [H, W] with a golden mask PNG (nonzero pixels are inside), 1 when both are
// empty. An unreadable PNG or a size mismatch is a failed expectation, and the IoU is 0.
double iou_with_mask_png(const at::Tensor& mask, const std::filesystem::path& png);

// The cases of one kind ("chat" or "eval"), sorted by name; empty when the directory is absent.
std::vector<GoldenCase> golden_cases(const std::string& kind);

}  // namespace lisa::testing
