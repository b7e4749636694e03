#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "lisa/models/sam/relative_position.h"

namespace lisa::models::sam {
namespace {

// [q, k, 1] table -> its values row by row.
std::vector<float> values(const at::Tensor& table) {
  const auto flat = table.contiguous().flatten();
  return std::vector<float>(flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel());
}

TEST(SamRelativePosition, IndexesByQueryKeyOffset) {
  const auto rel_pos = at::arange(5, at::kFloat).unsqueeze(1) * 10;  // offsets -2..2 -> rows 0..4
  const auto table = relative_position_table(3, 3, rel_pos);
  ASSERT_EQ(table.sizes(), at::IntArrayRef({3, 3, 1}));
  // row i - j + 2
  EXPECT_EQ(values(table), (std::vector<float>{20, 10, 0, 30, 20, 10, 40, 30, 20}));
}

TEST(SamRelativePosition, ResizesATableOfTheWrongLength) {
  // 3 rows for 5 offsets: linear, align_corners=false, source x = (i + 0.5) * 3 / 5 - 0.5 clamped
  // to [0, 2] -> 0, 0.4, 1.0, 1.6, 2 (as F.interpolate(mode="linear") gives).
  const auto rel_pos = at::arange(3, at::kFloat).unsqueeze(1);
  const auto table = relative_position_table(3, 3, rel_pos);
  const std::vector<float> expected{1.0f, 0.4f, 0.0f, 1.6f, 1.0f, 0.4f, 2.0f, 1.6f, 1.0f};
  const auto actual = values(table);
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(actual[i], expected[i], 1e-6) << i;
}

TEST(SamRelativePosition, StretchesTheShorterAxis) {
  // q 2, k 4: query coordinates are stretched by 2, offsets q * 2 - k + 3 index 7 rows.
  const auto rel_pos = at::arange(7, at::kFloat).unsqueeze(1);
  EXPECT_EQ(values(relative_position_table(2, 4, rel_pos)), (std::vector<float>{3, 2, 1, 0, 5, 4, 3, 2}));
}

TEST(SamRelativePosition, DecomposedTermsMatchTheirDefinition) {
  const int64_t b = 2, qh = 2, qw = 3, c = 4;
  const auto q = at::randn({b, qh * qw, c}, at::kDouble);
  const auto rel_h = at::randn({2 * qh - 1, c}, at::kDouble);
  const auto rel_w = at::randn({2 * qw - 1, c}, at::kDouble);
  const auto terms = decomposed_relative_terms(q, rel_h, rel_w, qh, qw, qh, qw);
  ASSERT_EQ(terms.along_h.sizes(), at::IntArrayRef({b, qh * qw, qh}));
  ASSERT_EQ(terms.along_w.sizes(), at::IntArrayRef({b, qh * qw, qw}));
  for (int64_t n = 0; n < b; ++n)
    for (int64_t i = 0; i < qh; ++i)
      for (int64_t j = 0; j < qw; ++j) {
        const auto query = q[n][i * qw + j];
        for (int64_t k = 0; k < qh; ++k)
          EXPECT_NEAR(terms.along_h[n][i * qw + j][k].item<double>(),
                      (query * rel_h[i - k + qh - 1]).sum().item<double>(), 1e-12);
        for (int64_t l = 0; l < qw; ++l)
          EXPECT_NEAR(terms.along_w[n][i * qw + j][l].item<double>(),
                      (query * rel_w[j - l + qw - 1]).sum().item<double>(), 1e-12);
      }
}

// SAM's Attention.forward with add_decomposed_rel_pos, operation for operation, on whole tensors.
at::Tensor sams_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& rel_h,
                          const at::Tensor& rel_w, int64_t h, int64_t w) {
  const int64_t pairs = q.size(0) * q.size(1), tokens = q.size(2), d = q.size(3);
  const auto flat = [&](const at::Tensor& t) { return t.reshape({pairs, tokens, d}); };
  const auto logits = at::matmul(flat(q) * (1.0 / std::sqrt(double(d))), flat(k).transpose(-1, -2));
  const auto terms = decomposed_relative_terms(flat(q), rel_h, rel_w, h, w, h, w);
  const auto biased =
      (logits.view({pairs, tokens, h, w}) + terms.along_h.unsqueeze(3) + terms.along_w.unsqueeze(2)).view(logits.sizes());
  return at::matmul(at::softmax(biased, -1), flat(v)).view(q.sizes());
}

// Blocks of one head and 64 or 128 queries over the threads (the CPU's blocks for fp32 and bf16 global
// layers at 1 MiB of logits) give the bits of SAM's unblocked operations, on a small case and on one
// head of a global layer (64 x 64 tokens of 64 channels, as every SAM checkpoint has at 1024 pixels);
// so does relative_position_attention in bf16, and in fp32 (SDPA) it is within fp32 rounding of them.
TEST(SamRelativePosition, AttentionHasTheBitsOfSamsOperations) {
  struct Shape {
    int64_t b, heads, h, w, d;
  };
  for (const auto& [b, heads, h, w, d] : {Shape{2, 5, 6, 7, 16}, Shape{1, 1, 64, 64, 64}})
    for (const auto dtype : {at::kFloat, at::kBFloat16}) {
      SCOPED_TRACE(::testing::Message() << c10::toString(dtype) << " " << h << "x" << w);
      const int64_t tokens = h * w;
      const auto q = at::randn({b, heads, tokens, d}).to(dtype), k = at::randn({b, heads, tokens, d}).to(dtype),
                 v = at::randn({b, heads, tokens, d}).to(dtype);
      const auto rel_h = at::randn({2 * h - 1, d}).to(dtype), rel_w = at::randn({2 * w - 1, d}).to(dtype);
      const auto sams = sams_attention(q, k, v, rel_h, rel_w, h, w);
      for (const int64_t queries : {64, 128})
        EXPECT_TRUE(at::equal(relative_position_attention_in_blocks(q, k, v, rel_h, rel_w, h, w, 1, queries, true), sams))
            << queries << " queries per block";
      const auto engine = relative_position_attention(q, k, v, rel_h, rel_w, h, w);
      if (dtype == at::kFloat) {
        EXPECT_LT((engine - sams).abs().max().item<double>(), 1e-5);
      } else {
        EXPECT_TRUE(at::equal(engine, sams));
      }
    }
}

// Any blocking, serial or over threads, is SAM's attention up to the GEMM's rounding (MKL rounds
// blocks of 1 to a few rows differently); SDPA with the bias made for 1 or 2 heads at a time is SDPA
// with the whole bias up to the same rounding; and both are softmax(q k^T / sqrt(d) + bias) v.
TEST(SamRelativePosition, AttentionInAnyBlocksOrWithTheBiasIsSamsAttention) {
  const int64_t b = 2, heads = 5, h = 6, w = 7, d = 16, tokens = h * w;
  for (const auto dtype : {at::kFloat, at::kBFloat16}) {
    SCOPED_TRACE(c10::toString(dtype));
    const double rounding = dtype == at::kFloat ? 1e-5 : 2e-2;  // a few units of the last place at O(1)
    const auto q = at::randn({b, heads, tokens, d}).to(dtype), k = at::randn({b, heads, tokens, d}).to(dtype),
               v = at::randn({b, heads, tokens, d}).to(dtype);
    const auto rel_h = at::randn({2 * h - 1, d}).to(dtype), rel_w = at::randn({2 * w - 1, d}).to(dtype);
    const auto sams = sams_attention(q, k, v, rel_h, rel_w, h, w);
    struct Blocking {
      int64_t heads, queries;
      bool parallel;
    };
    for (const auto& [head_step, query_step, parallel] :
         {Blocking{1, 1, false}, Blocking{3, 5, true}, Blocking{1, 16, true}, Blocking{b * heads, tokens, false}}) {
      const auto blocked =
          relative_position_attention_in_blocks(q, k, v, rel_h, rel_w, h, w, head_step, query_step, parallel);
      ASSERT_EQ(blocked.sizes(), sams.sizes());
      EXPECT_LT((blocked.to(at::kDouble) - sams.to(at::kDouble)).abs().max().item<double>(), rounding)
          << head_step << " heads x " << query_step << " queries, parallel " << parallel;
    }
    // SDPA's roundings differ from SAM's; its chunks of heads only by the products' blocking.
    const auto one_head = b * tokens * tokens * static_cast<int64_t>(q.element_size());
    const auto with_whole_bias = relative_position_attention_with_bias(q, k, v, rel_h, rel_w, h, w, heads * one_head);
    for (const int64_t budget : {int64_t{0}, one_head, 2 * one_head + 1}) {  // 1, 1 and 2 heads per bias
      const auto with_bias = relative_position_attention_with_bias(q, k, v, rel_h, rel_w, h, w, budget);
      ASSERT_EQ(with_bias.sizes(), sams.sizes());
      EXPECT_LT((with_bias.to(at::kDouble) - with_whole_bias.to(at::kDouble)).abs().max().item<double>(), rounding)
          << budget;
    }
    const auto terms = decomposed_relative_terms(q.reshape({b * heads, tokens, d}).to(at::kDouble),
                                                 rel_h.to(at::kDouble), rel_w.to(at::kDouble), h, w, h, w);
    const auto bias = (terms.along_h.unsqueeze(3) + terms.along_w.unsqueeze(2)).view({b, heads, tokens, tokens});
    const auto logits = at::matmul(q.to(at::kDouble), k.to(at::kDouble).transpose(-1, -2)) / std::sqrt(double(d)) + bias;
    const auto expected = at::matmul(at::softmax(logits, -1), v.to(at::kDouble));
    EXPECT_LT((sams.to(at::kDouble) - expected).abs().max().item<double>(), 5 * rounding);
    EXPECT_LT((with_whole_bias.to(at::kDouble) - expected).abs().max().item<double>(), 5 * rounding);
  }
}

}  // namespace
}  // namespace lisa::models::sam
