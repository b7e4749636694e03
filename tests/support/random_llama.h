#pragma once
// A small LLaMA with random weights, for tests that need a model but no checkpoint.
#include <ATen/ATen.h>

#include "lisa/models/llama.h"

namespace lisa::testing {

// V 40, H 32, F 48, 2 layers, 4 heads, `kv_heads` key/value heads, 64 positions; fp32, weights
// drawn on the CPU from a generator seeded with `seed` (the same values on every device).
models::LlamaOptions random_llama_options(int64_t kv_heads = 4);
models::LlamaWeights random_llama_weights(const models::LlamaOptions& options, uint64_t seed,
                                          const at::Device& device = at::kCPU);

// Same sizes, and every element within `relative` times expected's largest magnitude (for paths
// that sum in different orders: cached and uncached, batched and alone).
void expect_close(const at::Tensor& actual, const at::Tensor& expected, double relative = 1e-4);

}  // namespace lisa::testing
