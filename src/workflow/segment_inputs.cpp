// The inputs of `lisa segment`: image files and folders, or a file of prompts.
#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "lisa/error.h"
#include "lisa/workflow/segment.h"

namespace lisa::workflow {

namespace fs = std::filesystem;

namespace {

bool is_image_file(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp";
}

// The output prefix: the path below the named directory without its extension, '/' -> '_'.
std::string stem_below(const fs::path& root, const fs::path& file) {
  fs::path relative = file.lexically_relative(root);
  relative.replace_extension();
  std::string stem = relative.generic_string();
  std::replace(stem.begin(), stem.end(), '/', '_');
  return stem;
}

// Two items with the same prefix (the same picture asked twice, a.jpg next to a.png) get "-2", "-3"...
void make_stems_unique(std::vector<SegmentItem>& items) {
  std::map<std::string, int> seen;
  for (auto& item : items) {
    const int count = ++seen[item.stem];
    if (count > 1) item.stem += "-" + std::to_string(count);
  }
}

}  // namespace

std::vector<SegmentItem> collect_images(const std::vector<std::string>& inputs, bool recursive,
                                        const std::string& prompt) {
  std::vector<SegmentItem> items;
  for (const auto& input : inputs) {
    const fs::path path(input);
    std::error_code error;
    if (!fs::is_directory(path, error)) {
      items.push_back({path, prompt, stem_below(path.parent_path(), path)});
      continue;
    }
    std::vector<fs::path> found;
    // By name only: what is not a readable picture (a dangling link, a folder called x.jpg) is
    // reported as a failed item, like any bad input, instead of being skipped without a word.
    auto add = [&](const fs::directory_entry& entry) {
      if (is_image_file(entry.path())) found.push_back(entry.path());
    };
    if (recursive) {
      for (const auto& entry : fs::recursive_directory_iterator(path, fs::directory_options::skip_permission_denied))
        add(entry);
    } else {
      for (const auto& entry : fs::directory_iterator(path)) add(entry);
    }
    // By the bytes of the path below the named folder: the same order whatever the file system's
    // listing order (path's own ordering compares element by element, which is not byte order).
    std::sort(found.begin(), found.end(), [&path](const fs::path& a, const fs::path& b) {
      return a.lexically_relative(path).generic_string() < b.lexically_relative(path).generic_string();
    });
    for (const auto& file : found) items.push_back({file, prompt, stem_below(path, file)});
  }
  make_stems_unique(items);
  return items;
}

std::vector<SegmentItem> read_prompt_file(const fs::path& path) {
  std::ifstream in(path);
  LISA_CHECK(in, path.string(), ": cannot open the prompt file");
  std::vector<SegmentItem> items;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = detail::concat(path.string(), ":", number);
    nlohmann::json record;
    try {
      record = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      throw Error(detail::concat(where, ": not valid JSON (", e.what(), ")"));
    }
    LISA_CHECK(record.is_object() && record.contains("image") && record["image"].is_string() &&
                   record.contains("prompt") && record["prompt"].is_string(),
               where, ": expected {\"image\": \"...\", \"prompt\": \"...\"}");
    fs::path image = record["image"].get<std::string>();
    if (image.is_relative()) image = path.parent_path() / image;
    items.push_back({image, record["prompt"].get<std::string>(), stem_below(image.parent_path(), image)});
  }
  LISA_CHECK(!items.empty(), path.string(), ": no prompts in this file");
  make_stems_unique(items);
  return items;
}

}  // namespace lisa::workflow
