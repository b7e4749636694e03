#include "lisa/eval/report.h"

#include <charconv>

#include <nlohmann/json.hpp>

#include "lisa/error.h"
#include "lisa/render/atomic_file.h"

namespace lisa::eval {
namespace {

nlohmann::ordered_json optional_number(const std::optional<double>& value) {
  return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json scores_json(const Scores& scores) {
  return {{"giou", optional_number(scores.giou)},
          {"ciou", optional_number(scores.ciou)},
          {"n_images", scores.n_images}};
}

// Shortest text that reads back as the same double.
std::string shortest(double value) {
  char buffer[32];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
  return std::string(buffer, end);
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

template <typename T>
T field(const nlohmann::json& record, const char* key, const std::string& line) {
  try {
    return record.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    throw Error(detail::concat("results line lacks a valid \"", key, "\": ", line.substr(0, 200)));
  }
}

}  // namespace

std::string result_line(const ImageResult& result) {
  return nlohmann::json{{"image", result.image},
                        {"intersection", result.overlap.intersection},
                        {"union", result.overlap.union_area},
                        {"iou", image_iou(result.overlap)},
                        {"is_sentence", result.is_sentence},
                        {"n_seg", result.n_seg}}
      .dump();
}

std::string error_line(const std::string& image, const std::string& error) {
  return nlohmann::json{{"image", image}, {"error", error}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ImageResult parse_result_line(const std::string& line) {
  nlohmann::json record;
  try {
    record = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception& e) {
    throw Error(detail::concat("results line is not JSON (", e.what(), "): ", line.substr(0, 200)));
  }
  LISA_CHECK(record.is_object(), "results line is not a JSON object: ", line.substr(0, 200));
  ImageResult result;
  result.image = field<std::string>(record, "image", line);
  result.overlap = {field<int64_t>(record, "intersection", line), field<int64_t>(record, "union", line)};
  result.is_sentence = field<bool>(record, "is_sentence", line);
  result.n_seg = field<int>(record, "n_seg", line);
  LISA_CHECK(result.overlap.intersection >= 0 && result.overlap.union_area >= result.overlap.intersection,
             "results line has impossible counts: ", line.substr(0, 200));
  return result;
}

nlohmann::ordered_json report_json(const std::vector<ImageResult>& results, const RunInfo& info) {
  const SplitScores scores = score_by_query_kind(results);
  int64_t no_seg = 0;
  for (const ImageResult& r : results) no_seg += r.n_seg == 0;
  nlohmann::ordered_json report = scores_json(scores.all);
  report["mode"] = info.mode;
  report["conv_type"] = info.conv_type;
  report["split"] = {{"short", scores_json(scores.short_query)}, {"long", scores_json(scores.long_query)}};
  report["no_seg"] = no_seg;
  report["failed"] = info.failed;
  report["model"] = info.model;
  return report;
}

std::string per_image_csv(const std::vector<ImageResult>& results) {
  std::string csv = "image,intersection,union,iou,is_sentence,n_seg\n";
  for (const ImageResult& r : results) {
    csv += csv_field(r.image) + "," + std::to_string(r.overlap.intersection) + "," +
           std::to_string(r.overlap.union_area) + "," + shortest(image_iou(r.overlap)) + "," +
           (r.is_sentence ? "true" : "false") + "," + std::to_string(r.n_seg) + "\n";
  }
  return csv;
}

void write_report(const std::filesystem::path& dir, const std::vector<ImageResult>& results,
                  const RunInfo& info) {
  render::write_file_atomically(dir / "report.json", report_json(results, info).dump(2) + "\n");
  render::write_file_atomically(dir / "per_image.csv", per_image_csv(results));
}

}  // namespace lisa::eval
