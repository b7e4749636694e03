// What a `lisa segment` run is to do in its --out, and what it has done there (results lines).

#include "lisa/error.h"
#include "lisa/render/atomic_file.h"
#include "lisa/workflow/segment.h"
#include "lisa/workflow/shard_manifest.h"
#include "last_lines.h"

namespace lisa::workflow {

namespace fs = std::filesystem;

SegmentPlan plan_segment(std::vector<SegmentItem> items, const SegmentOptions& options) {
  SegmentPlan plan{OutputLock::acquire(options.out_dir, options.lock_name), {}, 0, 0, {}};
  const fs::path results = options.out_dir / options.results_name;
  // Also cuts off a partial line an earlier killed run may have left.
  const std::vector<std::string> lines = render::read_complete_lines(results);
  if (!options.resume) {
    plan.items = std::move(items);
    return plan;
  }
  const LastLines last = last_lines(lines, results);
  for (auto& item : items) {
    const std::string key = item_key(item.image.string(), item.prompt);
    if (last.succeeded(key)) {
      ++plan.already_done;
      continue;
    }
    if (last.has(key)) ++plan.retried;
    plan.items.push_back(std::move(item));
  }
  plan.removed_temporaries = render::remove_stale_temporaries(options.out_dir);
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
  const LastLines last = last_lines(render::read_complete_lines(results), results);
  SegmentOutcomes outcomes;
  for (const auto& key : item_keys(items)) {
    LISA_CHECK(last.has(key), results.string(), ": no line for ", key.substr(0, key.find('\n')));
    ++(last.succeeded(key) ? outcomes.ok : outcomes.failed);
  }
  return outcomes;
}

}  // namespace lisa::workflow
