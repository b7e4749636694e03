#include "config/config_file.h"
#include "config/json_fields.h"
#include "config/limits.h"
#include "lisa/config.h"
#include "lisa/error.h"

namespace lisa {

ClipVisionConfig ClipVisionConfig::load(const std::filesystem::path& path) {
  const auto file = config::read_config_file(path, "config.json");
  return from_json(file.json, file.path.string());
}

ClipVisionConfig ClipVisionConfig::from_json(const nlohmann::json& json, const std::string& source) {
  // A full CLIPModel config nests the vision tower's settings; a CLIPVisionModel config is flat.
  const config::JsonFields top(json, source);
  const auto* nested = top.find("vision_config");
  const config::JsonFields fields = nested ? config::JsonFields(*nested, source + ": vision_config") : top;
  namespace limits = config::limits;
  ClipVisionConfig c;
  c.hidden_size = fields.integer_in("hidden_size", 1, limits::kMaxWidth);
  c.intermediate_size = fields.integer_in("intermediate_size", 1, limits::kMaxIntermediate);
  c.num_hidden_layers = fields.integer_in("num_hidden_layers", 1, limits::kMaxLayers);
  c.num_attention_heads = fields.integer_in("num_attention_heads", 1, limits::kMaxHeads);
  c.patch_size = fields.integer_in("patch_size", 1, limits::kMaxPatch);
  c.image_size = fields.integer_in("image_size", 1, limits::kMaxImageSide, c.image_size);
  // The tower's patch convolution reads RGB pictures.
  c.num_channels = fields.integer_in("num_channels", 3, 3, c.num_channels);
  c.layer_norm_eps = fields.positive_number("layer_norm_eps", limits::kMaxEpsilon, c.layer_norm_eps);
  c.hidden_act = fields.text("hidden_act", c.hidden_act);
  if (c.image_size % c.patch_size != 0)
    fields.fail("image_size", detail::concat("(", c.image_size, ") is not a positive multiple of patch_size (",
                                             c.patch_size, ")"));
  if (c.hidden_size % c.num_attention_heads != 0)
    fields.fail("num_attention_heads", detail::concat("(", c.num_attention_heads, ") does not divide hidden_size (",
                                                      c.hidden_size, ")"));
  return c;
}

}  // namespace lisa
