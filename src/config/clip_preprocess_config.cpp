#include <cmath>
#include <cstdint>

#include "config/config_file.h"
#include "config/json_fields.h"
#include "config/limits.h"
#include "lisa/config.h"
#include "lisa/error.h"
#include "lisa/image/pil_resize.h"

namespace lisa {

namespace {
constexpr int kMaxChannelValue = 1000;

std::array<double, 3> channel_triple(const config::JsonFields& fields, const char* key, std::array<double, 3> fallback) {
  const auto* value = fields.find(key);
  if (!value) return fallback;
  if (!value->is_array() || value->size() != 3) fields.fail(key, "must list 3 numbers, one per channel");
  std::array<double, 3> triple{};
  for (size_t i = 0; i < 3; ++i) {
    if (!(*value)[i].is_number()) fields.fail(key, "must list 3 numbers, one per channel");
    triple[i] = (*value)[i].get<double>();
    // Pixels are normalised to about [-3, 3]; a mean or std beyond this is not a CLIP processor.
    if (!(std::abs(triple[i]) <= kMaxChannelValue))
      fields.fail(key, detail::concat("holds ", (*value)[i].dump(), "; values must be within +-", kMaxChannelValue));
  }
  return triple;
}
}  // namespace

image::ClipPreprocessConfig load_clip_preprocess_config(const std::filesystem::path& path) {
  const auto file = config::read_config_file(path, "preprocessor_config.json");
  return clip_preprocess_config_from_json(file.json, file.path.string());
}

image::ClipPreprocessConfig clip_preprocess_config_from_json(const nlohmann::json& json, const std::string& source) {
  const config::JsonFields fields(json, source);
  for (const char* step : {"do_resize", "do_center_crop", "do_rescale", "do_normalize", "do_convert_rgb"})
    if (!fields.boolean(step, true))
      fields.fail(step, "is false; only the CLIP pipeline resize + center crop + rescale + normalize on RGB is supported");
  image::ClipPreprocessConfig c;
  // An integer `size` means the shortest edge for CLIP (get_size_dict with default_to_square=False).
  if (const auto* size = fields.find("size")) {
    if (size->is_object())
      c.shortest_edge = static_cast<int>(config::JsonFields(*size, source + ": size").integer_in("shortest_edge", 1, config::limits::kMaxImageSide));
    else
      c.shortest_edge = static_cast<int>(fields.integer_in("size", 1, config::limits::kMaxImageSide));
  }
  // Within int first, so that no code wraps into a supported one.
  const auto resample = static_cast<int>(fields.integer_in("resample", INT32_MIN, INT32_MAX, 3));
  try {
    c.resample = image::resample_filter_from_pil_code(resample);
  } catch (const Error& unsupported) {
    fields.fail("resample", unsupported.what());
  }
  // An integer `crop_size` means a square crop.
  if (const auto* crop = fields.find("crop_size")) {
    if (crop->is_object()) {
      const config::JsonFields crop_fields(*crop, source + ": crop_size");
      c.crop_size = {static_cast<int>(crop_fields.integer_in("height", 1, config::limits::kMaxImageSide)), static_cast<int>(crop_fields.integer_in("width", 1, config::limits::kMaxImageSide))};
    } else {
      const int side = static_cast<int>(fields.integer_in("crop_size", 1, config::limits::kMaxImageSide));
      c.crop_size = {side, side};
    }
  }
  c.rescale_factor = fields.positive_number("rescale_factor", 1.0, c.rescale_factor);
  const auto as_double = [](const std::array<float, 3>& v) { return std::array<double, 3>{v[0], v[1], v[2]}; };
  const auto mean = channel_triple(fields, "image_mean", as_double(c.image_mean));
  const auto std = channel_triple(fields, "image_std", as_double(c.image_std));
  for (int i = 0; i < 3; ++i) {
    if (std[i] <= 0) fields.fail("image_std", "must be positive");
    c.image_mean[i] = static_cast<float>(mean[i]);
    c.image_std[i] = static_cast<float>(std[i]);
  }
  return c;
}

}  // namespace lisa
