#pragma once
// Process-wide libtorch settings. libtorch keeps one of each per process, so they are made once by
// the program (the CLI's main, the test binary's set-up), never by an Engine: any number of engines
// and contexts can then live in one process without changing each other's behaviour.
namespace lisa::pipeline {

struct RuntimeOptions {
  int threads = 0;  // libtorch's intra-op CPU threads; 0: default_cpu_threads()
  // fp32 and bf16 decoding steps on the CPU through models/few_rows_linear.h; false: at::linear everywhere
  // (`lisa bench --cpu-linear gemm`, to compare the two in one run).
  bool few_rows_linear = true;
  // The attention of CPU fp32 and bf16 decoding steps through models/decode_attention.h; false: SDPA
  // row by row (`lisa bench --cpu-attention sdpa`, to compare the two in one run).
  bool decode_attention = true;
};

// The CPU threads used when none are asked: OMP_NUM_THREADS when it holds a positive whole number
// (as libtorch itself, and PyTorch, take it), else every core.
int default_cpu_threads();

// - CPU threads as asked;
// - float32 on CUDA in IEEE precision, not TF32 (models/fp32_math.h: fp32 promises the reference's
//   numbers; bf16 / fp16 runs are unaffected);
// - large freed CPU blocks kept for reuse (pipeline/cpu_block_cache.h);
// - the few-rows product and the attention kernel of decoding steps on or off.
void set_up_runtime(const RuntimeOptions& options);

}  // namespace lisa::pipeline
