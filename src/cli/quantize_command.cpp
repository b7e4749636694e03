// `lisa quantize -m DIR --mode int8|int4 [--group-size G] -o OUT`: writes OUT, a checkpoint that
// every command loads already quantized (include/lisa/workflow/quantize.h).
#include <chrono>
#include <iostream>

#include "commands.h"
#include "lisa/workflow/quantize.h"
#include "progress.h"
#include "stop_signals.h"

namespace lisa::cli {

namespace {

struct QuantizeArgs {
  std::string model, out, mode;
  int64_t group_size = 64;
};

std::string gigabytes(int64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f GB", static_cast<double>(bytes) / 1e9);
  return text;
}

}  // namespace

Action add_quantize_command(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "quantize",
      "Write a copy of a LISA checkpoint with its LLM weights quantized (int8 or int4), which every command loads "
      "directly");
  sub->footer(
      "Writes into a hidden folder next to OUT, renamed to OUT when complete. Ctrl-C / SIGTERM stop it\n"
      "between tensors and remove that folder (exit 130 / 143); the folder of a run killed outright is\n"
      "removed by the next run for the same OUT.");
  auto args = std::make_shared<QuantizeArgs>();
  sub->add_option("-m,--model", args->model, "LISA checkpoint directory (or Hugging Face id in the local cache)")
      ->required();
  sub->add_option("--mode", args->mode,
                  "int8 (symmetric, one scale per output channel) | int4 (a scale and zero per group of input "
                  "columns); lm_head is int8 in both")
      ->required();
  sub->add_option("--group-size", args->group_size, "int4 group size: 32 | 64 | 128 | 256")->capture_default_str();
  sub->add_option("-o,--out", args->out, "Folder to write; must not exist")->required();
  return [args] {
    workflow::QuantizeOptions options;
    options.model = args->model;
    options.out = args->out;
    options.quantization.mode = models::parse_quant_mode(args->mode);
    options.quantization.group_size = args->group_size;
    options.stop_requested = [] { return StopSignals::received() != 0; };
    const StopSignals signals;
    const auto start = std::chrono::steady_clock::now();
    std::unique_ptr<Progress> progress;
    workflow::QuantizeReport report;
    try {
      report = workflow::quantize_checkpoint(options, [&](const std::string& tensor, size_t done, size_t total) {
        if (!progress) progress = std::make_unique<Progress>("quantize", total);
        if (done > 0) progress->step(done, tensor, "");
      });
    } catch (const workflow::QuantizeStopped&) {
      const int signal = StopSignals::received();
      std::cerr << "\nquantize: stopped by " << StopSignals::name(signal) << "; " << args->out
                << " was not written and nothing was left behind\n";
      return 128 + signal;
    }
    if (progress) progress->finish();
    for (const auto& removed : report.removed_partials)
      std::cerr << "quantize: removed " << removed.string() << ", left by an earlier run that was killed\n";
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << "wrote " << args->out << ": " << report.quantized << " of " << report.tensors << " tensors quantized to "
              << args->mode << ", " << gigabytes(report.bytes_in) << " -> " << gigabytes(report.bytes_out) << " in "
              << report.files.size() << (report.files.size() == 1 ? " file" : " files") << ", " << seconds << " s\n";
    return 0;
  };
}

}  // namespace lisa::cli
