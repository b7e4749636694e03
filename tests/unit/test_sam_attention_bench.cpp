// SAM's global attention alone, its two ways in models/sam/relative_position.h: in blocks of one head
// and 1 MiB of logits, with SAM's operations, against SDPA with the relative-position bias made first
// for a few heads at a time (128 MiB at most). A report run by scripts/bench/sam_attention.sh, not by the suite
// (DISABLED_): the mid preset's global layer (4 heads of 64) and ViT-H's (16 heads of 80), over the
// 64 x 64 tokens of a 1024-pixel image, fp32 and bf16, random inputs; 2 threads unless
// LISA_BENCH_THREADS says otherwise; 1 warm-up and 3 timed calls.
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "lisa/models/sam/relative_position.h"
#include "support/mean_step_ms.h"

namespace lisa::models::sam {
namespace {

constexpr int64_t kGridSide = 64;
constexpr int64_t kBiasBudgetBytes = int64_t{128} << 20;  // the engine's budget for SDPA + bias

TEST(SamAttentionBench, DISABLED_Report) {
  const char* threads_env = std::getenv("LISA_BENCH_THREADS");
  const int before = at::get_num_threads();
  at::set_num_threads(threads_env ? std::atoi(threads_env) : 2);
  std::printf("[ sam attention ] one global layer, %ld x %ld tokens, %d threads\n", static_cast<long>(kGridSide),
              static_cast<long>(kGridSide), at::get_num_threads());
  std::printf("| layer | dtype | blocked ms | SDPA + bias ms | SDPA / blocked |\n|---|---|---:|---:|---:|\n");
  struct Layer {
    const char* name;
    int64_t heads, head_dim;
  };
  for (const auto& [name, heads, d] : {Layer{"mid", 4, 64}, Layer{"ViT-H", 16, 80}})
    for (const auto dtype : {at::kFloat, at::kBFloat16}) {
      const int64_t tokens = kGridSide * kGridSide;
      const auto q = at::randn({1, heads, tokens, d}).to(dtype), k = at::randn({1, heads, tokens, d}).to(dtype),
                 v = at::randn({1, heads, tokens, d}).to(dtype);
      const auto rel_h = at::randn({2 * kGridSide - 1, d}).to(dtype), rel_w = at::randn({2 * kGridSide - 1, d}).to(dtype);
      const int64_t queries = (int64_t{1} << 20) / (tokens * q.element_size());  // the CPU's 1 MiB blocks
      const double blocked = testing::mean_step_ms(
          [&] { relative_position_attention_in_blocks(q, k, v, rel_h, rel_w, kGridSide, kGridSide, 1, queries, true); }, 1, 3);
      const double sdpa = testing::mean_step_ms(
          [&] { relative_position_attention_with_bias(q, k, v, rel_h, rel_w, kGridSide, kGridSide, kBiasBudgetBytes); }, 1, 3);
      std::printf("| %s | %s | %.1f | %.1f | %.2f |\n", name, dtype == at::kFloat ? "fp32" : "bf16", blocked, sdpa,
                  sdpa / blocked);
    }
  at::set_num_threads(before);
}

}  // namespace
}  // namespace lisa::models::sam
