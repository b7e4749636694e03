#include "support/segment_output.h"

#include <gtest/gtest.h>

#include <set>

#include "lisa/render/atomic_file.h"
#include "support/cli.h"

namespace lisa::testing {

namespace fs = std::filesystem;
using nlohmann::json;

std::vector<json> comparable_lines(const fs::path& results) {
  std::vector<json> lines = read_jsonl(results);
  for (auto& line : lines) line.erase("timings_ms");
  return lines;
}

std::map<std::string, json> last_lines(const fs::path& results) {
  std::map<std::string, json> last;
  for (auto& line : comparable_lines(results))
    last[line.at("image").get<std::string>() + "\n" + line.at("prompt").get<std::string>()] = line;
  return last;
}

void expect_all_files_accounted_for(const fs::path& out, const std::string& context) {
  SCOPED_TRACE(context);
  std::set<std::string> expected;
  for (const auto& [key, line] : last_lines(out / "results.jsonl")) {
    if (line.contains("error")) continue;
    for (const auto& mask : line.at("masks")) {
      std::string png = mask.at("file").get<std::string>();
      std::string overlay = png.substr(0, png.rfind("_mask_")) + "_masked_img_" +
                            std::to_string(mask.at("index").get<int>()) + ".jpg";
      expected.insert(png);
      expected.insert(overlay);
    }
  }
  std::set<std::string> present;
  for (const auto& entry : fs::directory_iterator(out)) {
    const std::string name = entry.path().filename().string();
    EXPECT_FALSE(lisa::render::is_temporary_file_name(name)) << "a temporary survived: " << name;
    if (name == "results.jsonl" || name == ".lisa-segment.lock") continue;
    // A sharded run's own files (see lisa/workflow/shard_manifest.h).
    if (name.rfind("results.shard-", 0) == 0 || name.rfind("manifest.shard-", 0) == 0 ||
        name.rfind(".lisa-segment.shard-", 0) == 0)
      continue;
    present.insert(name);
    EXPECT_TRUE(expected.count(name)) << name << " belongs to no recorded item";
  }
  for (const auto& name : expected) EXPECT_TRUE(present.count(name)) << name << " is recorded but missing";
}

}  // namespace lisa::testing
