#include "config/config_file.h"
#include "config/json_fields.h"
#include "lisa/config.h"

namespace lisa {

LisaConfig LisaConfig::load(const std::filesystem::path& path) {
  const auto file = config::read_config_file(path, "config.json");
  return from_json(file.json, file.path.string());
}

LisaConfig LisaConfig::from_json(const nlohmann::json& json, const std::string& source) {
  const config::JsonFields fields(json, source);
  LisaConfig c;
  c.hidden_size = fields.positive("hidden_size");
  c.num_hidden_layers = fields.positive("num_hidden_layers");
  c.num_attention_heads = fields.positive("num_attention_heads");
  c.num_key_value_heads = fields.integer("num_key_value_heads", c.num_attention_heads);
  c.intermediate_size = fields.positive("intermediate_size");
  c.rms_norm_eps = fields.number("rms_norm_eps");
  c.rope_theta = fields.number("rope_theta", c.rope_theta);
  c.max_position_embeddings = fields.positive("max_position_embeddings");
  c.vocab_size = fields.positive("vocab_size");
  c.out_dim = fields.positive("out_dim");
  c.mm_vision_select_layer = fields.integer("mm_vision_select_layer");
  c.mm_use_im_start_end = fields.boolean("mm_use_im_start_end", c.mm_use_im_start_end);
  c.mm_hidden_size = fields.positive("mm_hidden_size");
  c.vision_tower = fields.text("vision_tower", fields.text("mm_vision_tower", ""));
  if (c.vision_tower.empty()) fields.fail("vision_tower", "is missing (and so is 'mm_vision_tower')");
  c.torch_dtype = fields.text("torch_dtype", "");

  if (c.hidden_size % c.num_attention_heads != 0)
    fields.fail("num_attention_heads", "(" + std::to_string(c.num_attention_heads) + ") does not divide hidden_size (" +
                                           std::to_string(c.hidden_size) + ")");
  if (c.num_key_value_heads < 1 || c.num_attention_heads % c.num_key_value_heads != 0)
    fields.fail("num_key_value_heads", "(" + std::to_string(c.num_key_value_heads) +
                                           ") must divide num_attention_heads (" +
                                           std::to_string(c.num_attention_heads) + ")");
  if (fields.has("rope_scaling")) fields.fail("rope_scaling", "is set; scaled RoPE is not supported");
  return c;
}

}  // namespace lisa
