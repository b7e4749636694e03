#pragma once
// What an evaluation run leaves behind: results.jsonl (one line per finished image, appended as
// it goes, see render/atomic_file.h), and at the end report.json and per_image.csv.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "lisa/eval/metrics.h"

namespace lisa::eval {

// How the predictions were made; copied into report.json.
struct RunInfo {
  std::string mode;       // e.g. "teacher-forced" or "generate" (the two give different numbers)
  std::string conv_type;  // conversation template, e.g. "llava_v1"
  std::string model;      // checkpoint the masks came from
  int64_t failed = 0;     // images that could not be evaluated (an error line each in results.jsonl)
};

// One results.jsonl line: {"image","intersection","union","iou","is_sentence","n_seg"}, no '\n'.
std::string result_line(const ImageResult& result);
// The line of an image that could not be evaluated: {"image","error"}, no '\n'.
std::string error_line(const std::string& image, const std::string& error);
// Parses a result line; keys beyond those are ignored. Throws lisa::Error naming the line.
ImageResult parse_result_line(const std::string& line);

// {"giou","ciou","n_images","mode","conv_type","split":{"short":{...},"long":{...}},"no_seg","failed",
// "model"}; each split holds {"giou","ciou","n_images"}; a score without images is null; "no_seg"
// counts the images whose answer had no [SEG]; "failed" the images left out for an error.
nlohmann::ordered_json report_json(const std::vector<ImageResult>& results, const RunInfo& info);

// Header "image,intersection,union,iou,is_sentence,n_seg", then one row per result in order.
std::string per_image_csv(const std::vector<ImageResult>& results);

// Writes {dir}/report.json and {dir}/per_image.csv, each atomically.
void write_report(const std::filesystem::path& dir, const std::vector<ImageResult>& results,
                  const RunInfo& info);

}  // namespace lisa::eval
