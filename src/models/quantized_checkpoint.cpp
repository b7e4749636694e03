#include "lisa/models/quantized_checkpoint.h"

#include <nlohmann/json.hpp>

#include <regex>

#include "lisa/error.h"

namespace lisa::models {

namespace {
constexpr const char* kFormat = "lisa-engine";
constexpr int64_t kVersion = 1;

// The field's text, "" when it is absent or not a string.
std::string text_field(const nlohmann::json& entry, const char* name) {
  const auto field = entry.find(name);
  return field != entry.end() && field->is_string() ? field->get<std::string>() : "";
}
}  // namespace

std::optional<QuantMode> stored_mode(const std::string& weight_name, QuantMode checkpoint_mode) {
  if (checkpoint_mode == QuantMode::kNone) return std::nullopt;
  if (weight_name == "lm_head.weight") return QuantMode::kInt8;
  static const std::regex projection(
      R"(model\.layers\.[0-9]+\.(self_attn\.(q|k|v|o)_proj|mlp\.(gate|up|down)_proj)\.weight)");
  if (std::regex_match(weight_name, projection)) return checkpoint_mode;
  return std::nullopt;
}

std::vector<StoredTensor> stored_tensors(const std::string& prefix, int64_t out_features, int64_t in_features,
                                         QuantMode mode, int64_t group_size) {
  if (mode == QuantMode::kInt8)
    return {{prefix + "qweight", at::kChar, {out_features, in_features}},
            {prefix + "scales", at::kBFloat16, {out_features}}};
  LISA_INTERNAL_ASSERT(mode == QuantMode::kInt4, "stored tensors of mode ", to_string(mode));
  const int64_t padded = (in_features + group_size - 1) / group_size * group_size;
  return {{prefix + "qweight", at::kByte, {out_features, padded / 2}},
          {prefix + "scales", at::kBFloat16, {out_features, padded / group_size}},
          {prefix + "zeros", at::kBFloat16, {out_features, padded / group_size}}};
}

std::vector<at::Tensor> stored_values(const QuantizedWeight& weight) {
  if (weight.mode == QuantMode::kInt8) return {weight.values, weight.scales};
  return {weight.values, weight.scales, weight.zeros};
}

QuantizedWeight bind_quantized(const WeightScope& scope, int64_t out_features, int64_t in_features, QuantMode mode,
                               int64_t group_size) {
  std::vector<at::Tensor> bound;
  for (const StoredTensor& stored : stored_tensors("", out_features, in_features, mode, group_size)) {
    const std::string name = scope.prefix() + stored.name;
    LISA_CHECK(scope.contains(stored.name), scope.binder().checkpoint().path().string(), ": tensor '", name,
               "' is missing (a checkpoint quantized to ", to_string(mode), " stores it)");
    const at::ScalarType dtype = scope.binder().checkpoint().info(name).dtype;
    LISA_CHECK(dtype == stored.dtype, scope.binder().checkpoint().path().string(), ": tensor '", name, "' is ",
               at::toString(dtype), ", a checkpoint quantized to ", to_string(mode), " stores it as ",
               at::toString(stored.dtype));
    bound.push_back(scope.bind(stored.name, stored.shape, stored.dtype));
  }
  QuantizedWeight weight;
  weight.mode = mode;
  weight.out_features = out_features;
  weight.in_features = in_features;
  weight.group_size = mode == QuantMode::kInt4 ? group_size : 0;
  weight.values = bound.at(0);
  weight.scales = bound.at(1);
  if (mode == QuantMode::kInt4) weight.zeros = bound.at(2);
  return weight;
}

QuantizationOptions stored_quantization(const nlohmann::json& config, const std::string& source) {
  QuantizationOptions options;
  const auto entry = config.find("quantization");
  if (entry == config.end() || entry->is_null()) return options;
  const std::string where = source + ": \"quantization\"";
  LISA_CHECK(entry->is_object(), where, " must be an object");
  const auto version = entry->find("version");
  LISA_CHECK(text_field(*entry, "format") == kFormat && version != entry->end() && *version == kVersion, where,
             " is not a lisa-engine quantization of version ", kVersion, " (format \"", text_field(*entry, "format"),
             "\", version ", version == entry->end() ? "absent" : version->dump(), ")");
  const std::string mode = text_field(*entry, "mode");
  LISA_CHECK(mode == "int8" || mode == "int4", where, ": \"mode\" must be \"int8\" or \"int4\"");
  options.mode = parse_quant_mode(mode);
  LISA_CHECK(text_field(*entry, "lm_head") == "int8", where, ": \"lm_head\" must be \"int8\"");
  if (options.mode == QuantMode::kInt4) {
    LISA_CHECK(entry->contains("group_size") && entry->at("group_size").is_number_integer(), where,
               ": \"group_size\" must be an integer");
    options.group_size = entry->at("group_size").get<int64_t>();
    options.validate();
  }
  return options;
}

QuantizationOptions effective_quantization(const QuantizationOptions& requested, const QuantizationOptions& stored,
                                           const std::string& source) {
  if (stored.mode == QuantMode::kNone) return requested;
  const std::string stored_text =
      to_string(stored.mode) +
      (stored.mode == QuantMode::kInt4 ? " (group size " + std::to_string(stored.group_size) + ")" : "");
  const bool same = requested.mode == stored.mode &&
                    (stored.mode != QuantMode::kInt4 || requested.group_size == stored.group_size);
  LISA_CHECK(requested.mode == QuantMode::kNone || same, source, " is already quantized to ", stored_text,
             "; --quantize ", to_string(requested.mode),
             " cannot change that: leave --quantize out, or quantize the original checkpoint");
  return stored;
}

nlohmann::json quantization_entry(const QuantizationOptions& options) {
  LISA_INTERNAL_ASSERT(options.mode != QuantMode::kNone, "a quantization entry for an unquantized checkpoint");
  nlohmann::json entry = {{"format", kFormat}, {"version", kVersion}, {"mode", to_string(options.mode)},
                          {"lm_head", "int8"}};
  if (options.mode == QuantMode::kInt4) entry["group_size"] = options.group_size;
  return entry;
}

}  // namespace lisa::models
