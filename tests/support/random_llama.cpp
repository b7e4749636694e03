#include "support/random_llama.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

namespace lisa::testing {

models::LlamaOptions random_llama_options(int64_t kv_heads) {
  models::LlamaOptions options;
  options.vocab_size = 40;
  options.hidden_size = 32;
  options.intermediate_size = 48;
  options.num_layers = 2;
  options.num_heads = 4;
  options.num_kv_heads = kv_heads;
  options.rms_norm_eps = 1e-6;
  options.max_position_embeddings = 64;
  return options;
}

models::LlamaWeights random_llama_weights(const models::LlamaOptions& options, uint64_t seed,
                                          const at::Device& device) {
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  // Scale 0.3 keeps activations O(1) through two layers; norm weights near 1 but not 1.
  auto matrix = [&](int64_t rows, int64_t cols) { return (at::randn({rows, cols}, generator) * 0.3).to(device); };
  auto norm = [&](int64_t size) { return (1.0 + at::randn({size}, generator) * 0.1).to(device); };
  const int64_t H = options.hidden_size, F = options.intermediate_size, D = options.head_dim();
  models::LlamaWeights weights;
  weights.embed_tokens = at::randn({options.vocab_size, H}, generator).to(device);
  for (int64_t i = 0; i < options.num_layers; ++i) {
    models::LlamaLayerWeights layer;
    layer.input_layernorm = norm(H);
    layer.q_proj = matrix(options.num_heads * D, H);
    layer.k_proj = matrix(options.num_kv_heads * D, H);
    layer.v_proj = matrix(options.num_kv_heads * D, H);
    layer.o_proj = matrix(H, options.num_heads * D);
    layer.post_attention_layernorm = norm(H);
    layer.gate_proj = matrix(F, H);
    layer.up_proj = matrix(F, H);
    layer.down_proj = matrix(H, F);
    weights.layers.push_back(layer);
  }
  weights.norm = norm(H);
  weights.lm_head = matrix(options.vocab_size, H);
  return weights;
}

void expect_close(const at::Tensor& actual, const at::Tensor& expected, double relative) {
  ASSERT_EQ(actual.sizes(), expected.sizes());
  if (expected.numel() == 0) return;
  EXPECT_LE((actual - expected).abs().max().item<double>(), relative * expected.abs().max().item<double>());
}

}  // namespace lisa::testing
