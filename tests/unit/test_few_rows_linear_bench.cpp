// The linear layers of a decoding step alone, few-rows kernel against libtorch's GEMM, for B rows:
// a report run by scripts/bench/few_rows_layers.sh, not by the suite (DISABLED_). LISA_BENCH_SHAPES
// picks the layers: "mid" (the mid preset's 8 layers, 1003-piece lm_head) or "7b" (two of LLaMA-7B's
// layers, 1.6 GB of fp32: the whole 7b model does not fit the 2-core machine's time). Random weights
// and inputs in LISA_BENCH_DTYPE (fp32, the default, or bf16); on a CPU with that dtype's AVX-512 path
// a third column times the AVX2 loop (set_avx512_kernels_enabled(false));
// 2 threads unless LISA_BENCH_THREADS says otherwise; 2 warm-up and 5 timed steps.
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "lisa/models/avx512_kernels.h"
#include "lisa/models/few_rows_linear.h"
#include "lisa/models/linear.h"
#include "support/mean_step_ms.h"

namespace lisa::models {
namespace {

// [Out, In] of the fused q/k/v, o, fused gate/up and down projections, `layers` times, plus lm_head.
std::vector<std::pair<int64_t, int64_t>> layer_shapes(int64_t hidden, int64_t ffn, int layers, int64_t vocab) {
  std::vector<std::pair<int64_t, int64_t>> shapes;
  for (int l = 0; l < layers; ++l)
    for (const auto& shape : {std::pair{3 * hidden, hidden}, std::pair{hidden, hidden}, std::pair{2 * ffn, hidden},
                              std::pair{hidden, ffn}})
      shapes.push_back(shape);
  if (vocab > 0) shapes.emplace_back(vocab, hidden);
  return shapes;
}

double step_ms(const std::vector<Linear>& layers, int64_t rows) {
  std::vector<at::Tensor> inputs;
  for (const Linear& layer : layers) inputs.push_back(at::randn({rows, layer.weight.size(1)}).to(layer.weight.dtype()));
  return testing::mean_step_ms([&] {
    for (size_t i = 0; i < layers.size(); ++i) layers[i](inputs[i]);
  });
}

TEST(FewRowsLinearBench, DISABLED_Report) {
  const char* shapes_env = std::getenv("LISA_BENCH_SHAPES");
  const std::string preset = shapes_env ? shapes_env : "mid";
  ASSERT_TRUE(preset == "mid" || preset == "7b") << "LISA_BENCH_SHAPES=" << preset << ": mid or 7b";
  const auto shapes = preset == "mid" ? layer_shapes(1024, 2816, 8, 1003) : layer_shapes(4096, 11008, 2, 0);
  const char* dtype_env = std::getenv("LISA_BENCH_DTYPE");
  const std::string dtype_name = dtype_env ? dtype_env : "fp32";
  ASSERT_TRUE(dtype_name == "fp32" || dtype_name == "bf16") << "LISA_BENCH_DTYPE=" << dtype_name << ": fp32 or bf16";
  const at::ScalarType dtype = dtype_name == "bf16" ? at::kBFloat16 : at::kFloat;
  const bool both_paths = dtype == at::kBFloat16 && avx512_bf16_kernels_available();
  const char* threads_env = std::getenv("LISA_BENCH_THREADS");
  const int before = at::get_num_threads();
  at::set_num_threads(threads_env ? std::atoi(threads_env) : 2);
  std::vector<Linear> layers;
  int64_t bytes = 0;
  for (const auto& [out, in] : shapes) {
    layers.emplace_back();
    layers.back().weight = at::randn({out, in}).to(dtype);
    bytes += layers.back().bytes();
  }
  const bool enabled = few_rows_linear_enabled();
  std::printf("[ few-rows ] %s shapes, %.2f GB of %s weights, %d threads\n", preset.c_str(), bytes / 1e9,
              dtype_name.c_str(), at::get_num_threads());
  std::printf("| B | few-rows ms | GEMM ms | few-rows rows/s x B=1 | GEMM ms / few-rows ms |%s\n|---:|---:|---:|---:|---:|%s\n",
              both_paths ? " AVX2 loop ms |" : "", both_paths ? "---:|" : "");
  double base = 0;
  for (const int64_t rows : {1, 2, 4, 8, 16}) {
    set_few_rows_linear_enabled(true);
    const double fast = step_ms(layers, rows);
    set_few_rows_linear_enabled(false);
    const double gemm = step_ms(layers, rows);
    if (rows == 1) base = fast;
    std::printf("| %ld | %.1f | %.1f | %.2f | %.2f |", static_cast<long>(rows), fast, gemm,
                static_cast<double>(rows) * base / fast, gemm / fast);
    if (both_paths) {
      set_few_rows_linear_enabled(true);
      set_avx512_kernels_enabled(false);
      std::printf(" %.1f |", step_ms(layers, rows));
      set_avx512_kernels_enabled(true);
    }
    std::printf("\n");
  }
  set_few_rows_linear_enabled(enabled);
  at::set_num_threads(before);
}

}  // namespace
}  // namespace lisa::models
