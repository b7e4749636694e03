#include "config/config_file.h"
#include "config/json_fields.h"
#include "lisa/config.h"

namespace lisa {

namespace {
std::array<double, 3> channel_triple(const config::JsonFields& fields, const char* key, std::array<double, 3> fallback) {
  const auto* value = fields.find(key);
  if (!value) return fallback;
  if (!value->is_array() || value->size() != 3) fields.fail(key, "must list 3 numbers, one per channel");
  std::array<double, 3> triple{};
  for (size_t i = 0; i < 3; ++i) {
    if (!(*value)[i].is_number()) fields.fail(key, "must list 3 numbers, one per channel");
    triple[i] = (*value)[i].get<double>();
  }
  return triple;
}
}  // namespace

ClipPreprocessConfig ClipPreprocessConfig::load(const std::filesystem::path& path) {
  const auto file = config::read_config_file(path, "preprocessor_config.json");
  return from_json(file.json, file.path.string());
}

ClipPreprocessConfig ClipPreprocessConfig::from_json(const nlohmann::json& json, const std::string& source) {
  const config::JsonFields fields(json, source);
  ClipPreprocessConfig c;
  c.do_resize = fields.boolean("do_resize", c.do_resize);
  // An integer `size` means the shortest edge for CLIP (get_size_dict with default_to_square=False).
  if (const auto* size = fields.find("size")) {
    if (size->is_object())
      c.shortest_edge = config::JsonFields(*size, source + ": size").positive("shortest_edge");
    else
      c.shortest_edge = fields.positive("size");
  }
  c.resample = static_cast<int>(fields.integer("resample", c.resample));
  c.do_center_crop = fields.boolean("do_center_crop", c.do_center_crop);
  // An integer `crop_size` means a square crop.
  if (const auto* crop = fields.find("crop_size")) {
    if (crop->is_object()) {
      const config::JsonFields crop_fields(*crop, source + ": crop_size");
      c.crop_height = crop_fields.positive("height");
      c.crop_width = crop_fields.positive("width");
    } else {
      c.crop_height = c.crop_width = fields.positive("crop_size");
    }
  }
  c.do_rescale = fields.boolean("do_rescale", c.do_rescale);
  c.rescale_factor = fields.number("rescale_factor", c.rescale_factor);
  c.do_normalize = fields.boolean("do_normalize", c.do_normalize);
  c.image_mean = channel_triple(fields, "image_mean", c.image_mean);
  c.image_std = channel_triple(fields, "image_std", c.image_std);
  for (double s : c.image_std)
    if (s <= 0) fields.fail("image_std", "must be positive");
  c.do_convert_rgb = fields.boolean("do_convert_rgb", c.do_convert_rgb);
  return c;
}

}  // namespace lisa
