#pragma once
// How an Engine is loaded and how one question is answered. Shared by every workflow
// (chat, segment, eval, bench), so that the CLI options mean the same thing everywhere.
#include <ATen/ATen.h>

#include <filesystem>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lisa/pipeline/answer.h"

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
  // On CUDA, replay the decoding step as a recorded CUDA graph (where the build supports it).
  bool cuda_graphs = true;
  // Weight-only quantization of the LLM's linear layers at load (models/quantization.h).
  models::QuantizationOptions quantization;
};

// How the masks of an answer are produced. SAM's mask decoder and the post-processing to the image
// size run on at most `chunk_size` [SEG] embeddings at a time, so that an answer with hundreds of
// [SEG] needs memory for one chunk, not for all of them (the masks are the same either way: each
// [SEG] is decoded on its own). Every mask is produced, as the reference produces them all.
struct MaskOptions {
  int64_t chunk_size = 16;
  // When set, each chunk is handed here (first_index: the index of its first mask in the answer)
  // instead of being kept in Answer::masks, and is released after the call: the caller writes and
  // frees as it goes. An exception thrown here stops the question and propagates.
  std::function<void(int64_t first_index, std::vector<SegMask>& chunk)> on_chunk;
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
  // Polled after every generated token (and before the masks): once it returns true the question is
  // abandoned by throwing AskStopped (a server's client gone or past its deadline). The session's
  // conversation is left as it was before the question.
  std::function<bool()> stop_requested;
  MaskOptions masks;
};

// Thrown by Session::ask when AskOptions::stop_requested said so. Not an error of the user's.
struct AskStopped : std::exception {
  const char* what() const noexcept override { return "the question was stopped"; }
};

}  // namespace lisa::pipeline
