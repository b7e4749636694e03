#pragma once
// `lisa eval`: ReasonSeg gIoU / cIoU of an engine over a split folder (*.jpg + *.json).
//  - teacher-forced (the paper's protocol): the answer "[SEG]." is given, its [SEG] gives the mask;
//  - generate: the model answers freely; the first [SEG] it emits gives the mask, none gives an
//    empty prediction (counted in no_seg).
// Writes {out}/results.jsonl as it goes, then {out}/report.json and {out}/per_image.csv (a shard:
// see EvalOptions::shard). One run per --out (or per shard of it) at a time: it is locked.
// --resume keeps the images whose last line is a success and evaluates the others again; the
// report is then over both, in split order, as one uninterrupted run would have written it.
// An image that cannot be evaluated (a bad picture, a bad annotation file) is reported like a bad
// image in `lisa segment`: an {"image","error"} line in results.jsonl, the others go on, and
// report.json counts it in "failed" (its scores are over the images evaluated).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lisa/eval/metrics.h"
#include <nlohmann/json.hpp>

#include "lisa/eval/reasonseg.h"
#include "lisa/pipeline/engine.h"
#include "lisa/workflow/output_lock.h"
#include "lisa/workflow/shard.h"

namespace lisa::workflow {

enum class EvalMode { kTeacherForced, kGenerate };
EvalMode parse_eval_mode(const std::string& text);
std::string to_string(EvalMode mode);

struct EvalOptions {
  std::filesystem::path data_dir;
  std::filesystem::path out_dir;
  EvalMode mode = EvalMode::kTeacherForced;
  int64_t limit = 0;  // 0: every image
  bool save_masks = false;
  int64_t max_new_tokens = 512;
  std::string conv_type = "llava_v1";
  // A shard (see shard.h) evaluates the images i with i mod N == K of the split (after --limit),
  // writes results.shard-K-of-N.jsonl and, at the end, manifest.shard-K-of-N.json instead of the
  // report: `lisa merge` writes report.json and per_image.csv from all the shards.
  std::optional<Shard> shard;
  // What else changes the scores (the model's identity, precision...), for the shard's input hash.
  nlohmann::ordered_json result_arguments = nlohmann::ordered_json::object();
  // Generate mode: images whose questions are answered together (pipeline/batch.h), results still
  // in split order; teacher-forced mode ignores it (one pass per image, nothing to batch).
  int64_t batch_size = 1;
  int64_t max_kv_cache_mib = 8192;  // pipeline::BatchOptions::max_kv_cache_bytes, in MiB
  // Keep the images whose last line in the results file is a success (a run that was killed or that
  // failed on some images); without it the results file is started afresh.
  bool resume = false;
};

// report.json's "model" field of a merged report comes from this argument of the shards' manifests.
inline constexpr const char* kEvalReportModel = "report_model";

// Called after each image with its file name, its error ("" when it was evaluated) and how many of
// `total` are done.
using EvalObserver =
    std::function<void(const std::string& image, const std::string& error, size_t done, size_t total)>;

// What a run is to do, decided before a model is loaded: a bad --data or a busy or unusable --out
// fails at once (lisa::Error naming the path), having written nothing.
struct EvalPlan {
  OutputLock lock;                              // .lisa-eval.lock (a shard: .lisa-eval.shard-K-of-N.lock)
  std::vector<eval::ReasonSegSample> split;     // the split's images after --limit, in order
  std::vector<eval::ReasonSegSample> samples;   // this run's: the split, or its shard
  std::vector<eval::ReasonSegSample> to_do;     // of those, the ones to evaluate now
  std::map<std::string, eval::ImageResult> already_done;  // --resume: by image file name
  size_t retried = 0;  // --resume: samples whose last line is an error, evaluated again
  std::vector<std::filesystem::path> removed_temporaries;  // --resume: left by a killed run
};
EvalPlan plan_eval(const EvalOptions& options);

struct EvalRun {
  std::vector<eval::ImageResult> results;  // the samples with a result (resumed ones too), in split order
  int64_t failed = 0;                      // the samples that could not be evaluated
};

// Evaluates plan.to_do, one worker per engine (--devices; each through its own Context), the lines
// appended in split order whatever the number of engines; then writes the report (a shard: its
// manifest). A user error (lisa::Error) is that image's error line; anything else stops the run.
EvalRun run_eval(const std::vector<const pipeline::Engine*>& engines, const EvalPlan& plan,
                 const EvalOptions& options, const EvalObserver& observer);

}  // namespace lisa::workflow
