#include "lisa/io/checkpoint_summary.h"

#include <nlohmann/json.hpp>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "lisa/config.h"
#include "lisa/error.h"
#include "lisa/io/json_file.h"

namespace lisa::io {

namespace {
struct ComponentRule {
  const char* name;
  std::vector<const char*> prefixes;
};

// LISA's state-dict layout (see docs/lisa-reference.md, section 2); CLIP keys appear in an unmerged
// checkpoint (model.vision_tower.) or in the CLIP directory itself (vision_model.).
const std::vector<ComponentRule>& component_rules() {
  static const std::vector<ComponentRule> rules = {
      {"LLM", {"model.layers.", "model.embed_tokens.", "model.norm.", "lm_head."}},
      {"mm_projector", {"model.mm_projector."}},
      {"text_hidden_fcs", {"model.text_hidden_fcs."}},
      {"SAM image encoder", {"model.visual_model.image_encoder."}},
      {"SAM prompt encoder", {"model.visual_model.prompt_encoder."}},
      {"SAM mask decoder", {"model.visual_model.mask_decoder."}},
      {"CLIP vision", {"model.vision_tower.", "vision_model."}},
  };
  return rules;
}

bool starts_with(const std::string& text, const char* prefix) { return text.rfind(prefix, 0) == 0; }

size_t component_of(const std::string& name) {
  const auto& rules = component_rules();
  for (size_t i = 0; i < rules.size(); ++i)
    for (const char* prefix : rules[i].prefixes)
      if (starts_with(name, prefix)) return i;
  return rules.size();  // "other"
}

std::string dtype_name(at::ScalarType dtype) {
  static const std::map<at::ScalarType, std::string> names = {
      {at::kDouble, "float64"}, {at::kFloat, "float32"}, {at::kHalf, "float16"}, {at::kBFloat16, "bfloat16"},
      {at::kLong, "int64"},     {at::kInt, "int32"},     {at::kShort, "int16"},  {at::kChar, "int8"},
      {at::kByte, "uint8"},     {at::kBool, "bool"}};
  auto found = names.find(dtype);
  return found != names.end() ? found->second : c10::toString(dtype);
}

std::string detect_size(const Checkpoint& checkpoint) {
  std::set<std::string> layers;
  const std::string layer_prefix = "model.layers.";
  for (const auto& name : checkpoint.names())
    if (starts_with(name, layer_prefix.c_str()))
      layers.insert(name.substr(layer_prefix.size(), name.find('.', layer_prefix.size()) - layer_prefix.size()));
  int64_t hidden = 0;
  if (checkpoint.contains("model.embed_tokens.weight") && checkpoint.info("model.embed_tokens.weight").shape.size() == 2)
    hidden = checkpoint.info("model.embed_tokens.weight").shape[1];
  else if (checkpoint.contains("model.norm.weight") && checkpoint.info("model.norm.weight").shape.size() == 1)
    hidden = checkpoint.info("model.norm.weight").shape[0];
  if (hidden == 0 && layers.empty()) return "n/a (no LLM weights)";
  const auto count = static_cast<int64_t>(layers.size());
  if (hidden == 4096 && count == 32) return "7B";
  if (hidden == 5120 && count == 40) return "13B";
  return "other (H=" + std::to_string(hidden) + ", L=" + std::to_string(count) + ")";
}

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

void add_lisa_config(CheckpointSummary& summary, const nlohmann::json& json, const std::string& source) {
  const auto c = LisaConfig::from_json(json, source);
  summary.config_kind = "LISA";
  summary.config = {{"hidden_size", std::to_string(c.hidden_size)},
                    {"num_hidden_layers", std::to_string(c.num_hidden_layers)},
                    {"num_attention_heads", std::to_string(c.num_attention_heads)},
                    {"num_key_value_heads", std::to_string(c.num_key_value_heads)},
                    {"intermediate_size", std::to_string(c.intermediate_size)},
                    {"vocab_size", std::to_string(c.vocab_size)},
                    {"max_position_embeddings", std::to_string(c.max_position_embeddings)},
                    {"rms_norm_eps", number(c.rms_norm_eps)},
                    {"rope_theta", number(c.rope_theta)},
                    {"out_dim", std::to_string(c.out_dim)},
                    {"mm_hidden_size", std::to_string(c.mm_hidden_size)},
                    {"mm_vision_select_layer", std::to_string(c.mm_vision_select_layer)},
                    {"mm_use_im_start_end", c.mm_use_im_start_end ? "true" : "false"},
                    {"vision_tower", c.vision_tower},
                    {"torch_dtype", c.torch_dtype.empty() ? "(not set)" : c.torch_dtype}};
}

void add_clip_config(CheckpointSummary& summary, const nlohmann::json& json, const std::string& source) {
  const auto c = ClipVisionConfig::from_json(json, source);
  summary.config_kind = "CLIP vision";
  summary.config = {{"hidden_size", std::to_string(c.hidden_size)},
                    {"intermediate_size", std::to_string(c.intermediate_size)},
                    {"num_hidden_layers", std::to_string(c.num_hidden_layers)},
                    {"num_attention_heads", std::to_string(c.num_attention_heads)},
                    {"image_size", std::to_string(c.image_size)},
                    {"patch_size", std::to_string(c.patch_size)},
                    {"hidden_act", c.hidden_act},
                    {"layer_norm_eps", number(c.layer_norm_eps)}};
}

// What config.json's "quantization" says, shown as written: the engine checks it at load
// (models/quantized_checkpoint.h), the summary reports even a checkpoint that would not load.
std::string quantization_text(const nlohmann::json& json) {
  const auto entry = json.find("quantization");
  if (entry == json.end() || entry->is_null()) return "none";
  if (!entry->is_object()) return entry->dump();
  std::string text = entry->contains("mode") ? entry->at("mode").dump() : "(no mode)";
  text.erase(std::remove(text.begin(), text.end(), '"'), text.end());
  if (entry->contains("group_size")) text += ", group size " + entry->at("group_size").dump();
  if (entry->contains("lm_head")) text += ", lm_head " + entry->at("lm_head").dump();
  text.erase(std::remove(text.begin(), text.end(), '"'), text.end());
  return text;
}

void add_config(CheckpointSummary& summary, const std::filesystem::path& dir) {
  const auto file = dir / "config.json";
  if (!std::filesystem::exists(file)) return;
  try {
    const auto json = read_json_file(file);
    const auto model_type = json.is_object() ? json.value("model_type", std::string()) : std::string();
    if (json.is_object() && (json.contains("vision_config") || starts_with(model_type, "clip"))) {
      add_clip_config(summary, json, file.string());
    } else {
      add_lisa_config(summary, json, file.string());
      summary.quantization = quantization_text(json);
    }
  } catch (const Error& e) {
    summary.config_kind.clear();
    summary.config.clear();
    summary.config_error = e.what();
  }
}

std::string grouped(int64_t value) {
  std::string digits = std::to_string(value);
  for (int at = static_cast<int>(digits.size()) - 3; at > (value < 0 ? 1 : 0); at -= 3) digits.insert(at, ",");
  return digits;
}

void render_groups(std::ostringstream& out, const char* title, const std::vector<TensorGroup>& groups) {
  char line[128];
  std::snprintf(line, sizeof line, "%-24s %8s %18s %18s\n", title, "tensors", "parameters", "bytes");
  out << line;
  for (const auto& g : groups) {
    std::snprintf(line, sizeof line, "  %-22s %8s %18s %18s\n", g.name.c_str(), grouped(g.tensors).c_str(),
                  grouped(g.parameters).c_str(), grouped(g.bytes).c_str());
    out << line;
  }
}
}  // namespace

CheckpointSummary summarize_checkpoint(const Checkpoint& checkpoint, const std::filesystem::path& dir) {
  CheckpointSummary summary;
  const auto& rules = component_rules();
  std::vector<TensorGroup> components(rules.size() + 1);
  for (size_t i = 0; i < rules.size(); ++i) components[i].name = rules[i].name;
  components.back().name = "other";
  std::map<std::string, TensorGroup> dtypes;
  std::set<std::filesystem::path> files;

  for (const auto& name : checkpoint.names()) {
    const auto& info = checkpoint.info(name);
    const int64_t numel = info.numel();
    for (TensorGroup* group : {&components[component_of(name)], &dtypes[dtype_name(info.dtype)]}) {
      group->tensors += 1;
      group->parameters += numel;
      group->bytes += numel * static_cast<int64_t>(c10::elementSize(info.dtype));
    }
    summary.tensors += 1;
    summary.parameters += numel;
    files.insert(info.file);
  }
  for (const auto& group : components)
    if (group.tensors > 0) summary.components.push_back(group);
  for (auto& [name, group] : dtypes) {
    group.name = name;
    summary.dtypes.push_back(group);
  }
  summary.format = checkpoint.format() + " (" + std::to_string(files.size()) + (files.size() == 1 ? " file)" : " files)");
  summary.detected_size = detect_size(checkpoint);
  add_config(summary, dir);
  summary.added_tokens = read_added_tokens(dir);
  return summary;
}

namespace {
double process_cpu_seconds() {
  struct rusage usage {};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}
}  // namespace

LoadReport read_every_tensor(const Checkpoint& checkpoint) {
  LoadReport report;
  std::vector<at::Tensor> held;
  const double cpu_start = process_cpu_seconds();
  const auto start = std::chrono::steady_clock::now();
  for (const auto& name : checkpoint.names()) {
    held.push_back(checkpoint.load_copy(name));
    report.tensors += 1;
    report.bytes += held.back().nbytes();
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report.cpu_seconds = process_cpu_seconds() - cpu_start;
  return report;
}

std::string render_summary(const CheckpointSummary& s) {
  std::ostringstream out;
  out << "format         " << s.format << "\n"
      << "tensors        " << grouped(s.tensors) << "\n"
      << "parameters     " << grouped(s.parameters) << "\n"
      << "detected size  " << s.detected_size << "\n"
      << "quantization   " << s.quantization << "\n\n";
  render_groups(out, "component", s.components);
  out << "\n";
  render_groups(out, "storage dtype", s.dtypes);
  out << "\n";
  if (!s.config_error.empty()) {
    out << "config: " << s.config_error << "\n";
  } else if (s.config_kind.empty()) {
    out << "config: none (no config.json)\n";
  } else {
    out << "config (" << s.config_kind << ")\n";
    for (const auto& [field, value] : s.config) {
      char line[160];
      std::snprintf(line, sizeof line, "  %-26s %s\n", field.c_str(), value.c_str());
      out << line;
    }
  }
  out << "\nadded tokens";
  if (s.added_tokens.empty()) out << ": none";
  out << "\n";
  for (const auto& token : s.added_tokens) out << "  " << token.id << "  " << token.content << "\n";
  return out.str();
}

nlohmann::json summary_to_json(const CheckpointSummary& s) {
  auto groups = [](const std::vector<TensorGroup>& list) {
    auto array = nlohmann::json::array();
    for (const auto& g : list)
      array.push_back({{"name", g.name}, {"tensors", g.tensors}, {"parameters", g.parameters}, {"bytes", g.bytes}});
    return array;
  };
  nlohmann::json config = nlohmann::json::object();
  for (const auto& [field, value] : s.config) config[field] = value;
  auto tokens = nlohmann::json::array();
  for (const auto& token : s.added_tokens) tokens.push_back({{"id", token.id}, {"content", token.content}});
  return {{"format", s.format},
          {"tensors", s.tensors},
          {"parameters", s.parameters},
          {"components", groups(s.components)},
          {"dtypes", groups(s.dtypes)},
          {"detected_size", s.detected_size},
          {"quantization", s.quantization},
          {"config", {{"kind", s.config_kind}, {"fields", config}, {"error", s.config_error}}},
          {"added_tokens", tokens}};
}

}  // namespace lisa::io
