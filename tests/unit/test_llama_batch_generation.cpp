// Batched greedy decoding (models/batch_generation.h) against generate_greedy run on each prompt
// alone: the same ids, the same [SEG] states (exactly the same prefill), sequences of different
// lengths stopping at their own EOS or token limit.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "lisa/error.h"
#include "lisa/models/batch_generation.h"
#include "lisa/models/few_rows_linear.h"
#include "lisa/models/generation.h"
#include "support/random_llama.h"

namespace lisa::models {
namespace {

class LlamaBatchGeneration : public ::testing::Test {
 protected:
  LlamaOptions options = testing::random_llama_options(2);
  LlamaModel model{options, testing::random_llama_weights(options, 23)};
  at::Tensor image = at::randn({3, options.hidden_size}, at::make_generator<at::CPUGeneratorImpl>(24));

  // Ragged prompts: with and without the image, 2 to 9 rows.
  std::vector<MultimodalSequence> prompts() const {
    return {splice_image(model, {1, 5, kImagePlaceholderId, 7, 8}, image), splice_image(model, {3, 9}, {}),
            splice_image(model, {1, kImagePlaceholderId, 4, 4, 6, 11, 2, 30}, image),
            splice_image(model, {2, 17, 21}, {})};
  }
  GreedyResult alone(const MultimodalSequence& prompt, GreedyOptions o, int64_t max_new_tokens) const {
    o.max_new_tokens = max_new_tokens;
    KvCache cache = model.make_cache(40);
    return generate_greedy(model, cache, prompt, o);
  }
};

using lisa::testing::expect_close;

TEST_F(LlamaBatchGeneration, OneRowStepIsBitIdenticalToForward) {
  KvCache a = model.make_cache(8), b = model.make_cache(8);
  const auto prompt = prompts()[0];
  model.forward(prompt.embeds, a);
  model.forward(prompt.embeds, b);
  const at::Tensor token = at::tensor({6}, at::kLong);
  const at::Tensor expected = model.forward(model.embed(token).unsqueeze(0), a)[0][0];
  const at::Tensor batched = model.step_batch(token, {&b});
  EXPECT_TRUE(at::equal(batched[0], expected));
  EXPECT_EQ(b.length(), a.length());
  EXPECT_TRUE(at::equal(b.keys(1, b.length()), a.keys(1, a.length())));
}

// With the few-rows product (models/few_rows_linear.h) a batched step is B single steps, bit for bit:
// the linear layers compute each row as for one row, and everything else is per row already.
TEST_F(LlamaBatchGeneration, RowsOfABatchedStepHaveTheBitsOfSingleSteps) {
  if (!few_rows_linear_applies(at::ones({1, options.hidden_size}), at::ones({1, options.hidden_size})))
    GTEST_SKIP() << "the few-rows kernel does not run on this CPU; at::linear's GEMM rounds B rows differently";
  const auto p = prompts();
  std::vector<KvCache> single, batched;
  for (const auto& prompt : p) {
    single.push_back(model.make_cache(16));
    batched.push_back(model.make_cache(16));
    model.forward(prompt.embeds, single.back());
    model.forward(prompt.embeds, batched.back());
  }
  const at::Tensor tokens = at::tensor({6, 9, 4, 30}, at::kLong);
  std::vector<KvCache*> caches;
  for (KvCache& cache : batched) caches.push_back(&cache);
  const at::Tensor rows = model.step_batch(tokens, caches);
  for (size_t i = 0; i < p.size(); ++i) {
    SCOPED_TRACE(i);
    const auto b = static_cast<int64_t>(i);
    EXPECT_TRUE(at::equal(rows[b], model.step_batch(tokens.slice(0, b, b + 1), {&single[i]})[0]));
    EXPECT_TRUE(at::equal(batched[i].keys(1, batched[i].length()), single[i].keys(1, single[i].length())));
  }
}

TEST_F(LlamaBatchGeneration, RaggedSequencesStopAtTheirOwnEosOrLimit) {
  const auto p = prompts();
  GreedyOptions o;
  const GreedyResult free_run = alone(p[0], o, 16);
  o.seg_token_id = free_run.tokens[1];
  o.eos_token_ids = {free_run.tokens[5]};
  const std::vector<int64_t> limits{16, 5, 16, 9};

  std::vector<GreedyResult> expected;
  std::set<size_t> lengths;
  for (size_t i = 0; i < p.size(); ++i) {
    expected.push_back(alone(p[i], o, limits[i]));
    lengths.insert(expected.back().tokens.size());
  }
  ASSERT_GE(lengths.size(), 3u) << "the sequences must stop at different steps; pick other seeds";
  ASSERT_LE(expected[0].tokens.size(), 6u);  // sequence 0 stops at its EOS
  ASSERT_GE(expected[0].seg_hidden.size(0), 1);

  std::vector<KvCache> caches;
  for (size_t i = 0; i < p.size(); ++i) caches.push_back(model.make_cache(40));
  std::vector<BatchSequence> sequences;
  for (size_t i = 0; i < p.size(); ++i) sequences.push_back({&p[i], &caches[i], limits[i], true});
  BatchGreedyOptions batch;
  batch.eos_token_ids = o.eos_token_ids;
  batch.seg_token_id = o.seg_token_id;
  std::vector<std::vector<int64_t>> streamed(p.size());
  std::vector<size_t> step_sizes;
  batch.on_token = [&](size_t item, int64_t token) { streamed[item].push_back(token); };
  batch.on_step = [&](const std::vector<size_t>& items) { step_sizes.push_back(items.size()); };
  const auto results = generate_greedy_batch(model, sequences, batch);

  ASSERT_EQ(results.size(), p.size());
  for (size_t i = 0; i < p.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(results[i].tokens, expected[i].tokens);
    EXPECT_EQ(streamed[i], expected[i].tokens);
    EXPECT_TRUE(at::equal(results[i].prefill_logits, expected[i].prefill_logits));  // the prefill is batch 1
    expect_close(results[i].seg_hidden, expected[i].seg_hidden, 1e-5);
    EXPECT_EQ(caches[i].length(), p[i].embeds.size(1) + static_cast<int64_t>(expected[i].tokens.size()) - 1);
  }
  // Finished sequences left the batch: the steps shrink from 4 rows to 1.
  EXPECT_EQ(step_sizes.front(), 4u);
  EXPECT_EQ(step_sizes.back(), 1u);
  EXPECT_TRUE(std::is_sorted(step_sizes.rbegin(), step_sizes.rend()));
}

TEST_F(LlamaBatchGeneration, RejectsACacheWithoutRoomBeforeAnyWork) {
  const auto p = prompts();
  KvCache roomy = model.make_cache(40), small = model.make_cache(6);
  BatchGreedyOptions batch;
  EXPECT_THROW(generate_greedy_batch(model, {{&p[0], &roomy, 8, true}, {&p[1], &small, 8, true}}, batch), Error);
  EXPECT_EQ(roomy.length(), 0);
  EXPECT_THROW(model.step_batch(at::tensor({1, 2}, at::kLong), {&roomy, &roomy}), Error);
}

}  // namespace
}  // namespace lisa::models
