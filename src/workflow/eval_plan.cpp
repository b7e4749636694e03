// What a `lisa eval` run is to do in its --out: the lock, the split (or shard) and, with --resume,
// what an earlier run already did.
#include "lisa/error.h"
#include "lisa/eval/report.h"
#include "lisa/render/atomic_file.h"
#include "lisa/workflow/evaluate.h"
#include "lisa/workflow/shard_manifest.h"
#include "last_lines.h"

namespace lisa::workflow {

namespace fs = std::filesystem;

namespace {

std::vector<eval::ReasonSegSample> list_split(const EvalOptions& options) {
  LISA_CHECK(fs::is_directory(options.data_dir), options.data_dir.string(),
             ": not a directory (--data names a ReasonSeg split folder)");
  auto split = eval::list_reasonseg_split(options.data_dir);
  LISA_CHECK(!split.empty(), options.data_dir.string(), ": no *.jpg images in this ReasonSeg split folder");
  if (options.limit > 0 && static_cast<size_t>(options.limit) < split.size()) split.resize(options.limit);
  return split;
}

void create_folder(const fs::path& dir) {
  LISA_CHECK(!fs::exists(dir) || fs::is_directory(dir), dir.string(), ": exists and is not a directory");
  std::error_code error;
  fs::create_directories(dir, error);
  LISA_CHECK(!error, dir.string(), ": cannot create the folder (", error.message(), ")");
}

}  // namespace

EvalPlan plan_eval(const EvalOptions& options) {
  auto split = list_split(options);
  LISA_CHECK(!fs::exists(options.out_dir) || fs::is_directory(options.out_dir), options.out_dir.string(),
             ": exists and is not a directory (--out names the folder to write into)");
  EvalPlan plan{OutputLock::acquire(options.out_dir, shard_file_name(".lisa-eval", ".lock", options.shard)),
                {}, {}, {}, {}, 0, {}};
  plan.split = std::move(split);
  plan.samples = options.shard ? select_shard(plan.split, *options.shard) : plan.split;
  if (options.save_masks) create_folder(options.out_dir / "masks");

  const fs::path results = options.out_dir / results_file_name(options.shard);
  // Also cuts off a partial line an earlier killed run may have left.
  const std::vector<std::string> lines = render::read_complete_lines(results);
  if (!options.resume) {  // run_eval starts the results file afresh, once a model has loaded
    plan.to_do = plan.samples;
    return plan;
  }
  const LastLines last = last_lines(lines, results);
  for (const auto& sample : plan.samples) {
    const std::string name = sample.image.filename().string();
    const std::string key = item_key(name, "");
    if (last.succeeded(key)) {
      plan.already_done.emplace(name, eval::parse_result_line(last.line.at(key)));
      continue;
    }
    if (last.has(key)) ++plan.retried;
    plan.to_do.push_back(sample);
  }
  plan.removed_temporaries = render::remove_stale_temporaries(options.out_dir);
  if (options.save_masks) {
    const auto masks = render::remove_stale_temporaries(options.out_dir / "masks");
    plan.removed_temporaries.insert(plan.removed_temporaries.end(), masks.begin(), masks.end());
  }
  return plan;
}

}  // namespace lisa::workflow
