// A batched decoding step of the mid preset's LLaMA alone (no SAM, no CLIP, no prefill in the
// timing), at B = 1 and 8 sequences of LISA_BENCH_SPAN cached positions (default 330): a report run
// by scripts/bench/llama_step.sh (also under perf), not by the suite (DISABLED_). Random weights in
// LISA_BENCH_DTYPE (fp32 or bf16, default bf16); 2 threads unless LISA_BENCH_THREADS says otherwise;
// LISA_BENCH_STEPS steps (default 64) after 4 warm-up steps.
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "lisa/models/llama.h"
#include "support/mean_step_ms.h"

namespace lisa::models {
namespace {

LlamaWeights mid_weights(const LlamaOptions& options, at::ScalarType dtype) {
  const auto matrix = [&](int64_t rows, int64_t cols) { return (at::randn({rows, cols}) * 0.03).to(dtype); };
  const auto norm = [&](int64_t size) { return at::ones({size}).to(dtype); };
  const int64_t H = options.hidden_size, F = options.intermediate_size;
  LlamaWeights weights;
  weights.embed_tokens = matrix(options.vocab_size, H);
  for (int64_t i = 0; i < options.num_layers; ++i)
    weights.layers.push_back(LlamaLayerWeights{norm(H), matrix(H, H), matrix(H, H), matrix(H, H), matrix(H, H), norm(H),
                                               matrix(F, H), matrix(F, H), matrix(H, F)});
  weights.norm = norm(H);
  weights.lm_head = matrix(options.vocab_size, H);
  return weights;
}

TEST(LlamaStepBench, DISABLED_Report) {
  const char* dtype_env = std::getenv("LISA_BENCH_DTYPE");
  const std::string dtype_name = dtype_env ? dtype_env : "bf16";
  ASSERT_TRUE(dtype_name == "fp32" || dtype_name == "bf16") << "LISA_BENCH_DTYPE=" << dtype_name;
  const at::ScalarType dtype = dtype_name == "bf16" ? at::kBFloat16 : at::kFloat;
  const char* span_env = std::getenv("LISA_BENCH_SPAN");
  const char* steps_env = std::getenv("LISA_BENCH_STEPS");
  const char* threads_env = std::getenv("LISA_BENCH_THREADS");
  const int64_t span = span_env ? std::atoll(span_env) : 330, steps = steps_env ? std::atoll(steps_env) : 64;
  const int before = at::get_num_threads();
  at::set_num_threads(threads_env ? std::atoi(threads_env) : 2);
  LlamaOptions options;
  options.vocab_size = 1003;
  options.hidden_size = 1024;
  options.intermediate_size = 2816;
  options.num_layers = 8;
  options.num_heads = 16;
  options.num_kv_heads = 16;
  const LlamaModel model(options, mid_weights(options, dtype));
  std::printf("[ llama step ] mid preset's LLaMA, %s, %ld cached positions, %ld steps, %d threads\n",
              dtype_name.c_str(), static_cast<long>(span), static_cast<long>(steps), at::get_num_threads());
  std::printf("| B | ms per step | tok/s summed | x B=1 |\n|---:|---:|---:|---:|\n");
  double base = 0;
  const char* batches_env = std::getenv("LISA_BENCH_BATCHES");  // "8" for a profile of B = 8 alone
  const std::string batches = batches_env ? batches_env : "1 8";
  for (const int64_t batch : {int64_t{1}, int64_t{8}}) {
    if (batches.find(std::to_string(batch)) == std::string::npos) continue;
    std::vector<KvCache> caches;
    std::vector<KvCache*> pointers;
    for (int64_t b = 0; b < batch; ++b) caches.push_back(model.make_cache(span + steps + 8));
    const int64_t D = options.head_dim();
    for (KvCache& cache : caches) {  // random cached positions: a prefill's values, not its time
      for (int64_t layer = 0; layer < options.num_layers; ++layer)
        cache.write(layer, at::randn({1, options.num_kv_heads, span, D}).to(dtype),
                    at::randn({1, options.num_kv_heads, span, D}).to(dtype));
      cache.advance(span);
      pointers.push_back(&cache);
    }
    const at::Tensor tokens = at::randint(3, options.vocab_size, {batch});
    const double ms = testing::mean_step_ms([&] { model.logits(model.step_batch(tokens, pointers)).argmax(-1); }, 4,
                                            static_cast<int>(steps));
    if (batch == 1) base = 1000.0 / ms;
    std::printf("| %ld | %.2f | %.1f | %.2f |\n", static_cast<long>(batch), ms, batch * 1000.0 / ms,
                batch * 1000.0 / ms / base);
  }
  at::set_num_threads(before);
}

}  // namespace
}  // namespace lisa::models
