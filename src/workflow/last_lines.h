#pragma once
// The outcome of each item in a results file (results.jsonl, or a shard's results.shard-K-of-N.jsonl)
// of `lisa segment` or `lisa eval`. A run appends one line per item it finishes; --resume appends a
// later line for an item it retries; so an item's LAST line is its outcome. Read by --resume (what
// is left to do) and by `lisa merge` (what each shard did).
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lisa::workflow {

struct LastLines {
  std::vector<std::string> keys;                  // item_key()s, in the order of their first lines
  std::map<std::string, std::string> line;        // key -> its last line, as written
  std::map<std::string, nlohmann::json> record;   // key -> that line, parsed

  // Whether `key` has a line and its last one is a success (no "error").
  bool succeeded(const std::string& key) const;
  bool has(const std::string& key) const { return line.count(key) > 0; }
};

// `lines` are the complete lines of `file` (render::read_complete_lines); each must be a JSON object
// with a string "image" (and "prompt" for segment). Throws lisa::Error naming the file and the line.
LastLines last_lines(const std::vector<std::string>& lines, const std::filesystem::path& file);

}  // namespace lisa::workflow
