// `lisa eval`: the front of lisa::workflow::run_eval, with a summary table at the end.
#include <cstdio>
#include <iostream>

#include "commands.h"
#include "lisa/eval/report.h"
#include "lisa/workflow/evaluate.h"
#include "model_options.h"
#include "progress.h"
#include "shard_options.h"

namespace lisa::cli {

namespace {
struct EvalArgs {
  ModelOptions model;
  std::string data;
  std::string mode = "teacher-forced";
  int64_t limit = 0;
  std::string out = "eval_output";
  bool save_masks = false;
  ShardArgs shard;
  int64_t batch_size = 1;
  int64_t max_kv_cache_mib = 8192;
  bool resume = false;
  std::vector<std::string> devices;
};

// Exit code when some images could not be evaluated, as in `lisa segment`.
constexpr int kSomeFailed = 3;

std::string percent(const std::optional<double>& value) {
  if (!value) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", 100.0 * *value);
  return text;
}

void print_summary(const std::vector<eval::ImageResult>& results, const std::string& mode) {
  const auto scores = eval::score_by_query_kind(results);
  std::printf("\nReasonSeg (%s)\n", mode.c_str());
  std::printf("| split | images | gIoU | cIoU |\n|---|---|---|---|\n");
  auto row = [](const char* name, const eval::Scores& s) {
    std::printf("| %s | %lld | %s | %s |\n", name, static_cast<long long>(s.n_images), percent(s.giou).c_str(),
                percent(s.ciou).c_str());
  };
  row("short query", scores.short_query);
  row("long query", scores.long_query);
  row("overall", scores.all);
}

void report_plan(const workflow::EvalPlan& plan) {
  if (!plan.already_done.empty() || plan.retried)
    std::cerr << "eval: resuming: " << plan.already_done.size() << " already done, " << plan.retried
              << " failed earlier and are retried, " << plan.to_do.size() - plan.retried << " not done yet\n";
  if (!plan.removed_temporaries.empty())
    std::cerr << "eval: resuming: removed " << plan.removed_temporaries.size()
              << " temporary file(s) an interrupted run left, e.g. "
              << plan.removed_temporaries.front().filename().string() << "\n";
}
}  // namespace

Action add_eval_command(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  auto* sub = app.add_subcommand("eval", "Evaluate on a ReasonSeg split folder (gIoU / cIoU)");
  sub->footer(
      "teacher-forced (default) is the paper's protocol: the answer \"[SEG].\" is given and its [SEG] gives\n"
      "the mask. generate lets the model answer and takes the mask of its first [SEG] (none: empty mask).\n"
      "Writes report.json, per_image.csv and results.jsonl into --out. An image that cannot be evaluated\n"
      "(bad picture or annotation) gets an error line in results.jsonl and is counted in report.json's\n"
      "\"failed\". Exit code 0 when all were evaluated, 3 when some failed, 1 when none could run.\n"
      "One run per --out at a time (it is locked). --resume keeps the images whose last line in\n"
      "results.jsonl is a result (a run that was killed, or had failures) and evaluates the others.\n"
      "Sharded (--shard K/N or a scheduler's variables, see docs/scale-out.md): the shard writes\n"
      "results.shard-K-of-N.jsonl and manifest.shard-K-of-N.json; `lisa merge OUT` writes the report.");
  add_model_options(*sub, args->model);
  sub->add_option("--data", args->data, "ReasonSeg split folder (*.jpg + same-named *.json)")->required();
  sub->add_option("--mode", args->mode, "teacher-forced | generate")
      ->capture_default_str()
      ->check(CLI::IsMember({"teacher-forced", "generate"}));
  sub->add_option("--limit", args->limit, "evaluate only the first N images (0: all)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  sub->add_option("-o,--out", args->out, "output directory")->capture_default_str();
  sub->add_flag("--save-masks", args->save_masks, "also write the predicted masks to {out}/masks/{stem}_mask_0.png");
  sub->add_flag("--resume", args->resume,
                "keep the images recorded as done in results.jsonl; evaluate the others (failed ones again)");
  add_devices_option(*sub, args->devices);
  add_shard_options(*sub, args->shard);
  add_batch_options(*sub, args->batch_size, args->max_kv_cache_mib);
  return [args] {
    const auto shard = resolve_shard(args->shard, "eval", args->model, !args->devices.empty());
    if (args->shard.print_only) {
      print_shard(shard);
      return 0;
    }
    workflow::EvalOptions options;
    options.shard = shard;
    options.result_arguments = args->model.result_arguments();
    options.data_dir = args->data;
    options.out_dir = args->out;
    options.mode = workflow::parse_eval_mode(args->mode);
    options.limit = args->limit;
    options.save_masks = args->save_masks;
    options.max_new_tokens = args->model.max_new_tokens;
    options.conv_type = args->model.conv_type;
    options.batch_size = args->batch_size;
    options.max_kv_cache_mib = args->max_kv_cache_mib;
    options.resume = args->resume;
    // Before the model loads: bad paths or a busy --out fail at once.
    auto plan = workflow::plan_eval(options);
    report_plan(plan);
    std::vector<std::unique_ptr<pipeline::Engine>> engines;
    try {
      engines = load_engines(args->model, args->devices, "eval");
    } catch (...) {
      plan.lock.remove_if_unused();  // a model that cannot load: nothing written
      throw;
    }
    std::unique_ptr<Progress> progress;
    const auto run = workflow::run_eval(
        pointers(engines), plan, options,
        [&](const std::string& image, const std::string& error, size_t done, size_t total) {
          if (!progress) progress = std::make_unique<Progress>("eval", total);
          progress->step(done, image, error);
        });
    if (progress) progress->finish();
    print_summary(run.results, args->mode);
    if (run.failed > 0) std::printf("%lld images could not be evaluated (error lines in results.jsonl)\n",
                                    static_cast<long long>(run.failed));
    if (shard)
      std::printf("shard %lld/%lld done; once all are, write the report with: lisa merge %s\n",
                  static_cast<long long>(shard->index), static_cast<long long>(shard->count),
                  options.out_dir.string().c_str());
    else
      std::printf("report: %s\n", (options.out_dir / "report.json").string().c_str());
    return run.failed > 0 ? kSomeFailed : 0;
  };
}

}  // namespace lisa::cli
