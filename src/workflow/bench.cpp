#include "lisa/workflow/bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>

#include <ATen/DeviceAccelerator.h>

#include <fstream>
#include <sstream>

#include "lisa/error.h"
#include "lisa/models/decode_attention.h"
#include "lisa/models/few_rows_linear.h"
#include "lisa/pipeline/batch.h"
#include "lisa/pipeline/context.h"
#include "lisa/pipeline/session.h"

namespace lisa::workflow {

namespace {

StageStats stats(const std::string& stage, const std::vector<double>& values) {
  StageStats s{stage, 0, 0};
  for (double v : values) s.mean_ms += v;
  s.mean_ms /= values.size();
  for (double v : values) s.sd_ms += (v - s.mean_ms) * (v - s.mean_ms);
  s.sd_ms = values.size() > 1 ? std::sqrt(s.sd_ms / (values.size() - 1)) : 0;
  return s;
}

pipeline::AskOptions ask_options(const BenchOptions& options) {
  pipeline::AskOptions ask;
  ask.force_seg = true;
  ask.max_new_tokens = options.answer_tokens > 0 ? options.answer_tokens : options.max_new_tokens;
  ask.ignore_eos = options.answer_tokens > 0;
  return ask;
}

void add(pipeline::StageTimings& sum, const pipeline::StageTimings& t) {
  sum.preprocess_ms += t.preprocess_ms;
  sum.clip_ms += t.clip_ms;
  sum.sam_encoder_ms += t.sam_encoder_ms;
  sum.prefill_ms += t.prefill_ms;
  sum.decode_ms += t.decode_ms;
  sum.decode_tokens += t.decode_tokens;
  sum.sam_decode_ms += t.sam_decode_ms;
  sum.postprocess_ms += t.postprocess_ms;
  sum.total_ms += t.total_ms;
}

// One repetition: its stage times (summed over a batch's answers) and its wall-clock milliseconds.
pipeline::StageTimings one_query(pipeline::Context& context, const image::Image& picture,
                                 const BenchOptions& options, int64_t& tokens, double& wall_ms) {
  const auto start = std::chrono::steady_clock::now();
  pipeline::StageTimings timings;
  if (options.batch_size <= 1) {
    auto session = context.open(picture);
    const auto answer = session.ask(options.prompt, ask_options(options));
    tokens = static_cast<int64_t>(answer.token_ids.size());
    timings = answer.timings;
  } else {
    std::vector<pipeline::Session> sessions;
    sessions.reserve(static_cast<size_t>(options.batch_size));  // the questions point at them
    std::vector<pipeline::BatchQuestion> questions;
    for (int64_t i = 0; i < options.batch_size; ++i) {
      sessions.push_back(context.open(picture));
      questions.push_back({&sessions.back(), options.prompt, ask_options(options)});
    }
    pipeline::BatchOptions batch;
    batch.max_kv_cache_bytes = options.max_kv_cache_mib << 20;
    for (const auto& result : context.ask_batch(questions, batch)) {
      if (result.error) std::rethrow_exception(result.error);
      tokens = static_cast<int64_t>(result.answer->token_ids.size());
      add(timings, result.answer->timings);
    }
  }
  wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return timings;
}

void measure_peak_memory(const at::Device& device, BenchReport& report) {
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  if (device.is_cuda()) {
    const auto stats = at::accelerator::getDeviceStats(device.index() < 0 ? 0 : device.index());
    report.peak_memory_gib = stats.allocated_bytes[static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE)].peak / kGiB;
    report.peak_memory_kind = "cuda allocated";
    return;
  }
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) {
      std::istringstream fields(line.substr(6));
      double kib = 0;
      fields >> kib;
      report.peak_memory_gib = kib * 1024.0 / kGiB;
      report.peak_memory_kind = "cpu resident";
    }
}

}  // namespace

BenchReport run_bench(const pipeline::Engine& engine, const image::Image& picture, const BenchOptions& options) {
  LISA_CHECK(options.repetitions >= 1, "bench: the number of repetitions must be at least 1");
  BenchReport report;
  pipeline::Context context(engine);  // one for every query, as a long-running worker keeps its cache
  double wall_ms = 0;
  for (int i = 0; i < options.warmup; ++i) one_query(context, picture, options, report.answer_tokens, wall_ms);
  std::vector<pipeline::StageTimings> runs;
  std::vector<double> images_per_minute;
  for (int i = 0; i < options.repetitions; ++i) {
    runs.push_back(one_query(context, picture, options, report.answer_tokens, wall_ms));
    images_per_minute.push_back(60000.0 * static_cast<double>(std::max<int64_t>(1, options.batch_size)) / wall_ms);
  }
  const auto throughput = stats("images_per_minute", images_per_minute);
  report.images_per_minute = throughput.mean_ms;
  report.images_per_minute_sd = throughput.sd_ms;
  report.batch_size = std::max<int64_t>(1, options.batch_size);

  using Field = std::function<double(const pipeline::StageTimings&)>;
  const std::vector<std::pair<std::string, Field>> fields = {
      {"preprocess", [](const auto& t) { return t.preprocess_ms; }},
      {"clip", [](const auto& t) { return t.clip_ms; }},
      {"sam_encoder", [](const auto& t) { return t.sam_encoder_ms; }},
      {"prefill", [](const auto& t) { return t.prefill_ms; }},
      {"decode", [](const auto& t) { return t.decode_ms; }},
      {"sam_decode", [](const auto& t) { return t.sam_decode_ms; }},
      {"postprocess", [](const auto& t) { return t.postprocess_ms; }},
      {"total", [](const auto& t) { return t.total_ms; }},
  };
  for (const auto& [name, field] : fields) {
    std::vector<double> values;
    for (const auto& run : runs) values.push_back(field(run));
    report.stages.push_back(stats(name, values));
  }
  std::vector<double> rates;
  for (const auto& run : runs)
    if (run.decode_tokens > 0 && run.decode_ms > 0) rates.push_back(1000.0 * run.decode_tokens / run.decode_ms);
  if (!rates.empty()) {
    const auto rate = stats("decode_rate", rates);
    report.decode_tokens_per_s = rate.mean_ms;
    report.decode_tokens_per_s_sd = rate.sd_ms;
  }
  report.repetitions = options.repetitions;
  report.device = engine.device().str();
  report.precision = pipeline::to_string(engine.precision());
  report.cuda_graphs = context.uses_cuda_graphs();
  report.few_rows_linear = engine.device().is_cpu() && engine.precision() != pipeline::Precision::kFp16 &&
                           models::few_rows_linear_available();
  report.decode_attention = engine.device().is_cpu() && engine.precision() != pipeline::Precision::kFp16 &&
                            models::decode_attention_available();
  measure_peak_memory(engine.device(), report);
  return report;
}

std::string bench_markdown(const BenchReport& report) {
  std::string out = "| stage | mean ms | sd ms |\n|---|---:|---:|\n";
  char row[160];
  for (const auto& s : report.stages) {
    std::snprintf(row, sizeof row, "| %s | %.2f | %.2f |\n", s.stage.c_str(), s.mean_ms, s.sd_ms);
    out += row;
  }
  std::snprintf(row, sizeof row, "| decode tok/s | %.1f | %.1f |\n", report.decode_tokens_per_s,
                report.decode_tokens_per_s_sd);
  out += row;
  std::snprintf(row, sizeof row, "| images/min | %.2f | %.2f |\n", report.images_per_minute,
                report.images_per_minute_sd);
  out += row;
  std::snprintf(row, sizeof row, "\nbatch size %lld, %d repetitions, %lld answer tokens per query\n",
                static_cast<long long>(report.batch_size), report.repetitions,
                static_cast<long long>(report.answer_tokens));
  out += row;
  if (report.load_seconds > 0) {
    std::snprintf(row, sizeof row, "load: %.2f s\n", report.load_seconds);
    out += row;
  }
  if (!report.peak_memory_kind.empty()) {
    std::snprintf(row, sizeof row, "peak memory: %.2f GiB (%s)\n", report.peak_memory_gib,
                  report.peak_memory_kind.c_str());
    out += row;
  }
  return out;
}

std::string bench_json(const BenchReport& report) {
  nlohmann::ordered_json json;
  for (const auto& s : report.stages) json["stages"][s.stage] = {{"mean_ms", s.mean_ms}, {"sd_ms", s.sd_ms}};
  json["decode_tokens_per_s"] = {{"mean", report.decode_tokens_per_s}, {"sd", report.decode_tokens_per_s_sd}};
  json["images_per_minute"] = {{"mean", report.images_per_minute}, {"sd", report.images_per_minute_sd}};
  json["batch_size"] = report.batch_size;
  json["answer_tokens"] = report.answer_tokens;
  json["repetitions"] = report.repetitions;
  json["device"] = report.device;
  json["precision"] = report.precision;
  json["cuda_graphs"] = report.cuda_graphs;
  json["cpu_linear"] = report.few_rows_linear ? "few-rows" : "gemm";
  json["cpu_attention"] = report.decode_attention ? "kernel" : "sdpa";
  json["peak_memory_gib"] = report.peak_memory_gib;
  json["peak_memory_kind"] = report.peak_memory_kind;
  json["load_seconds"] = report.load_seconds;
  return json.dump(2);
}

}  // namespace lisa::workflow
