// What a `lisa segment` run is to do in its --out, and what it has done there (results lines).
#include <map>
#include <nlohmann/json.hpp>

#include "lisa/error.h"
#include "lisa/render/atomic_file.h"
#include "lisa/workflow/segment.h"
#include "lisa/workflow/shard_manifest.h"

namespace lisa::workflow {

namespace fs = std::filesystem;

namespace {

// Per item (image, prompt): whether its last line in results.jsonl is a success.
std::map<std::string, bool> last_outcomes(const std::vector<std::string>& lines, const fs::path& results) {
  std::map<std::string, bool> succeeded;
  for (const auto& line : lines) {
    nlohmann::json record;
    try {
      record = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      throw Error(results.string() + ": not a JSON line: " + line.substr(0, 80));
    }
    LISA_CHECK(record.is_object(), results.string(), ": not a result line: ", line.substr(0, 80));
    succeeded[item_key(record.value("image", ""), record.value("prompt", ""))] = !record.contains("error");
  }
  return succeeded;
}

std::vector<fs::path> remove_stale_temporaries(const fs::path& dir) {
  std::vector<fs::path> removed;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!render::is_temporary_file_name(entry.path().filename().string())) continue;
    std::error_code error;
    fs::remove(entry.path(), error);
    LISA_CHECK(!error, "cannot remove the stale temporary file ", entry.path().string(), ": ", error.message());
    removed.push_back(entry.path());
  }
  return removed;
}

}  // namespace

SegmentPlan plan_segment(std::vector<SegmentItem> items, const SegmentOptions& options) {
  SegmentPlan plan{OutputLock::acquire(options.out_dir, options.lock_name), {}, 0, 0, {}};
  const fs::path results = options.out_dir / options.results_name;
  // Also cuts off a partial line an earlier killed run may have left.
  const std::vector<std::string> lines = render::read_complete_lines(results);
  if (!options.resume) {
    plan.items = std::move(items);
    return plan;
  }
  const auto succeeded = last_outcomes(lines, results);
  for (auto& item : items) {
    const auto outcome = succeeded.find(item_key(item.image.string(), item.prompt));
    if (outcome != succeeded.end() && outcome->second) {
      ++plan.already_done;
      continue;
    }
    if (outcome != succeeded.end()) ++plan.retried;
    plan.items.push_back(std::move(item));
  }
  plan.removed_temporaries = remove_stale_temporaries(options.out_dir);
  return plan;
}

void use_shard_file_names(SegmentOptions& options, const std::optional<Shard>& shard) {
  if (!shard) return;
  options.results_name = results_file_name(shard);
  options.lock_name = shard_file_name(".lisa-segment", ".lock", shard);
}

std::vector<std::string> item_keys(const std::vector<SegmentItem>& items) {
  std::vector<std::string> keys;
  keys.reserve(items.size());
  for (const auto& item : items) keys.push_back(item_key(item.image.string(), item.prompt));
  return keys;
}

SegmentOutcomes count_outcomes(const std::vector<SegmentItem>& items, const SegmentOptions& options) {
  const fs::path results = options.out_dir / options.results_name;
  const auto succeeded = last_outcomes(render::read_complete_lines(results), results);
  SegmentOutcomes outcomes;
  for (const auto& key : item_keys(items)) {
    const auto outcome = succeeded.find(key);
    LISA_CHECK(outcome != succeeded.end(), results.string(), ": no line for ", key.substr(0, key.find('\n')));
    ++(outcome->second ? outcomes.ok : outcomes.failed);
  }
  return outcomes;
}

}  // namespace lisa::workflow
