// The attention of a decoding step alone, the engine's kernel (decode_attention.h) against SDPA called
// row by row (what the engine does without the kernel), for B sequences: a report run by
// scripts/bench/decode_attention_layers.sh, not by the suite (DISABLED_). The mid preset's attention:
// 8 layers, 16 heads of 64, each sequence with LISA_BENCH_SPAN cached positions (default 330, about a
// LISA prompt with its 256 image tokens and some answer); fp32 unless LISA_BENCH_DTYPE=bf16; 2 threads
// unless LISA_BENCH_THREADS says otherwise; 2 warm-up and 5 timed steps.
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "lisa/models/decode_attention.h"
#include "lisa/models/kv_cache.h"
#include "support/mean_step_ms.h"

namespace lisa::models {
namespace {

constexpr int64_t kLayers = 8, kHeads = 16, kHeadDim = 64;

TEST(DecodeAttentionBench, DISABLED_Report) {
  const char* span_env = std::getenv("LISA_BENCH_SPAN");
  const char* dtype_env = std::getenv("LISA_BENCH_DTYPE");
  const char* threads_env = std::getenv("LISA_BENCH_THREADS");
  const int64_t span = span_env ? std::atoll(span_env) : 330;
  const std::string dtype_name = dtype_env ? dtype_env : "fp32";
  ASSERT_TRUE(dtype_name == "fp32" || dtype_name == "bf16") << "LISA_BENCH_DTYPE=" << dtype_name << ": fp32 or bf16";
  ASSERT_GT(span, 0) << "LISA_BENCH_SPAN=" << span;
  const at::ScalarType dtype = dtype_name == "fp32" ? at::kFloat : at::kBFloat16;
  const int before = at::get_num_threads();
  at::set_num_threads(threads_env ? std::atoi(threads_env) : 2);
  const bool enabled = decode_attention_enabled();
  set_decode_attention_enabled(true);
  std::printf("[ attention ] mid shapes (%ld layers, %ld heads of %ld), %ld cached positions, %s, %d threads\n",
              static_cast<long>(kLayers), static_cast<long>(kHeads), static_cast<long>(kHeadDim),
              static_cast<long>(span), dtype_name.c_str(), at::get_num_threads());
  std::printf("| B | kernel ms | SDPA ms | kernel GB/s | SDPA ms / kernel ms |\n|---:|---:|---:|---:|---:|\n");
  for (const int64_t batch : {1, 2, 4, 8, 16}) {
    std::vector<KvCache> caches;
    for (int64_t b = 0; b < batch; ++b) {
      caches.emplace_back(kLayers, kHeads, span, kHeadDim, at::kCPU, dtype);
      for (int64_t layer = 0; layer < kLayers; ++layer)
        caches.back().write(layer, at::randn({1, kHeads, span, kHeadDim}).to(dtype),
                            at::randn({1, kHeads, span, kHeadDim}).to(dtype));
    }
    const at::Tensor queries = at::randn({batch, kHeads, 1, kHeadDim}).to(dtype);
    const auto views = [&](int64_t layer, bool values) {
      std::vector<at::Tensor> out;
      for (const KvCache& cache : caches) out.push_back(values ? cache.values(layer, span) : cache.keys(layer, span));
      return out;
    };
    const double kernel = testing::mean_step_ms([&] {
      for (int64_t layer = 0; layer < kLayers; ++layer) decode_attention(queries, views(layer, false), views(layer, true));
    });
    const double sdpa = testing::mean_step_ms([&] {
      for (int64_t layer = 0; layer < kLayers; ++layer)
        for (int64_t b = 0; b < batch; ++b)
          at::scaled_dot_product_attention(queries.narrow(0, b, 1), caches[b].keys(layer, span),
                                           caches[b].values(layer, span));
    });
    const double bytes = 2.0 * batch * kLayers * kHeads * span * kHeadDim * at::elementSize(dtype);
    std::printf("| %ld | %.2f | %.2f | %.1f | %.2f |\n", static_cast<long>(batch), kernel, sdpa, bytes / kernel / 1e6,
                sdpa / kernel);
  }
  set_decode_attention_enabled(enabled);
  at::set_num_threads(before);
}

}  // namespace
}  // namespace lisa::models
