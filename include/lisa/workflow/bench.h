#pragma once
// `lisa bench`: the time of every pipeline stage for one image and one question, over repetitions
// after warm-up runs, in the spirit of llama-bench. Each repetition opens the image afresh (CLIP and
// the SAM encoder run every time) and forces a mask, so every stage is measured.
#include <cstdint>
#include <string>
#include <vector>

#include "lisa/image/image.h"
#include "lisa/pipeline/engine.h"

namespace lisa::workflow {

struct BenchOptions {
  std::string prompt;
  int repetitions = 5;
  int warmup = 1;
  // 0: the answer ends at EOS as in normal use; N > 0: exactly N tokens are generated (EOS ignored).
  int64_t answer_tokens = 0;
  int64_t max_new_tokens = 512;
  // > 1: each repetition answers this many questions (the image opened once per question) as one
  // batch (pipeline/batch.h); stage times are then summed over the batch's answers.
  int64_t batch_size = 1;
  int64_t max_kv_cache_mib = 8192;
};

struct StageStats {
  std::string stage;
  double mean_ms = 0;
  double sd_ms = 0;
};

struct BenchReport {
  std::vector<StageStats> stages;  // preprocess, clip, sam_encoder, prefill, decode, sam_decode, postprocess, total
  double decode_tokens_per_s = 0;  // mean over repetitions, summed over a batch's sequences
  double decode_tokens_per_s_sd = 0;
  int64_t answer_tokens = 0;       // tokens generated per repetition (last one)
  int repetitions = 0;
  int64_t batch_size = 1;
  double images_per_minute = 0;    // questions (each with its image opened) answered per minute, wall clock
  double images_per_minute_sd = 0;
  std::string device, precision;
  bool cuda_graphs = false;        // decoding steps replayed as a CUDA graph
  bool few_rows_linear = false;    // unquantized layers of CPU fp32/bf16 decoding steps: models/few_rows_linear.h
  bool decode_attention = false;   // attention of CPU fp32/bf16 decoding steps: models/decode_attention.h
  // Peak memory of the whole process so far (weights included): on CUDA the most bytes the caching
  // allocator ever had allocated, on the CPU the peak resident set (VmHWM).
  double peak_memory_gib = 0;
  std::string peak_memory_kind;    // "cuda allocated" | "cpu resident"
  // Wall time of loading the engine (checkpoint read, converted, quantized and packed), measured by
  // the caller around pipeline::Engine::load; 0 when not measured.
  double load_seconds = 0;
};

BenchReport run_bench(const pipeline::Engine& engine, const image::Image& picture, const BenchOptions& options);

std::string bench_markdown(const BenchReport& report);
std::string bench_json(const BenchReport& report);

}  // namespace lisa::workflow
