// The engine's KV cache across questions: emptied and reused while it is large enough, grown in
// steps of 256 positions (capped at the model's context) when a question needs more.
#include <gtest/gtest.h>

#include "pipeline/decoder.h"
#include "support/random_llama.h"

namespace lisa::pipeline {
namespace {

TEST(PipelineDecoder, ReusesTheCacheAndGrowsItInSteps) {
  models::LlamaOptions options = testing::random_llama_options();
  options.max_position_embeddings = 600;
  const models::LlamaModel llama(options, testing::random_llama_weights(options, 5));
  Decoder decoder(llama, /*cuda_graphs=*/true);  // on the CPU there is nothing to record
  EXPECT_FALSE(decoder.uses_cuda_graphs());
  EXPECT_FALSE(decoder.feed());

  models::KvCache& first = decoder.cache_for(100);
  EXPECT_EQ(first.capacity(), 256);
  EXPECT_FALSE(first.zero_filled());
  llama.forward(at::randn({1, 5, options.hidden_size}), first);
  const void* storage = first.storage_address();

  models::KvCache& again = decoder.cache_for(256);
  EXPECT_EQ(again.storage_address(), storage);
  EXPECT_EQ(again.length(), 0);  // emptied for the new question

  EXPECT_EQ(decoder.cache_for(300).capacity(), 512);
  EXPECT_EQ(decoder.cache_for(550).capacity(), 600);  // capped at max_position_embeddings
}

}  // namespace
}  // namespace lisa::pipeline
