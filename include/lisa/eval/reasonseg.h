#pragma once
// ReasonSeg data as LISA reads it (utils/dataset.py ValDataset, utils/data_processing.py
// get_mask_from_json): a split folder of `*.jpg` photos, each with a same-named `.json`:
//   {"text": ["query", ...], "is_sentence": bool, "shapes": [{"label": str, "points": [[x, y], ...]}]}
#include <array>
#include <filesystem>
#include <string>
#include <vector>

namespace lisa::eval {

struct ReasonSegShape {
  std::string label;
  std::vector<std::array<double, 2>> points;  // [x, y] in pixels, as written in the file
};

struct ReasonSegAnnotation {
  std::vector<std::string> texts;  // UTF-8
  bool is_sentence = false;        // true: a long (sentence) query, false: a short phrase
  std::vector<ReasonSegShape> shapes;
};

struct ReasonSegSample {
  std::filesystem::path image;  // {dir}/{name}.jpg
  std::filesystem::path json;   // its annotation
};

// The `*.jpg` files directly in `dir` (names starting with '.' skipped, as Python's glob does),
// sorted by name, each with its annotation path; the annotation must exist. The reference takes
// the annotation path by replacing every ".jpg" in the path with ".json"; this does the same
// within the file name.
std::vector<ReasonSegSample> list_reasonseg_split(const std::filesystem::path& dir);

// Parses an annotation. Like get_mask_from_json, it first reads the file as UTF-8 JSON and, if
// that fails for any reason, decodes the bytes as cp1252 and parses again. Throws lisa::Error
// naming the file and the key at fault.
ReasonSegAnnotation read_reasonseg_json(const std::filesystem::path& json_path);

}  // namespace lisa::eval
