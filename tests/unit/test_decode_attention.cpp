// The attention kernel of decoding steps (decode_attention.h), fp32 and bf16: agrees with an fp64
// softmax(q k^T / sqrt(D)) v on KV-cache views, grouped-query heads included; gives each sequence of a
// batch the bits of its call alone (what keeps batched decoding equal to unbatched) whatever the
// threads; applies only where it should; and the LLaMA decoding step through it agrees with SDPA.
#include <gtest/gtest.h>

#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>

#include <cmath>
#include <string>
#include <vector>

#include "lisa/models/decode_attention.h"
#include "lisa/models/kv_cache.h"
#include "support/cpu_features.h"
#include "support/random_llama.h"
#include "support/scoped_switch.h"

namespace lisa::models {
namespace {

struct AttentionSwitch : testing::ScopedSwitch {
  explicit AttentionSwitch(bool on) : ScopedSwitch(decode_attention_enabled, set_decode_attention_enabled, on) {}
};

// Keys and values of `span` positions in a cache of larger capacity, as KvCache hands them out:
// views [1, kv_heads, span, D] whose heads lie `capacity` rows apart.
struct CacheViews {
  at::Tensor keys, values;
};
CacheViews random_cache_views(int64_t kv_heads, int64_t span, int64_t D, at::ScalarType dtype) {
  KvCache cache(1, kv_heads, span + 5, D, at::kCPU, dtype);
  cache.write(0, at::randn({1, kv_heads, span, D}).to(dtype), at::randn({1, kv_heads, span, D}).to(dtype));
  return {cache.keys(0, span), cache.values(0, span)};
}

// softmax(q k^T / sqrt(D)) v in fp64, head h reading kv head h / (heads / kv_heads).
at::Tensor exact_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
  const int64_t group = q.size(1) / k.size(1);
  const at::Tensor kk = k.to(at::kDouble).repeat_interleave(group, 1), vv = v.to(at::kDouble).repeat_interleave(group, 1);
  const at::Tensor scores = at::matmul(q.to(at::kDouble), kk.transpose(-1, -2)) / std::sqrt(static_cast<double>(q.size(3)));
  return at::matmul(at::softmax(scores, -1), vv);
}

// The largest |y - exact|, in units of what fp32 arithmetic allows (2^-24 relative per rounding,
// over about span + D roundings of terms bounded by max |v|), plus the final bf16 rounding (2^-8 of
// the value) for bf16. A wrong head, scale or span is off by orders of magnitude more.
double attention_error_in_bounds(const at::Tensor& y, const at::Tensor& exact, const at::Tensor& v, int64_t span) {
  const double largest_value = v.to(at::kDouble).abs().max().item<double>();
  at::Tensor bound = at::full_like(exact, 8.0 * static_cast<double>(span + v.size(3)) * std::ldexp(1.0, -24) * largest_value);
  if (y.scalar_type() == at::kBFloat16) bound = bound + exact.abs() * std::ldexp(1.0, -8);
  return ((y.to(at::kDouble) - exact).abs() / bound).max().item<double>();
}

TEST(DecodeAttention, AvailableExactlyWhereTheCpuHasAvx2AndFma) {
  EXPECT_EQ(decode_attention_available(), testing::cpu_has_avx2_and_fma());
  const AttentionSwitch off(false);
  EXPECT_FALSE(decode_attention_available());
}

TEST(DecodeAttention, AgreesWithTheExactAttentionWithinItsRoundingBound) {
  if (!testing::cpu_has_avx2_and_fma()) GTEST_SKIP() << "no AVX2 + FMA on this CPU: SDPA runs everywhere";
  at::manual_seed(21);
  // Head widths with and without an 8-lane tail and a 64-wide chunk tail; spans below, at and above
  // the 4-key block; plain and grouped-query heads.
  for (at::ScalarType dtype : {at::kFloat, at::kBFloat16})
    for (int64_t D : {2, 6, 8, 64, 72, 128})
      for (int64_t span : {1, 3, 4, 5, 130})
        for (auto [heads, kv_heads] : {std::pair<int64_t, int64_t>{4, 4}, {4, 2}, {3, 1}}) {
          SCOPED_TRACE(std::string(c10::toString(dtype)) + " D " + std::to_string(D) + " span " + std::to_string(span) +
                       " heads " + std::to_string(heads) + "/" + std::to_string(kv_heads));
          const CacheViews cache = random_cache_views(kv_heads, span, D, dtype);
          const at::Tensor q = at::randn({1, heads, 1, D}).to(dtype);
          const at::Tensor y = decode_attention(q, {cache.keys}, {cache.values});
          ASSERT_EQ(y.sizes(), q.sizes());
          ASSERT_EQ(y.scalar_type(), dtype);
          EXPECT_LE(attention_error_in_bounds(y, exact_attention(q, cache.keys, cache.values), cache.values, span), 1.0);
        }
}

// Sequences of different lengths in one call: each gets the bits of its call alone, on 1 or 2
// threads (each (sequence, head) is one thread's work).
TEST(DecodeAttention, EachSequenceHasTheBitsOfItsCallAloneOnAnyThreads) {
  if (!testing::cpu_has_avx2_and_fma()) GTEST_SKIP() << "no AVX2 + FMA on this CPU: SDPA runs everywhere";
  at::manual_seed(22);
  const int before = at::get_num_threads();
  for (at::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
    std::vector<at::Tensor> keys, values;
    for (int64_t span : {7, 1, 130, 64, 33, 2, 300, 5}) {
      const CacheViews cache = random_cache_views(2, span, 64, dtype);
      keys.push_back(cache.keys);
      values.push_back(cache.values);
    }
    const at::Tensor q = at::randn({8, 4, 1, 64}).to(dtype);
    at::set_num_threads(1);
    const at::Tensor one_thread = decode_attention(q, keys, values);
    at::set_num_threads(2);
    const at::Tensor batch = decode_attention(q, keys, values);
    EXPECT_TRUE(at::equal(one_thread, batch)) << c10::toString(dtype);
    for (int64_t b = 0; b < 8; ++b)
      EXPECT_TRUE(at::equal(decode_attention(q.narrow(0, b, 1), {keys[b]}, {values[b]}), batch.narrow(0, b, 1)))
          << c10::toString(dtype) << " sequence " << b;
  }
  at::set_num_threads(before);
}

// With the step's own keys and values given, they land in the last position of each sequence's view
// (into the cache storage, every kv head) and the result is that of writing them first.
TEST(DecodeAttention, AppendsTheNewPositionsBeforeAttending) {
  if (!testing::cpu_has_avx2_and_fma()) GTEST_SKIP() << "no AVX2 + FMA on this CPU: SDPA runs everywhere";
  at::manual_seed(23);
  for (at::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
    std::vector<at::Tensor> keys, values;
    for (int64_t span : {4, 1, 9}) {
      const CacheViews cache = random_cache_views(2, span, 16, dtype);
      keys.push_back(cache.keys);
      values.push_back(cache.values);
    }
    // Strided like the engine's: slices of one [B, heads + 2 kv, 1, D] tensor.
    const at::Tensor qkv = at::randn({3, 8, 1, 16}).to(dtype);
    const NewPositions append{qkv.slice(1, 4, 6), qkv.slice(1, 6, 8)};
    const at::Tensor appended = decode_attention(qkv.slice(1, 0, 4), keys, values, append);
    for (int64_t b = 0; b < 3; ++b) {
      const int64_t last = keys[b].size(2) - 1;
      EXPECT_TRUE(at::equal(keys[b].narrow(2, last, 1), append.keys.narrow(0, b, 1))) << "sequence " << b;
      EXPECT_TRUE(at::equal(values[b].narrow(2, last, 1), append.values.narrow(0, b, 1))) << "sequence " << b;
    }
    EXPECT_TRUE(at::equal(appended, decode_attention(qkv.slice(1, 0, 4), keys, values))) << c10::toString(dtype);
    EXPECT_FALSE(decode_attention_applies(qkv.slice(1, 0, 4), keys, values, NewPositions{append.keys, at::Tensor()}));
    EXPECT_FALSE(decode_attention_applies(qkv.slice(1, 0, 4), keys, values,
                                          NewPositions{append.keys.narrow(0, 0, 2), append.values.narrow(0, 0, 2)}));
  }
}

TEST(DecodeAttention, AppliesOnlyToOneQueryEachOverCacheViewsOnTheCpu) {
  if (!testing::cpu_has_avx2_and_fma()) GTEST_SKIP() << "no AVX2 + FMA on this CPU: SDPA runs everywhere";
  const CacheViews cache = random_cache_views(2, 9, 16, at::kFloat);
  const at::Tensor q = at::randn({1, 4, 1, 16});
  EXPECT_TRUE(decode_attention_applies(q, {cache.keys}, {cache.values}));
  EXPECT_FALSE(decode_attention_applies(at::randn({1, 4, 2, 16}), {cache.keys}, {cache.values}));  // two queries
  EXPECT_FALSE(decode_attention_applies(at::randn({2, 4, 1, 16}), {cache.keys}, {cache.values}));  // a cache short
  EXPECT_FALSE(decode_attention_applies(at::randn({1, 3, 1, 16}), {cache.keys}, {cache.values}));  // 3 heads on 2
  EXPECT_FALSE(decode_attention_applies(q, {cache.keys.narrow(2, 0, 0)}, {cache.values.narrow(2, 0, 0)}));
  EXPECT_FALSE(decode_attention_applies(q, {cache.keys}, {cache.values.narrow(2, 0, 8)}));  // spans differ
  EXPECT_FALSE(decode_attention_applies(q, {cache.keys.transpose(2, 3).contiguous().transpose(2, 3)}, {cache.values}));
  EXPECT_FALSE(decode_attention_applies(q.to(at::kBFloat16), {cache.keys}, {cache.values}));  // mixed dtypes
  const CacheViews half = random_cache_views(2, 9, 16, at::kHalf);
  EXPECT_FALSE(decode_attention_applies(q.to(at::kHalf), {half.keys}, {half.values}));
  {
    const c10::AutoGradMode grad(true);
    EXPECT_FALSE(decode_attention_applies(q.clone().requires_grad_(), {cache.keys}, {cache.values}));
  }
  const AttentionSwitch off(false);
  EXPECT_FALSE(decode_attention_applies(q, {cache.keys}, {cache.values}));
}

// A whole LLaMA decoding step through the kernel against the same step through SDPA (the kernel
// switched off): the same hidden states up to fp32 summation order, grouped-query heads included.
TEST(DecodeAttention, LlamaDecodingStepAgreesWithSdpa) {
  if (!testing::cpu_has_avx2_and_fma()) GTEST_SKIP() << "no AVX2 + FMA on this CPU: SDPA runs everywhere";
  for (int64_t kv_heads : {4, 2}) {
    const LlamaOptions options = testing::random_llama_options(kv_heads);
    const LlamaModel model{options, testing::random_llama_weights(options, 24)};
    const at::Tensor prompt = at::randint(0, options.vocab_size, {1, 11});
    auto steps = [&](bool kernel) {
      const AttentionSwitch use(kernel);
      KvCache cache = model.make_cache(32);
      model.forward(model.embed(prompt), cache);
      std::vector<at::Tensor> hidden;
      for (int64_t token : {3, 17, 5}) hidden.push_back(model.forward(model.embed(at::full({1, 1}, token)), cache));
      return at::cat(hidden, 1);
    };
    const at::Tensor through_kernel = steps(true), through_sdpa = steps(false);
    testing::expect_close(through_kernel, through_sdpa);
    EXPECT_FALSE(at::equal(through_kernel, through_sdpa)) << "the kernel did not run: both went through SDPA";
  }
}

}  // namespace
}  // namespace lisa::models
