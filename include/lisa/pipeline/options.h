#pragma once
// How an Engine is loaded and how one question is answered. Shared by every workflow
// (chat, segment, eval, bench), so that the CLI options mean the same thing everywhere.
#include <ATen/ATen.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "lisa/models/quantization.h"

namespace lisa::pipeline {

enum class Precision { kFp32, kBf16, kFp16 };

// "fp32" | "bf16" | "fp16"; an error naming the accepted values otherwise.
Precision parse_precision(const std::string& text);
std::string to_string(Precision precision);
at::ScalarType scalar_type(Precision precision);

// "auto" (CUDA when available, else CPU) | "cpu" | "cuda" | "cuda:N"; an error when CUDA is asked
// for and this build or machine has none.
at::Device resolve_device(const std::string& text);

struct EngineOptions {
  std::filesystem::path model;      // LISA checkpoint directory, or a repo id in the local HF cache
  std::string vision_tower;         // CLIP directory or repo id; empty: the checkpoint config's
  std::string device = "auto";
  std::optional<Precision> precision;  // default: bf16 on CUDA, fp32 on CPU (chat.py's choices)
  std::string conv_type = "llava_v1";
  int threads = 0;                  // CPU threads for libtorch; 0: all cores
  // On CUDA, replay the decoding step as a recorded CUDA graph (where the build supports it).
  bool cuda_graphs = true;
  // Weight-only quantization of the LLM's linear layers at load (models/quantization.h).
  models::QuantizationOptions quantization;
};

struct AskOptions {
  int64_t max_new_tokens = 512;  // chat.py's value
  // When the answer has no [SEG], take the mask of the answer "Sure, [SEG]." teacher-forced instead,
  // and flag the result as forced.
  bool force_seg = false;
  // Generate exactly max_new_tokens tokens, past EOS (benchmarks of long answers).
  bool ignore_eos = false;
  // Called with each piece of answer text as soon as it is decoded (streaming).
  std::function<void(const std::string&)> on_text;
};

}  // namespace lisa::pipeline
