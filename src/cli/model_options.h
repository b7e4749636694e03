#pragma once
// The model options every workflow shares (chat, segment, eval, bench), registered in one place so
// they are spelled, defaulted and explained the same way everywhere.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "lisa/pipeline/engine.h"

#include "lisa/pipeline/options.h"
#include "lisa/pipeline/runtime.h"

namespace lisa::cli {

struct ModelOptions {
  std::string model;
  std::string vision_tower;
  std::string precision;  // empty: the device's default
  std::string device = "auto";
  std::string conv_type = "llava_v1";
  int64_t max_new_tokens = 512;
  bool no_cuda_graphs = false;
  std::string quantize = "none";
  int64_t group_size = 64;

  pipeline::EngineOptions engine_options() const;
  // The options that change answers, for the input hash of a sharded run: the model and vision
  // tower as absolute paths when they are folders (shards started from other directories agree),
  // precision, quantization, conversation template, token limit. Not the device or thread count.
  nlohmann::ordered_json result_arguments() const;
};

// Adds --model, --vision-tower, --precision, --device, --max-new-tokens, --conv-type, --threads,
// --no-cuda-graphs, --quantize, --group-size. --threads goes to runtime_options(), not to `options`.
void add_model_options(CLI::App& command, ModelOptions& options);

// Adds --batch-size (questions answered together) and --max-kv-cache-mib (their KV caches' bound);
// segment and eval share them.
void add_batch_options(CLI::App& command, int64_t& batch_size, int64_t& max_kv_cache_mib);

// Adds --devices (one engine per device, answering at once; segment and eval).
void add_devices_option(CLI::App& command, std::vector<std::string>& devices);

// One engine per `devices` entry (loaded one after the other), or the one of model.device when
// `devices` is empty. `command` names the subcommand in errors.
std::vector<std::unique_ptr<pipeline::Engine>> load_engines(const ModelOptions& model,
                                                            const std::vector<std::string>& devices,
                                                            const std::string& command);
std::vector<const pipeline::Engine*> pointers(const std::vector<std::unique_ptr<pipeline::Engine>>& engines);

// The process-wide settings the command line asked for (one subcommand runs per process); main
// applies them once, before the command runs.
pipeline::RuntimeOptions& runtime_options();

}  // namespace lisa::cli
