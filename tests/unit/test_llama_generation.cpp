#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "lisa/error.h"
#include "lisa/models/generation.h"
#include "lisa/models/multimodal.h"
#include "support/random_llama.h"

namespace lisa::models {
namespace {

class LlamaGeneration : public ::testing::Test {
 protected:
  LlamaOptions options = testing::random_llama_options();
  LlamaModel model{options, testing::random_llama_weights(options, 11)};
  at::Tensor image = at::randn({3, options.hidden_size}, at::make_generator<at::CPUGeneratorImpl>(12));  // 3 "projected CLIP" rows

  MultimodalSequence prompt(std::vector<int64_t> ids) const { return splice_image(model, std::move(ids), image); }

  // What LISA's evaluate() does: no cache, the whole sequence re-run for every new token; then the
  // [SEG] rows picked from the last run's hidden states with the mask ids[1:] == SEG shifted by the
  // image width.
  struct Reference {
    std::vector<int64_t> tokens;
    at::Tensor prefill_logits, seg_hidden;
  };
  Reference reference_generate(const MultimodalSequence& sequence, const GreedyOptions& o) const {
    Reference out;
    at::Tensor embeds = sequence.embeds, hidden;
    while (true) {
      KvCache cache = model.make_cache(embeds.size(1));
      hidden = model.forward(embeds, cache);
      const at::Tensor logits = model.logits(hidden[0][-1]);
      if (!out.prefill_logits.defined()) out.prefill_logits = logits;
      const int64_t token = logits.argmax().item<int64_t>();
      out.tokens.push_back(token);
      const bool eos = std::count(o.eos_token_ids.begin(), o.eos_token_ids.end(), token) > 0;
      if (eos || static_cast<int64_t>(out.tokens.size()) == o.max_new_tokens) break;
      embeds = at::cat({embeds, model.embed(at::tensor({token}, at::kLong)).unsqueeze(0)}, 1);
    }
    std::vector<int64_t> all = sequence.ids;
    all.insert(all.end(), out.tokens.begin(), out.tokens.end());
    std::vector<at::Tensor> rows;
    for (size_t k = 1; k < all.size(); ++k)
      if (all[k] == o.seg_token_id) rows.push_back(hidden[0][static_cast<int64_t>(k) + sequence.image_rows - 2]);
    out.seg_hidden = rows.empty() ? at::empty({0, options.hidden_size}) : at::stack(rows);
    return out;
  }
};

using lisa::testing::expect_close;

TEST_F(LlamaGeneration, SpliceReplacesThePlaceholderByTheImageRows) {
  const MultimodalSequence s = prompt({1, 5, kImagePlaceholderId, 7, 8});
  ASSERT_EQ(s.embeds.sizes(), (std::vector<int64_t>{1, 7, options.hidden_size}));
  EXPECT_TRUE(at::equal(s.embeds[0].slice(0, 0, 2), model.embed(at::tensor({1, 5}, at::kLong))));
  EXPECT_TRUE(at::equal(s.embeds[0].slice(0, 2, 5), image));
  EXPECT_TRUE(at::equal(s.embeds[0].slice(0, 5), model.embed(at::tensor({7, 8}, at::kLong))));
  EXPECT_EQ(s.image_rows, 3);
  EXPECT_EQ(s.predicting_row(3), 4);  // id 7 sits in row 5
  EXPECT_EQ(s.predicting_row(4), 5);
}

TEST_F(LlamaGeneration, SpliceRejectsBadIds) {
  EXPECT_THROW(prompt({1, kImagePlaceholderId, 3, kImagePlaceholderId}), Error);
  EXPECT_THROW(prompt({1, 40, kImagePlaceholderId}), Error);  // V = 40
  EXPECT_THROW(prompt({1, -1, kImagePlaceholderId}), Error);
  EXPECT_THROW(prompt({1, 2}), Error);                                           // image but no placeholder
  EXPECT_THROW(splice_image(model, {1, kImagePlaceholderId}, at::Tensor()), Error);  // placeholder, no image
  EXPECT_THROW(splice_image(model, {1, kImagePlaceholderId}, at::randn({3, 5})), Error);
  EXPECT_THROW(splice_image(model, {}, at::Tensor()), Error);
  EXPECT_EQ(splice_image(model, {1, 2}, at::Tensor()).predicting_row(1), 0);
}

TEST_F(LlamaGeneration, CachedGreedyMatchesFullRecomputation) {
  const MultimodalSequence p = prompt({1, 5, kImagePlaceholderId, 7, 8});
  GreedyOptions o;
  o.max_new_tokens = 12;
  const Reference free_run = reference_generate(p, o);
  ASSERT_GE(std::set<int64_t>(free_run.tokens.begin(), free_run.tokens.end()).size(), 3u) << "pick another seed";

  // [SEG] := the third generated token, EOS := the first later token not generated before it, so
  // that the run emits [SEG] and then stops early at EOS.
  const auto& t = free_run.tokens;
  o.seg_token_id = t[2];
  for (size_t i = 3; i < t.size() && o.eos_token_ids.empty(); ++i)
    if (std::find(t.begin(), t.begin() + 3, t[i]) == t.begin() + 3) o.eos_token_ids = {t[i]};
  ASSERT_FALSE(o.eos_token_ids.empty()) << "pick another seed";
  const Reference expected = reference_generate(p, o);

  KvCache cache = model.make_cache(32);
  const GreedyResult result = generate_greedy(model, cache, p, o);
  EXPECT_EQ(result.tokens, expected.tokens);
  EXPECT_EQ(result.tokens.back(), o.eos_token_ids[0]);  // EOS is kept
  EXPECT_LT(result.tokens.size(), 12u);
  expect_close(result.prefill_logits, expected.prefill_logits);
  ASSERT_GE(result.seg_hidden.size(0), 1);
  expect_close(result.seg_hidden, expected.seg_hidden);
}

TEST_F(LlamaGeneration, MaxNewTokensCountsEveryGeneratedToken) {
  GreedyOptions o;
  o.max_new_tokens = 4;
  KvCache cache = model.make_cache(32);
  const MultimodalSequence p = prompt({1, 5, kImagePlaceholderId, 7, 8});
  EXPECT_EQ(generate_greedy(model, cache, p, o).tokens.size(), 4u);
  EXPECT_EQ(cache.length(), 7 + 3);  // the last token is never fed back

  o.max_new_tokens = 0;
  EXPECT_THROW(generate_greedy(model, cache, p, o), Error);
}

TEST_F(LlamaGeneration, OnTokenSeesEachTokenBeforeTheNextStep) {
  GreedyOptions o;
  o.max_new_tokens = 5;
  KvCache cache = model.make_cache(32);
  std::vector<int64_t> streamed, cached_when_called;
  int prefilled_calls = 0;
  o.on_prefilled = [&] {
    ++prefilled_calls;
    EXPECT_TRUE(streamed.empty());
    EXPECT_EQ(cache.length(), 7);
  };
  o.on_token = [&](int64_t token) {
    streamed.push_back(token);
    cached_when_called.push_back(cache.length());
  };
  const GreedyResult result = generate_greedy(model, cache, prompt({1, 5, kImagePlaceholderId, 7, 8}), o);
  EXPECT_EQ(prefilled_calls, 1);
  EXPECT_EQ(streamed, result.tokens);
  EXPECT_EQ(cached_when_called, (std::vector<int64_t>{7, 8, 9, 10, 11}));  // the first one right after the prefill
}

// Queueing each next step before reading the token changes nothing in the result, whether the run
// ends at EOS (the queued step is undone) or at max_new_tokens (nothing is queued past it).
TEST_F(LlamaGeneration, QueueingAheadGivesTheSameRunAndCache) {
  const MultimodalSequence p = prompt({1, 5, kImagePlaceholderId, 7, 8});
  GreedyOptions o;
  o.max_new_tokens = 12;
  KvCache free_cache = model.make_cache(32);
  const auto free_run = generate_greedy(model, free_cache, p, o).tokens;
  ASSERT_GE(free_run.size(), 4u);
  o.seg_token_id = free_run[1];
  for (const auto& [eos, max_new_tokens] : {std::pair<std::vector<int64_t>, int64_t>{{free_run[3]}, 12},
                                            std::pair<std::vector<int64_t>, int64_t>{{}, 6}}) {
    o.eos_token_ids = eos;
    o.max_new_tokens = max_new_tokens;
    KvCache plain_cache = model.make_cache(32), ahead_cache = model.make_cache(32);
    o.queue_ahead = false;
    const GreedyResult plain = generate_greedy(model, plain_cache, p, o);
    std::vector<int64_t> cached_when_called;
    o.queue_ahead = true;
    o.on_token = [&](int64_t) { cached_when_called.push_back(ahead_cache.length()); };
    const GreedyResult ahead = generate_greedy(model, ahead_cache, p, o);
    o.on_token = nullptr;

    SCOPED_TRACE(eos.empty() ? "ends at max_new_tokens" : "ends at EOS");
    EXPECT_EQ(ahead.tokens, plain.tokens);
    EXPECT_TRUE(at::equal(ahead.prefill_logits, plain.prefill_logits));
    ASSERT_GE(plain.seg_hidden.size(0), 1);
    EXPECT_TRUE(at::equal(ahead.seg_hidden, plain.seg_hidden));
    EXPECT_EQ(ahead_cache.length(), plain_cache.length());
    EXPECT_EQ(ahead_cache.length(), 7 + static_cast<int64_t>(plain.tokens.size()) - 1);
    // Each token is read once the step that feeds it back is queued; at max_new_tokens no step is
    // queued for the last one, at EOS one is (and undone afterwards).
    std::vector<int64_t> expected;
    for (size_t i = 0; i + 1 < plain.tokens.size(); ++i) expected.push_back(7 + static_cast<int64_t>(i) + 1);
    expected.push_back(7 + static_cast<int64_t>(plain.tokens.size()) - (eos.empty() ? 1 : 0));
    EXPECT_EQ(cached_when_called, expected);
  }
}

// The static step (what a CUDA graph replays: position as a device tensor, the whole zero-filled
// capacity attended with the later positions masked) decodes like the dynamic one.
TEST_F(LlamaGeneration, StaticStepsDecodeLikeDynamicOnes) {
  const MultimodalSequence p = prompt({1, 5, kImagePlaceholderId, 7, 8});
  GreedyOptions o;
  o.max_new_tokens = 10;
  KvCache dynamic_cache = model.make_cache(32);
  const GreedyResult free_run = generate_greedy(model, dynamic_cache, p, o);
  o.seg_token_id = free_run.tokens[3];
  dynamic_cache.truncate(0);
  const GreedyResult dynamic = generate_greedy(model, dynamic_cache, p, o);

  KvCache static_cache = model.make_cache(32, KvCache::Fill::kZeros);
  int64_t static_steps = 0;
  o.feed = [&](const at::Tensor& token, KvCache& cache) {
    ++static_steps;
    const at::Tensor hidden = model.step_at(token.view({1}), at::tensor({cache.length()}, at::kLong), cache)[0][0];
    cache.advance(1);
    return hidden;
  };
  const GreedyResult stepped = generate_greedy(model, static_cache, p, o);
  EXPECT_EQ(static_steps, 9);
  EXPECT_EQ(stepped.tokens, dynamic.tokens);
  ASSERT_GE(dynamic.seg_hidden.size(0), 1);
  expect_close(stepped.seg_hidden, dynamic.seg_hidden);
  ASSERT_EQ(static_cache.length(), dynamic_cache.length());
  for (int64_t layer = 0; layer < options.num_layers; ++layer) {
    expect_close(static_cache.keys(layer, static_cache.length()), dynamic_cache.keys(layer, dynamic_cache.length()));
    expect_close(static_cache.values(layer, static_cache.length()),
                 dynamic_cache.values(layer, dynamic_cache.length()));
  }
}

TEST_F(LlamaGeneration, StaticStepNeedsAZeroFilledCache) {
  KvCache cache = model.make_cache(8);
  EXPECT_THROW(model.step_at(at::tensor({1}, at::kLong), at::tensor({0}, at::kLong), cache), InternalError);
}

TEST_F(LlamaGeneration, TooSmallCacheIsAnErrorBeforeAnyWork) {
  GreedyOptions o;
  o.max_new_tokens = 10;
  KvCache cache = model.make_cache(15);  // needs 7 + 9 = 16
  EXPECT_THROW(generate_greedy(model, cache, prompt({1, 5, kImagePlaceholderId, 7, 8}), o), Error);
  EXPECT_EQ(cache.length(), 0);
}

// Like the reference, [SEG] ids already in the prompt give rows too (taken from the prefill).
TEST_F(LlamaGeneration, PromptSegTokensComeFirst) {
  GreedyOptions o;
  o.max_new_tokens = 6;
  o.seg_token_id = 9;
  const MultimodalSequence p = prompt({1, 5, kImagePlaceholderId, 9, 8, 9});
  const Reference expected = reference_generate(p, o);
  KvCache cache = model.make_cache(32);
  const GreedyResult result = generate_greedy(model, cache, p, o);
  EXPECT_EQ(result.tokens, expected.tokens);
  ASSERT_GE(result.seg_hidden.size(0), 2);
  expect_close(result.seg_hidden, expected.seg_hidden);
}

TEST_F(LlamaGeneration, TeacherForcedTakesTheRowsBeforeEachSeg) {
  const MultimodalSequence s = prompt({1, 5, kImagePlaceholderId, 7, 9, 8, 9, 2});
  KvCache cache = model.make_cache(32), full_cache = model.make_cache(32);
  const at::Tensor rows = teacher_forced_seg_hidden(model, cache, s, 9);
  const at::Tensor hidden = model.forward(s.embeds, full_cache)[0];
  ASSERT_EQ(rows.size(0), 2);
  // ids 9 sit at rows 6 and 8 (7 is at row 5): their predecessors are rows 5 and 7.
  expect_close(rows[0], hidden[5]);
  expect_close(rows[1], hidden[7]);
  EXPECT_EQ(teacher_forced_seg_hidden(model, cache = model.make_cache(32), s, 33).size(0), 0);
}

// The forced-answer pass after generation: the prompt's cached rows are reused, only the answer runs.
TEST_F(LlamaGeneration, TeacherForcedReusingACachedPrefixEqualsTheFullPass) {
  const MultimodalSequence s = prompt({1, 5, kImagePlaceholderId, 7, 9, 8, 9, 2});
  KvCache full_cache = model.make_cache(32);
  const at::Tensor full = teacher_forced_seg_hidden(model, full_cache, s, 9);

  KvCache cache = model.make_cache(32);
  GreedyOptions o;
  o.max_new_tokens = 3;
  generate_greedy(model, cache, prompt({1, 5, kImagePlaceholderId, 7}), o);  // caches rows 0..5 and 2 answers
  const at::Tensor reused = teacher_forced_seg_hidden_reusing(model, cache, s, 9, 6);
  EXPECT_EQ(cache.length(), s.embeds.size(1));
  ASSERT_EQ(reused.sizes(), full.sizes());
  expect_close(reused, full);
  // Offering more rows than the first [SEG]'s predecessor (row 5) recomputes from that row on.
  KvCache more = model.make_cache(32);
  model.forward(s.embeds.slice(1, 0, 7), more);
  expect_close(teacher_forced_seg_hidden_reusing(model, more, s, 9, 7), full);
  EXPECT_THROW(teacher_forced_seg_hidden_reusing(model, more, s, 9, 40), InternalError);
}

// A second turn reuses the cached first turn: same answer as running both turns from scratch.
TEST_F(LlamaGeneration, ContinuationReusesTheCachedPrefix) {
  GreedyOptions o;
  o.max_new_tokens = 5;
  KvCache cache = model.make_cache(48);
  const MultimodalSequence first = prompt({1, 5, kImagePlaceholderId, 7, 8});
  const GreedyResult first_answer = generate_greedy(model, cache, first, o);
  cache.truncate(first.embeds.size(1));  // keep the prompt only, as a new question on the same image would
  const MultimodalSequence second = splice_image(model, {3, 4, 6}, at::Tensor());
  const GreedyResult continued = generate_greedy(model, cache, second, o);

  const MultimodalSequence whole = prompt({1, 5, kImagePlaceholderId, 7, 8, 3, 4, 6});
  KvCache fresh = model.make_cache(48);
  EXPECT_EQ(continued.tokens, generate_greedy(model, fresh, whole, o).tokens);
  EXPECT_FALSE(first_answer.tokens.empty());
}

}  // namespace
}  // namespace lisa::models
