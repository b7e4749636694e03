#include "model_options.h"

#include <filesystem>

#include "lisa/error.h"

namespace lisa::cli {

pipeline::RuntimeOptions& runtime_options() {
  static pipeline::RuntimeOptions options;
  return options;
}

pipeline::EngineOptions ModelOptions::engine_options() const {
  pipeline::EngineOptions engine;
  engine.model = model;
  engine.vision_tower = vision_tower;
  engine.device = device;
  if (!precision.empty()) engine.precision = pipeline::parse_precision(precision);
  engine.conv_type = conv_type;
  engine.cuda_graphs = !no_cuda_graphs;
  engine.quantization.mode = models::parse_quant_mode(quantize);
  engine.quantization.group_size = group_size;
  engine.quantization.validate();
  return engine;
}

namespace {
// A folder by its absolute path, a repo id of the HF cache as given.
std::string identity(const std::string& model) {
  std::error_code error;
  if (model.empty() || !std::filesystem::is_directory(model, error)) return model;
  const auto absolute = std::filesystem::weakly_canonical(model, error);
  return error ? model : absolute.string();
}
}  // namespace

nlohmann::ordered_json ModelOptions::result_arguments() const {
  nlohmann::ordered_json arguments;
  arguments["model"] = identity(model);
  arguments["vision_tower"] = identity(vision_tower);
  arguments["precision"] = precision.empty() ? "device default" : precision;
  arguments["quantize"] = quantize;
  if (quantize == "int4") arguments["group_size"] = group_size;
  arguments["conv_type"] = conv_type;
  arguments["max_new_tokens"] = max_new_tokens;
  return arguments;
}

void add_model_options(CLI::App& command, ModelOptions& options) {
  command.add_option("-m,--model", options.model, "LISA checkpoint directory, or a repo id in the local HF cache")
      ->required();
  command.add_option("--vision-tower", options.vision_tower,
                     "CLIP vision tower directory or repo id (default: the checkpoint config's vision_tower, "
                     "looked up in the local HF cache)");
  command.add_option("--precision", options.precision, "fp32 | bf16 | fp16 (default: bf16 on CUDA, fp32 on CPU)")
      ->check(CLI::IsMember({"fp32", "bf16", "fp16"}));
  command.add_option("--device", options.device, "auto | cpu | cuda | cuda:N")->capture_default_str();
  command.add_option("--max-new-tokens", options.max_new_tokens, "most tokens generated per answer")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  command.add_option("--conv-type", options.conv_type, "conversation template")
      ->capture_default_str()
      ->check(CLI::IsMember({"llava_v1", "llava_llama_2"}));
  command.add_option("--threads", runtime_options().threads, "CPU threads (0: OMP_NUM_THREADS when set, else all cores)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  command.add_flag("--no-cuda-graphs", options.no_cuda_graphs,
                   "on CUDA, launch every kernel of each decoding step instead of replaying a recorded CUDA graph");
  command.add_option("--quantize", options.quantize,
                     "weight-only quantization of the LLM's linear layers at load: none | int8 (per output channel) "
                     "| int4 (per group of --group-size input columns); lm_head is int8 in both modes")
      ->capture_default_str()
      ->check(CLI::IsMember({"none", "int8", "int4"}));
  command.add_option("--group-size", options.group_size, "int4 group size: 32 | 64 | 128 | 256")
      ->capture_default_str()
      ->check(CLI::IsMember({32, 64, 128, 256}));
}

void add_devices_option(CLI::App& command, std::vector<std::string>& devices) {
  command
      .add_option("--devices", devices,
                  "answer on several devices at once, one engine each, e.g. cuda:0,cuda:1 (cpu,cpu for tests); "
                  "results are those of one device")
      ->delimiter(',');
}

std::vector<std::unique_ptr<pipeline::Engine>> load_engines(const ModelOptions& model,
                                                            const std::vector<std::string>& devices,
                                                            const std::string& command) {
  std::vector<std::unique_ptr<pipeline::Engine>> engines;
  if (devices.empty()) {
    engines.push_back(pipeline::Engine::load(model.engine_options()));
    return engines;
  }
  LISA_CHECK(model.device == "auto", command, ": give --device or --devices, not both");
  for (const auto& device : devices) {
    LISA_CHECK(!device.empty(), command, ": --devices has an empty entry (give e.g. cuda:0,cuda:1)");
    pipeline::EngineOptions options = model.engine_options();
    options.device = device;
    engines.push_back(pipeline::Engine::load(options));
  }
  return engines;
}

std::vector<const pipeline::Engine*> pointers(const std::vector<std::unique_ptr<pipeline::Engine>>& engines) {
  std::vector<const pipeline::Engine*> pointers;
  for (const auto& engine : engines) pointers.push_back(engine.get());
  return pointers;
}

void add_batch_options(CLI::App& command, int64_t& batch_size, int64_t& max_kv_cache_mib) {
  command
      .add_option("--batch-size", batch_size,
                  "questions answered together: decoded as one batch, each with its own answer (1: one at a "
                  "time, the CUDA-graph path)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{256}));
  command
      .add_option("--max-kv-cache-mib", max_kv_cache_mib,
                  "bound on a batch's KV caches: a batch that would exceed it runs in smaller parts; a question "
                  "that alone exceeds it fails")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30));
}

}  // namespace lisa::cli
