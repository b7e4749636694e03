#include <gtest/gtest.h>

#include <cmath>

#include "lisa/error.h"
#include "lisa/models/llama.h"
#include "support/random_llama.h"

namespace lisa::models {
namespace {

// An independent, cache-free formulation of the decoder in float64: explicit rotation by angles,
// repeated key/value heads, masked softmax. What LlamaModel must agree with.
at::Tensor naive_forward(const LlamaOptions& o, const LlamaWeights& w, const at::Tensor& embeds) {
  const auto d = [](const at::Tensor& t) { return t.to(at::kDouble); };
  const int64_t T = embeds.size(1), D = o.head_dim(), half = D / 2, group = o.num_heads / o.num_kv_heads;
  auto norm = [&](const at::Tensor& x, const at::Tensor& weight) {
    return x / at::sqrt(x.pow(2).mean(-1, true) + o.rms_norm_eps) * d(weight);
  };
  const at::Tensor positions = at::arange(T, at::kDouble).unsqueeze(1);
  const at::Tensor angles = positions * at::pow(o.rope_theta, -2.0 * at::arange(half, at::kDouble) / D);  // [T, D/2]
  auto rotate = [&](const at::Tensor& x) {  // [heads, T, D]
    const at::Tensor a = x.slice(-1, 0, half), b = x.slice(-1, half);
    return at::cat({a * angles.cos() - b * angles.sin(), b * angles.cos() + a * angles.sin()}, -1);
  };
  auto heads = [&](const at::Tensor& x, int64_t n) { return x.view({T, n, D}).transpose(0, 1); };
  const at::Tensor causal = at::ones({T, T}, at::kBool).triu(1);

  at::Tensor x = d(embeds[0]);  // [T, H]
  for (const auto& layer : w.layers) {
    const at::Tensor h = norm(x, layer.input_layernorm);
    const at::Tensor q = rotate(heads(at::matmul(h, d(layer.q_proj).t()), o.num_heads));
    const at::Tensor k = rotate(heads(at::matmul(h, d(layer.k_proj).t()), o.num_kv_heads)).repeat_interleave(group, 0);
    const at::Tensor v = heads(at::matmul(h, d(layer.v_proj).t()), o.num_kv_heads).repeat_interleave(group, 0);
    const at::Tensor scores = (at::matmul(q, k.transpose(1, 2)) / std::sqrt(double(D))).masked_fill(causal, -INFINITY);
    const at::Tensor context = at::matmul(at::softmax(scores, -1), v).transpose(0, 1).reshape({T, o.hidden_size});
    x = x + at::matmul(context, d(layer.o_proj).t());
    const at::Tensor g = norm(x, layer.post_attention_layernorm);
    const at::Tensor gate = at::matmul(g, d(layer.gate_proj).t());
    x = x + at::matmul(gate * at::sigmoid(gate) * at::matmul(g, d(layer.up_proj).t()), d(layer.down_proj).t());
  }
  return norm(x, w.norm).unsqueeze(0).to(at::kFloat);
}

using lisa::testing::expect_close;

class LlamaWithCache : public ::testing::TestWithParam<int64_t /* kv heads */> {
 protected:
  LlamaOptions options = testing::random_llama_options(GetParam());
  LlamaWeights weights = testing::random_llama_weights(options, 7);
  LlamaModel model{options, weights};
  at::Tensor embeds = at::randn({1, 9, options.hidden_size});
};

TEST_P(LlamaWithCache, FullForwardMatchesNaiveDecoder) {
  KvCache cache = model.make_cache(16);
  expect_close(model.forward(embeds, cache), naive_forward(options, weights, embeds));
  EXPECT_EQ(cache.length(), 9);
}

TEST_P(LlamaWithCache, StepByStepEqualsFullForward) {
  KvCache full_cache = model.make_cache(16), step_cache = model.make_cache(16);
  const at::Tensor full = model.forward(embeds, full_cache);
  std::vector<at::Tensor> steps;
  for (int64_t t = 0; t < 9; ++t) steps.push_back(model.forward(embeds.slice(1, t, t + 1), step_cache));
  expect_close(at::cat(steps, 1), full);
  expect_close(step_cache.keys(1, 9), full_cache.keys(1, 9));
  expect_close(step_cache.values(0, 9), full_cache.values(0, 9));
}

// A block after a cached prefix needs the offset causal mask (not SDPA's top-left one).
TEST_P(LlamaWithCache, ChunkAfterPrefixEqualsFullForward) {
  KvCache full_cache = model.make_cache(16), chunk_cache = model.make_cache(16);
  const at::Tensor full = model.forward(embeds, full_cache);
  const at::Tensor first = model.forward(embeds.slice(1, 0, 4), chunk_cache);
  const at::Tensor second = model.forward(embeds.slice(1, 4), chunk_cache);
  expect_close(at::cat({first, second}, 1), full);
}

// Reusing a prefix: after truncating, new positions overwrite the old ones as if never written.
TEST_P(LlamaWithCache, TruncateThenContinueEqualsFreshRun) {
  const at::Tensor other = at::randn({1, 3, options.hidden_size});
  KvCache cache = model.make_cache(16);
  model.forward(embeds, cache);
  cache.truncate(5);
  EXPECT_EQ(cache.length(), 5);
  const at::Tensor continued = model.forward(other, cache);

  KvCache fresh = model.make_cache(16);
  const at::Tensor expected = model.forward(at::cat({embeds.slice(1, 0, 5), other}, 1), fresh).slice(1, 5);
  expect_close(continued, expected);
  EXPECT_EQ(cache.length(), 8);
}

INSTANTIATE_TEST_SUITE_P(HeadsAndGroupedKeyValues, LlamaWithCache, ::testing::Values(4, 2));

TEST(LlamaKvCache, TruncateBeyondLengthIsAnError) {
  KvCache cache(1, 1, 8, 4, at::kCPU, at::kFloat);
  cache.advance(3);
  EXPECT_NO_THROW(cache.truncate(3));
  EXPECT_THROW(cache.truncate(4), InternalError);
  EXPECT_THROW(cache.truncate(-1), InternalError);
}

TEST(LlamaKvCache, OverflowIsAnErrorAndLeavesTheCacheUsable) {
  const LlamaOptions options = testing::random_llama_options();
  const LlamaModel model(options, testing::random_llama_weights(options, 3));
  KvCache cache = model.make_cache(6);
  model.forward(at::randn({1, 4, options.hidden_size}), cache);
  // Generation checks the room first; the model's own check is an internal one.
  EXPECT_THROW(model.forward(at::randn({1, 3, options.hidden_size}), cache), InternalError);
  EXPECT_EQ(cache.length(), 4);
  EXPECT_NO_THROW(model.forward(at::randn({1, 2, options.hidden_size}), cache));
}

TEST(LlamaKvCache, CapacityBeyondMaxPositionsIsAnError) {
  const LlamaOptions options = testing::random_llama_options();
  const LlamaModel model(options, testing::random_llama_weights(options, 3));
  EXPECT_NO_THROW(model.make_cache(options.max_position_embeddings));
  EXPECT_THROW(model.make_cache(options.max_position_embeddings + 1), Error);
}

// Half precision end to end: nothing silently promotes to fp32 (a bf16 x fp32 product would), and the
// result stays within bf16 noise of the fp32 model.
TEST(LlamaPrecision, Bf16ForwardStaysBf16AndNearFp32) {
  const LlamaOptions options = testing::random_llama_options(2);
  const LlamaWeights weights = testing::random_llama_weights(options, 5);
  LlamaWeights half = weights;
  auto to_bf16 = [](at::Tensor& t) { t = t.to(at::kBFloat16); };
  to_bf16(half.embed_tokens);
  to_bf16(half.norm);
  to_bf16(half.lm_head);
  for (auto& layer : half.layers)
    for (at::Tensor* t : {&layer.input_layernorm, &layer.q_proj, &layer.k_proj, &layer.v_proj, &layer.o_proj,
                          &layer.post_attention_layernorm, &layer.gate_proj, &layer.up_proj, &layer.down_proj})
      to_bf16(*t);
  const LlamaModel fp32_model(options, weights), bf16_model(options, half);
  const at::Tensor embeds = at::randn({1, 6, options.hidden_size});

  KvCache fp32_cache = fp32_model.make_cache(8), bf16_cache = bf16_model.make_cache(8);
  const at::Tensor expected = fp32_model.forward(embeds, fp32_cache);
  const at::Tensor prefix = bf16_model.forward(embeds.slice(1, 0, 5), bf16_cache);
  const at::Tensor step = bf16_model.forward(embeds.slice(1, 5), bf16_cache);
  EXPECT_EQ(prefix.scalar_type(), at::kBFloat16);
  EXPECT_EQ(step.scalar_type(), at::kBFloat16);
  EXPECT_EQ(bf16_model.logits(step).scalar_type(), at::kBFloat16);
  const at::Tensor actual = at::cat({prefix, step}, 1).to(at::kFloat);
  EXPECT_LE((actual - expected).abs().max().item<double>(), 0.05 * expected.abs().max().item<double>());
}

TEST(LlamaOptions, InconsistentHeadsAreAnError) {
  LlamaOptions options = testing::random_llama_options();
  options.num_kv_heads = 3;
  EXPECT_THROW(options.validate(), Error);
  options = testing::random_llama_options();
  options.num_heads = 5;
  EXPECT_THROW(options.validate(), Error);
}

}  // namespace
}  // namespace lisa::models
