#include "last_lines.h"

#include "lisa/error.h"
#include "lisa/workflow/shard_manifest.h"

namespace lisa::workflow {

bool LastLines::succeeded(const std::string& key) const {
  const auto found = record.find(key);
  return found != record.end() && !found->second.contains("error");
}

LastLines last_lines(const std::vector<std::string>& lines, const std::filesystem::path& file) {
  LastLines last;
  for (const auto& line : lines) {
    nlohmann::json record;
    try {
      record = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      throw Error(detail::concat(file.string(), ": not a JSON line: ", line.substr(0, 80)));
    }
    LISA_CHECK(record.is_object() && record.contains("image") && record["image"].is_string() &&
                   (!record.contains("prompt") || record["prompt"].is_string()),
               file.string(), ": not a result line: ", line.substr(0, 80));
    const std::string key = item_key(record["image"].get<std::string>(), record.value("prompt", ""));
    if (!last.line.count(key)) last.keys.push_back(key);
    last.line[key] = line;
    last.record[key] = std::move(record);
  }
  return last;
}

}  // namespace lisa::workflow
