#include "config/config_file.h"
#include "config/json_fields.h"
#include "config/limits.h"
#include "config/token_ids.h"
#include "lisa/config.h"
#include "lisa/error.h"

namespace lisa {

LisaConfig LisaConfig::load(const std::filesystem::path& path) {
  const auto file = config::read_config_file(path, "config.json");
  LisaConfig c = from_json(file.json, file.path.string());
  if (std::filesystem::is_directory(path)) config::check_token_ids(c, path, file.path);
  return c;
}

LisaConfig LisaConfig::from_json(const nlohmann::json& json, const std::string& source) {
  namespace limits = config::limits;
  const config::JsonFields fields(json, source);
  LisaConfig c;
  c.hidden_size = fields.integer_in("hidden_size", 1, limits::kMaxWidth);
  c.num_hidden_layers = fields.integer_in("num_hidden_layers", 1, limits::kMaxLayers);
  c.num_attention_heads = fields.integer_in("num_attention_heads", 1, limits::kMaxHeads);
  c.num_key_value_heads = fields.integer_in("num_key_value_heads", 1, limits::kMaxHeads, c.num_attention_heads);
  c.intermediate_size = fields.integer_in("intermediate_size", 1, limits::kMaxIntermediate);
  c.rms_norm_eps = fields.positive_number("rms_norm_eps", limits::kMaxEpsilon);
  c.rope_theta = fields.positive_number("rope_theta", limits::kMaxRopeTheta, c.rope_theta);
  c.max_position_embeddings = fields.integer_in("max_position_embeddings", 1, limits::kMaxPositions);
  c.vocab_size = fields.integer_in("vocab_size", 1, limits::kMaxVocab);
  c.out_dim = fields.integer_in("out_dim", 1, limits::kMaxWidth);
  // Python indexing into the CLIP tower's hidden states: negative counts from the end.
  c.mm_vision_select_layer = fields.integer_in("mm_vision_select_layer", -limits::kMaxLayers - 1, limits::kMaxLayers);
  c.mm_use_im_start_end = fields.boolean("mm_use_im_start_end", c.mm_use_im_start_end);
  c.mm_hidden_size = fields.integer_in("mm_hidden_size", 1, limits::kMaxWidth);
  c.vision_tower = fields.text("vision_tower", fields.text("mm_vision_tower", ""));
  if (c.vision_tower.empty()) fields.fail("vision_tower", "is missing (and so is 'mm_vision_tower')");
  c.torch_dtype = fields.text("torch_dtype", "");

  if (c.hidden_size % c.num_attention_heads != 0)
    fields.fail("num_attention_heads", detail::concat("(", c.num_attention_heads, ") does not divide hidden_size (",
                                                      c.hidden_size, ")"));
  if (c.head_dim() % 2 != 0)
    fields.fail("num_attention_heads", detail::concat("(", c.num_attention_heads, ") leaves an odd head dimension (",
                                                      c.head_dim(), "); rotary embeddings rotate pairs"));
  if (c.num_attention_heads % c.num_key_value_heads != 0)
    fields.fail("num_key_value_heads", detail::concat("(", c.num_key_value_heads, ") must divide num_attention_heads (",
                                                      c.num_attention_heads, ")"));
  // The rotary table holds one row of head_dim values per position, made when the model loads.
  if (c.max_position_embeddings > limits::kMaxRotaryEntries / c.head_dim())
    fields.fail("max_position_embeddings", detail::concat("(", c.max_position_embeddings, ") times the head dimension (",
                                                          c.head_dim(), ") is more than ", limits::kMaxRotaryEntries,
                                                          " rotary table entries"));
  if (fields.has("rope_scaling")) fields.fail("rope_scaling", "is set; scaled RoPE is not supported");
  return c;
}

}  // namespace lisa
