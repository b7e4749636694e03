// `lisa segment`: the front of lisa::workflow::run_segment.
#include <iostream>

#include "commands.h"
#include "lisa/error.h"
#include "lisa/workflow/segment.h"
#include "lisa/workflow/shard_manifest.h"
#include "model_options.h"
#include "progress.h"
#include "shard_options.h"
#include "stop_signals.h"

namespace lisa::cli {

namespace {
struct SegmentArgs {
  ModelOptions model;
  std::vector<std::string> images;
  bool recursive = false;
  std::string prompt;
  std::string prompts_file;
  std::string out = "segment_output";
  int64_t max_pixels = 100'000'000;
  bool resume = false;
  bool force_seg = false;
  std::vector<std::string> devices;
  ShardArgs shard;
  int64_t batch_size = 1;
  int64_t max_kv_cache_mib = 8192;
};

// Exit codes: 0 every item succeeded, 3 some failed, 1 nothing could run (bad model or arguments),
// 128 + signal number when SIGINT / SIGTERM stopped the run (130 / 143, as a shell reports it).
constexpr int kSomeFailed = 3;

std::vector<workflow::SegmentItem> segment_items(const SegmentArgs& args, bool prompt_given) {
  const bool from_file = !args.prompts_file.empty();
  LISA_CHECK(!(from_file && (prompt_given || !args.images.empty())) && (from_file || prompt_given),
             "segment: give --images with --prompt, or --prompts FILE.jsonl");
  if (from_file) return workflow::read_prompt_file(args.prompts_file);
  LISA_CHECK(!args.prompt.empty(), "segment: --prompt is empty");
  LISA_CHECK(!args.images.empty(), "segment: give --images with --prompt");
  auto items = workflow::collect_images(args.images, args.recursive, args.prompt);
  LISA_CHECK(!items.empty(), "segment: no images found in --images");
  return items;
}

// A shard's manifest, counts aside: the whole input and everything that changes its results.
workflow::ShardManifest segment_manifest(const SegmentArgs& args, const workflow::Shard& shard,
                                      const std::vector<workflow::SegmentItem>& items) {
  nlohmann::ordered_json arguments = args.model.result_arguments();
  arguments["force_seg"] = args.force_seg;
  arguments["max_pixels"] = args.max_pixels;
  // The mask file names (made unique over the whole input) must agree too.
  std::vector<std::string> stems;
  for (const auto& item : items) stems.push_back(item.stem);
  arguments["stems_hash"] = workflow::keys_hash(stems);
  return workflow::plan_manifest("segment", shard, workflow::item_keys(items), std::move(arguments));
}

void report_plan(const workflow::SegmentPlan& plan) {
  if (plan.already_done || plan.retried)
    std::cerr << "segment: resuming: " << plan.already_done << " already done, " << plan.retried
              << " failed earlier and are retried\n";
  if (!plan.removed_temporaries.empty())
    std::cerr << "segment: resuming: removed " << plan.removed_temporaries.size()
              << " temporary file(s) an interrupted run left, e.g. "
              << plan.removed_temporaries.front().filename().string() << "\n";
}
}  // namespace

Action add_segment_command(CLI::App& app) {
  auto args = std::make_shared<SegmentArgs>();
  auto* sub = app.add_subcommand("segment", "Segment a batch of images: masks, overlays and results.jsonl");
  sub->footer(
      "Writes into --out, per image: {stem}_mask_{i}.png (0/255), {stem}_masked_img_{i}.jpg and one line of\n"
      "results.jsonl (masks with area, bbox, SAM score and COCO RLE), or an error line for an input that\n"
      "failed. One run per --out at a time (it is locked). --resume skips the items whose last line is a\n"
      "success and retries the others. Ctrl-C / SIGTERM stop after the writes in flight (a second one at\n"
      "once). Exit code 0 when all succeeded, 3 when some failed, 1 when none could run, 130 / 143 when\n"
      "stopped by SIGINT / SIGTERM.\n"
      "Sharded (--shard K/N or a scheduler's variables, see docs/scale-out.md): the shard writes\n"
      "results.shard-K-of-N.jsonl and, once done, manifest.shard-K-of-N.json into the shared --out;\n"
      "`lisa merge OUT` then writes the results.jsonl of an unsharded run.");
  add_model_options(*sub, args->model);
  sub->add_option("--images", args->images, "image files and/or directories (.jpg .jpeg .png .bmp)");
  sub->add_flag("-r,--recursive", args->recursive, "descend into subdirectories of --images");
  auto* prompt = sub->add_option("-p,--prompt", args->prompt, "the question asked about every image");
  sub->add_option("--prompts", args->prompts_file, "JSONL file of {\"image\": ..., \"prompt\": ...} lines");
  sub->add_option("-o,--out", args->out, "output directory")->capture_default_str();
  sub->add_option("--max-pixels", args->max_pixels, "refuse images with more pixels than this")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sub->add_flag("--resume", args->resume,
                "skip the images recorded as done in results.jsonl; retry those recorded as failed");
  sub->add_flag("--force-seg", args->force_seg,
                "when an answer has no [SEG], take the mask of the answer \"Sure, [SEG].\" (flagged forced_seg)");
  add_devices_option(*sub, args->devices);
  add_shard_options(*sub, args->shard);
  add_batch_options(*sub, args->batch_size, args->max_kv_cache_mib);
  return [args, prompt] {
    const auto shard = resolve_shard(args->shard, "segment", args->model, !args->devices.empty());
    if (args->shard.print_only) {
      print_shard(shard);
      return 0;
    }
    auto items = segment_items(*args, prompt->count() > 0);
    std::optional<workflow::ShardManifest> manifest;
    if (shard) {
      manifest = segment_manifest(*args, *shard, items);
      items = workflow::select_shard(items, *shard);
    }
    workflow::SegmentOptions options;
    workflow::use_shard_file_names(options, shard);
    options.out_dir = args->out;
    options.max_pixels = args->max_pixels;
    options.max_new_tokens = args->model.max_new_tokens;
    options.force_seg = args->force_seg;
    options.resume = args->resume;
    options.batch_size = args->batch_size;
    options.max_kv_cache_mib = args->max_kv_cache_mib;
    options.stop_requested = [] { return StopSignals::received() != 0; };
    const StopSignals signals;
    // Before the model loads: a busy or unusable --out fails at once.
    auto plan = workflow::plan_segment(items, options);
    if (shard) workflow::remove_manifest(options.out_dir, *shard);  // until this run has finished
    report_plan(plan);

    workflow::SegmentProgress summary;
    summary.skipped = plan.already_done;
    if (!plan.items.empty()) {
      std::vector<std::unique_ptr<pipeline::Engine>> engines;
      try {
        engines = load_engines(args->model, args->devices, "segment");
      } catch (...) {
        plan.lock.remove_if_unused();  // a model that cannot load: nothing written
        throw;
      }
      std::unique_ptr<Progress> progress;
      summary = workflow::run_segment(
          pointers(engines), plan, options,
          [&](const workflow::SegmentItem& item, const std::string& error, const workflow::SegmentProgress& counts) {
            if (!progress) progress = std::make_unique<Progress>("segment", counts.total);
            progress->step(counts.done, item.image.string(), error);
          });
      if (progress) progress->finish();
    }
    const std::string results = (options.out_dir / options.results_name).string();
    std::cerr << "segment: " << summary.done - summary.failed << " done, " << summary.failed << " failed";
    if (summary.skipped) std::cerr << ", " << summary.skipped << " already in results.jsonl";
    std::cerr << "; results in " << results << "\n";
    if (manifest && !summary.stopped) {
      const auto outcomes = workflow::count_outcomes(items, options);
      manifest->ok = outcomes.ok;
      manifest->failed = outcomes.failed;
      workflow::write_manifest(options.out_dir, *manifest);
      std::cerr << "segment: shard " << shard->index << "/" << shard->count
                << " finished; once all are, join them with: lisa merge " << options.out_dir.string() << "\n";
    }
    if (summary.stopped) {
      const int signal = StopSignals::received();
      std::cerr << "segment: stopped by " << StopSignals::name(signal) << " with " << plan.items.size() - summary.done
                << " item(s) not done; run again with --resume to finish\n";
      return 128 + signal;
    }
    return summary.failed > 0 ? kSomeFailed : 0;
  };
}

}  // namespace lisa::cli
