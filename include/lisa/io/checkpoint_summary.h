#pragma once
// What `lisa inspect` reports about a checkpoint: tensors and parameters per LISA component and
// per storage dtype, the model size the LLM weights imply, the config and the added tokens.
// Nothing in it depends on the file format except `format`, so .bin and safetensors exports of
// the same weights summarise identically.
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "lisa/io/added_tokens.h"
#include "lisa/io/checkpoint.h"

namespace lisa::io {

struct TensorGroup {
  std::string name;
  int64_t tensors = 0;
  int64_t parameters = 0;  // stored elements (an int4 byte holds two weights)
  int64_t bytes = 0;       // as stored
};

struct CheckpointSummary {
  std::string format;  // e.g. "safetensors (2 files)"
  int64_t tensors = 0;
  int64_t parameters = 0;
  std::vector<TensorGroup> components;  // LLM, mm_projector, ..., other: those present, in that order
  std::vector<TensorGroup> dtypes;      // by storage dtype name
  std::string detected_size;            // "7B", "13B", "other (H=..., L=...)" or "n/a (...)"
  // config.json's "quantization" of a checkpoint written by `lisa quantize`, e.g. "int4, group size
  // 64, lm_head int8"; "none" when there is none.
  std::string quantization = "none";
  std::string config_kind;              // "LISA", "CLIP vision", or "" when there is no config.json
  std::vector<std::pair<std::string, std::string>> config;  // displayed fields, in order
  std::string config_error;             // why config.json could not be read, else ""
  std::vector<AddedToken> added_tokens;
};

struct LoadReport {
  int64_t tensors = 0;
  uint64_t bytes = 0;
  double seconds = 0;      // wall clock
  double cpu_seconds = 0;  // user + system time of the whole process (all threads) meanwhile
};

// Materialises every tensor in CPU memory in its storage dtype (a private copy of its bytes, all
// held until the end), which proves every byte is readable and measures load speed.
LoadReport read_every_tensor(const Checkpoint& checkpoint);

// `dir` holds the config and tokenizer files (the checkpoint's directory, or a file's parent).
CheckpointSummary summarize_checkpoint(const Checkpoint& checkpoint, const std::filesystem::path& dir);

// A human-readable report; the first line is the format line.
std::string render_summary(const CheckpointSummary& summary);
nlohmann::json summary_to_json(const CheckpointSummary& summary);

}  // namespace lisa::io
