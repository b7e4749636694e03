// The CUDA graph of the decoding step against the same step run eagerly. Needs a CUDA build on a
// GPU; elsewhere only the refusal on the CPU is checked.
#include <gtest/gtest.h>

#include "lisa/error.h"
#include "lisa/models/decode_graph.h"
#include "lisa/models/generation.h"
#include "lisa/models/multimodal.h"
#include "support/random_llama.h"

namespace lisa::models {
namespace {

TEST(DecodeGraph, RefusesAModelOnTheCpu) {
  const LlamaOptions options = testing::random_llama_options();
  const LlamaModel model(options, testing::random_llama_weights(options, 3));
  EXPECT_THROW(DecodeGraph graph(model), InternalError);
}

TEST(DecodeGraph, ReplaysTheStaticStepOncePerCache) {
  if (!DecodeGraph::supported()) GTEST_SKIP() << "this build or machine has no CUDA graphs";
  const at::Device cuda(at::kCUDA, 0);
  const LlamaOptions options = testing::random_llama_options(2);
  const LlamaModel model(options, testing::random_llama_weights(options, 3, cuda));
  const at::Tensor image = at::randn({3, options.hidden_size}).to(cuda);
  const MultimodalSequence prompt = splice_image(model, {1, 5, kImagePlaceholderId, 7, 8}, image);

  GreedyOptions o;
  o.max_new_tokens = 12;
  o.queue_ahead = true;
  KvCache eager_cache = model.make_cache(32, KvCache::Fill::kZeros);
  o.feed = [&](const at::Tensor& token, KvCache& cache) {
    const at::Tensor hidden = model.step_at(token.view({1}), at::full({1}, cache.length(), token.options()), cache)[0][0];
    cache.advance(1);
    return hidden;
  };
  const GreedyResult free_run = generate_greedy(model, eager_cache, prompt, o);
  o.seg_token_id = free_run.tokens[4];
  eager_cache.truncate(0);
  const GreedyResult eager = generate_greedy(model, eager_cache, prompt, o);
  ASSERT_GE(eager.seg_hidden.size(0), 1);

  DecodeGraph graph(model);
  o.feed = [&](const at::Tensor& token, KvCache& cache) { return graph.step(token, cache); };
  KvCache cache = model.make_cache(32, KvCache::Fill::kZeros);
  for (int run = 0; run < 2; ++run) {  // the second run on the same cache replays the first recording
    SCOPED_TRACE(run);
    cache.truncate(0);
    const GreedyResult replayed = generate_greedy(model, cache, prompt, o);
    EXPECT_EQ(replayed.tokens, eager.tokens);
    EXPECT_TRUE(at::allclose(replayed.seg_hidden, eager.seg_hidden, 1e-5, 1e-5));
    EXPECT_EQ(cache.length(), eager_cache.length());
  }
  EXPECT_EQ(graph.recordings(), 1);

  KvCache other = model.make_cache(24, KvCache::Fill::kZeros);
  EXPECT_EQ(generate_greedy(model, other, prompt, o).tokens, eager.tokens);
  EXPECT_EQ(graph.recordings(), 2);
}

}  // namespace
}  // namespace lisa::models
