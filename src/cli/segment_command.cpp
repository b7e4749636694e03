// `lisa segment`: the front of lisa::workflow::run_segment.
#include <iostream>

#include "commands.h"
#include "lisa/error.h"
#include "lisa/workflow/segment.h"
#include "model_options.h"
#include "progress.h"

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
};

// Exit codes: 0 every item succeeded, 3 some failed, 1 nothing could run (bad model or arguments).
constexpr int kSomeFailed = 3;
}  // namespace

Action add_segment_command(CLI::App& app) {
  auto args = std::make_shared<SegmentArgs>();
  auto* sub = app.add_subcommand("segment", "Segment a batch of images: masks, overlays and results.jsonl");
  sub->footer(
      "Writes into --out, per image: {stem}_mask_{i}.png (0/255), {stem}_masked_img_{i}.jpg and one line of\n"
      "results.jsonl (masks with area, bbox, SAM score and COCO RLE), or an error line for an input that\n"
      "failed. Exit code 0 when all succeeded, 3 when some failed, 1 when none could run.");
  add_model_options(*sub, args->model);
  sub->add_option("--images", args->images, "image files and/or directories (.jpg .jpeg .png .bmp)");
  sub->add_flag("-r,--recursive", args->recursive, "descend into subdirectories of --images");
  sub->add_option("-p,--prompt", args->prompt, "the question asked about every image");
  sub->add_option("--prompts", args->prompts_file, "JSONL file of {\"image\": ..., \"prompt\": ...} lines");
  sub->add_option("-o,--out", args->out, "output directory")->capture_default_str();
  sub->add_option("--max-pixels", args->max_pixels, "refuse images with more pixels than this")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sub->add_flag("--resume", args->resume, "skip the images already recorded in results.jsonl");
  sub->add_flag("--force-seg", args->force_seg,
                "when an answer has no [SEG], take the mask of the answer \"Sure, [SEG].\" (flagged forced_seg)");
  return [args] {
    const bool from_file = !args->prompts_file.empty();
    if (from_file == !args->images.empty() || from_file == !args->prompt.empty())
      throw Error("segment: give --images with --prompt, or --prompts FILE.jsonl");
    auto items = from_file ? workflow::read_prompt_file(args->prompts_file)
                           : workflow::collect_images(args->images, args->recursive, args->prompt);
    if (items.empty()) throw Error("segment: no images found in --images");
    const auto engine = pipeline::Engine::load(args->model.engine_options());

    workflow::SegmentOptions options;
    options.out_dir = args->out;
    options.max_pixels = args->max_pixels;
    options.max_new_tokens = args->model.max_new_tokens;
    options.force_seg = args->force_seg;
    options.resume = args->resume;
    std::unique_ptr<Progress> progress;
    const auto summary = workflow::run_segment(
        *engine, std::move(items), options,
        [&](const workflow::SegmentItem& item, const std::string& error, const workflow::SegmentProgress& counts) {
          if (!progress) progress = std::make_unique<Progress>("segment", counts.total);
          progress->step(counts.done, item.image.string(), error);
        });
    if (progress) progress->finish();
    std::cerr << "segment: " << summary.done - summary.failed << " done, " << summary.failed << " failed";
    if (summary.skipped) std::cerr << ", " << summary.skipped << " already in results.jsonl";
    std::cerr << "; results in " << (options.out_dir / "results.jsonl").string() << "\n";
    return summary.failed > 0 ? kSomeFailed : 0;
  };
}

}  // namespace lisa::cli
