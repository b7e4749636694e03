#include "lisa/eval/reasonseg.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "eval/cp1252.h"
#include "lisa/error.h"
#include "lisa/io/regular_file.h"

namespace lisa::eval {
namespace {

// Annotations are a few kilobytes; anything near this is not one.
constexpr uint64_t kMaxAnnotationBytes = 64ull << 20;

template <typename... Problem>
[[noreturn]] void fail(const std::filesystem::path& path, const Problem&... problem) {
  throw Error(detail::concat("ReasonSeg annotation ", path.string(), ": ", problem...));
}

const nlohmann::json& member(const nlohmann::json& object, const char* key,
                             const std::filesystem::path& path, const std::string& where) {
  if (!object.is_object() || !object.contains(key)) fail(path, where, "has no \"", key, "\"");
  return object[key];
}

ReasonSegShape parse_shape(const nlohmann::json& shape, const std::filesystem::path& path, size_t index) {
  const std::string where = detail::concat("shapes[", index, "] ");
  const nlohmann::json& label = member(shape, "label", path, where);
  const nlohmann::json& points = member(shape, "points", path, where);
  if (!label.is_string()) fail(path, where, "\"label\" is not a string");
  if (!points.is_array()) fail(path, where, "\"points\" is not a list");
  ReasonSegShape out{label.get<std::string>(), {}};
  for (const auto& point : points) {
    if (!point.is_array() || point.size() != 2 || !point[0].is_number() || !point[1].is_number()) {
      fail(path, where, "has a point that is not [x, y]: ", point.dump());
    }
    out.points.push_back({point[0].get<double>(), point[1].get<double>()});
  }
  return out;
}

bool parse_is_sentence(const nlohmann::json& value, const std::filesystem::path& path) {
  // The reference only tests its truth value.
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_number()) return value.get<double>() != 0;
  fail(path, "\"is_sentence\" is not a boolean");
}

nlohmann::json parse_utf8_or_cp1252(const std::filesystem::path& path) {
  const std::string bytes = io::read_regular_file(path, kMaxAnnotationBytes, "a ReasonSeg annotation");
  try {
    return nlohmann::json::parse(bytes);  // rejects ill-formed UTF-8 inside strings
  } catch (const nlohmann::json::exception& as_utf8) {
    std::string utf8;
    try {
      utf8 = cp1252_to_utf8(bytes);
    } catch (const Error& e) {
      fail(path, "neither UTF-8 JSON (", as_utf8.what(), ") nor cp1252 (", e.what(), ")");
    }
    try {
      return nlohmann::json::parse(utf8);
    } catch (const nlohmann::json::exception&) {
      fail(path, "not valid JSON: ", as_utf8.what());
    }
  }
}

}  // namespace

std::vector<ReasonSegSample> list_reasonseg_split(const std::filesystem::path& dir) {
  LISA_CHECK(std::filesystem::is_directory(dir), "ReasonSeg split ", dir.string(), " is not a directory");
  std::vector<ReasonSegSample> samples;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    const std::string jpg = ".jpg";
    if (name.front() == '.' || name.size() <= jpg.size() ||
        name.compare(name.size() - jpg.size(), jpg.size(), jpg) != 0 || !entry.is_regular_file()) {
      continue;
    }
    std::string json_name = name;
    for (size_t at = json_name.find(jpg); at != std::string::npos; at = json_name.find(jpg, at + 5)) {
      json_name.replace(at, jpg.size(), ".json");
    }
    samples.push_back({entry.path(), dir / json_name});
  }
  std::sort(samples.begin(), samples.end(),
            [](const ReasonSegSample& a, const ReasonSegSample& b) { return a.image < b.image; });
  for (const auto& sample : samples) {
    LISA_CHECK(std::filesystem::is_regular_file(sample.json), "ReasonSeg split ", dir.string(), ": ",
               sample.image.filename().string(), " has no annotation ", sample.json.filename().string());
  }
  return samples;
}

ReasonSegAnnotation read_reasonseg_json(const std::filesystem::path& json_path) {
  const nlohmann::json root = parse_utf8_or_cp1252(json_path);
  ReasonSegAnnotation annotation;
  const nlohmann::json& texts = member(root, "text", json_path, "");
  if (!texts.is_array()) fail(json_path, "\"text\" is not a list of strings");
  for (const auto& text : texts) {
    if (!text.is_string()) fail(json_path, "\"text\" holds a non-string: ", text.dump());
    annotation.texts.push_back(text.get<std::string>());
  }
  annotation.is_sentence = parse_is_sentence(member(root, "is_sentence", json_path, ""), json_path);
  const nlohmann::json& shapes = member(root, "shapes", json_path, "");
  if (!shapes.is_array()) fail(json_path, "\"shapes\" is not a list");
  for (size_t i = 0; i < shapes.size(); ++i) annotation.shapes.push_back(parse_shape(shapes[i], json_path, i));
  return annotation;
}

}  // namespace lisa::eval
