#pragma once
// `lisa quantize`: a LISA checkpoint directory written again with its LLaMA projections and lm_head
// quantized (the stored form of models/quantized_checkpoint.h), every other tensor and file as it
// was, so that every subcommand loads it directly without quantizing at load.
//
// Tensors are read, quantized and written one at a time (bounded memory whatever the model size),
// into a hidden folder next to the output (".OUT.partial-PID") that is renamed to it only when
// complete: a run that fails or is killed never leaves a checkpoint that looks whole. A run that
// fails or is stopped (QuantizeOptions::stop_requested) removes its hidden folder; one killed
// outright (SIGKILL) leaves it, and the next run for the same output removes it (its pid is gone).
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "lisa/models/quantization.h"

namespace lisa::workflow {

struct QuantizeOptions {
  std::filesystem::path model;  // a checkpoint directory (or a Hugging Face id in the local cache)
  std::filesystem::path out;    // must not exist yet
  models::QuantizationOptions quantization;  // int8 or int4
  // Safetensors files of at most this many bytes of data each (one file when it all fits).
  int64_t max_file_bytes = int64_t{4} << 30;
  // Polled before each source tensor is read; once true the run ends with QuantizeStopped.
  std::function<bool()> stop_requested;
};

// Thrown by quantize_checkpoint when stop_requested said so; nothing is left behind.
struct QuantizeStopped : std::exception {
  const char* what() const noexcept override { return "lisa quantize was stopped"; }
};

struct QuantizeReport {
  int64_t tensors = 0;    // in the source checkpoint
  int64_t quantized = 0;  // of those, stored quantized
  int64_t bytes_in = 0;   // tensor bytes read
  int64_t bytes_out = 0;  // tensor bytes written
  std::vector<std::string> files;  // weights files written, in order
  std::vector<std::filesystem::path> removed_partials;  // hidden folders of killed runs, removed
};

// Called before each source tensor is written: its name and how many came before, of `total`.
using QuantizeProgress = std::function<void(const std::string& tensor, size_t done, size_t total)>;

// Checked before anything is read: lisa::Error naming the path when `out` exists, the model is
// not a directory, or the mode is not int8/int4.
void check_quantize_paths(const QuantizeOptions& options);

QuantizeReport quantize_checkpoint(const QuantizeOptions& options, const QuantizeProgress& progress = {});

}  // namespace lisa::workflow
