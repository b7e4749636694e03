// `lisa bench`: per-stage timings (mean ± sd over repetitions) for one image and one question.
#include <chrono>
#include <iostream>

#include "commands.h"
#include "lisa/image/read_image.h"
#include "lisa/workflow/bench.h"
#include "model_options.h"

namespace lisa::cli {

namespace {
struct BenchArgs {
  ModelOptions model;
  std::string image;
  std::string prompt = "Can you segment the object in this image? Please output segmentation mask.";
  int repetitions = 5;
  int warmup = 1;
  int64_t answer_tokens = 0;
  std::string format = "md";
  int64_t batch_size = 1;
  int64_t max_kv_cache_mib = 8192;
};
}  // namespace

Action add_bench_command(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  auto* sub = app.add_subcommand("bench", "Benchmark every pipeline stage (mean ± sd over repetitions)");
  sub->footer(
      "Every repetition opens the image afresh and forces a mask, so CLIP, the SAM encoder and the mask\n"
      "decoder are always measured. --answer-tokens N generates exactly N tokens (EOS ignored).\n"
      "--batch-size B: each repetition opens the image B times and answers the B questions as one batch;\n"
      "the stages are then the batch's (summed over its answers), decode tok/s is summed over the batch.");
  add_model_options(*sub, args->model);
  sub->add_option("-i,--image", args->image, "image file")->required();
  sub->add_option("-p,--prompt", args->prompt, "question")->capture_default_str();
  sub->add_option("-r,--repetitions", args->repetitions, "measured repetitions")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sub->add_option("-w,--warmup", args->warmup, "unmeasured runs first")->capture_default_str()->check(CLI::NonNegativeNumber);
  sub->add_option("-n,--answer-tokens", args->answer_tokens, "exactly N answer tokens (0: until EOS)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  sub->add_option("-o,--output", args->format, "md | json")->capture_default_str()->check(CLI::IsMember({"md", "json"}));
  add_batch_options(*sub, args->batch_size, args->max_kv_cache_mib);
  sub->add_option_function<std::string>(
         "--cpu-linear", [](const std::string& path) { runtime_options().few_rows_linear = path == "few-rows"; },
         "few-rows | gemm: fp32 and bf16 decoding steps on the CPU through the engine's few-rows kernel (default) or "
         "libtorch's GEMM, to compare them")
      ->check(CLI::IsMember({"few-rows", "gemm"}));
  sub->add_option_function<std::string>(
         "--cpu-attention", [](const std::string& path) { runtime_options().decode_attention = path == "kernel"; },
         "kernel | sdpa: the attention of fp32 and bf16 decoding steps on the CPU through the engine's kernel "
         "(default) or libtorch's scaled_dot_product_attention, to compare them")
      ->check(CLI::IsMember({"kernel", "sdpa"}));
  return [args] {
    const auto load_start = std::chrono::steady_clock::now();
    const auto engine = pipeline::Engine::load(args->model.engine_options());
    const double load_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
    const auto picture = image::read_image(args->image);
    workflow::BenchOptions options;
    options.prompt = args->prompt;
    options.repetitions = args->repetitions;
    options.warmup = args->warmup;
    options.answer_tokens = args->answer_tokens;
    options.max_new_tokens = args->model.max_new_tokens;
    options.batch_size = args->batch_size;
    options.max_kv_cache_mib = args->max_kv_cache_mib;
    auto report = workflow::run_bench(*engine, picture, options);
    report.load_seconds = load_seconds;
    if (args->format == "json") {
      std::cout << workflow::bench_json(report) << "\n";
    } else {
      std::cout << "lisa bench: " << engine->model_dir().string() << ", " << report.device << ", " << report.precision
                << (report.cuda_graphs ? ", CUDA graphs" : "")
                << (report.few_rows_linear ? ", few-rows decoding products" : "")
                << (report.decode_attention ? ", decoding attention kernel" : "") << "\n\n"
                << workflow::bench_markdown(report);
    }
    return 0;
  };
}

}  // namespace lisa::cli
