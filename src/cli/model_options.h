#pragma once
// The model options every workflow shares (chat, segment, eval, bench), registered in one place so
// they are spelled, defaulted and explained the same way everywhere.
#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "lisa/pipeline/options.h"

namespace lisa::cli {

struct ModelOptions {
  std::string model;
  std::string vision_tower;
  std::string precision;  // empty: the device's default
  std::string device = "auto";
  std::string conv_type = "llava_v1";
  int64_t max_new_tokens = 512;
  int threads = 0;
  bool no_cuda_graphs = false;
  std::string quantize = "none";
  int64_t group_size = 64;

  pipeline::EngineOptions engine_options() const;
};

// Adds --model, --vision-tower, --precision, --device, --max-new-tokens, --conv-type, --threads,
// --no-cuda-graphs, --quantize, --group-size.
void add_model_options(CLI::App& command, ModelOptions& options);

}  // namespace lisa::cli
