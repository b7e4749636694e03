// The parts of `lisa serve` that need no model: base64, the LRU image cache's policy, request
// parsing and its limits, the key comparison, metrics text.
#include <gtest/gtest.h>

#include "lisa/server/lru_cache.h"
#include "lisa/server/metrics.h"
#include "lisa/server/request.h"
#include "lisa/server/server.h"
#include "server/base64.h"

namespace {

using lisa::server::HttpError;
using nlohmann::json;

TEST(ServerBase64, RoundTripsEveryLengthAndRefusesGarbage) {
  EXPECT_EQ(lisa::server::base64_encode("foobar"), "Zm9vYmFy");  // RFC 4648 section 10
  EXPECT_EQ(lisa::server::base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(lisa::server::base64_encode("foob"), "Zm9vYg==");
  std::string bytes;
  for (int n = 0; n < 300; ++n) {
    const auto decoded = lisa::server::base64_decode(lisa::server::base64_encode(bytes));
    ASSERT_TRUE(decoded.has_value()) << n;
    EXPECT_EQ(std::string(decoded->begin(), decoded->end()), bytes);
    bytes += static_cast<char>(n * 37);
  }
  EXPECT_FALSE(lisa::server::base64_decode("Zm9v!mFy").has_value());
  EXPECT_FALSE(lisa::server::base64_decode("Zm9vY").has_value());
  EXPECT_FALSE(lisa::server::base64_decode("Zg==Zg==").has_value());
  EXPECT_TRUE(lisa::server::base64_decode("Zm9v\nYmFy").has_value());
}

TEST(ServerLruCache, EvictsTheLeastRecentlyUsedToFitTheBudget) {
  lisa::server::LruCache<int> cache(100);
  cache.put("a", std::make_shared<int>(1), 40);
  cache.put("b", std::make_shared<int>(2), 40);
  ASSERT_NE(cache.get("a"), nullptr);  // "b" is now the least recently used
  cache.put("c", std::make_shared<int>(3), 40);
  EXPECT_EQ(cache.get("b"), nullptr);
  EXPECT_EQ(*cache.get("a"), 1);
  EXPECT_EQ(*cache.get("c"), 3);
  EXPECT_EQ(cache.bytes(), 80u);
  cache.put("a", std::make_shared<int>(4), 60);  // replaced, and "c" no longer fits beside it
  EXPECT_EQ(*cache.get("a"), 4);
  EXPECT_EQ(cache.bytes(), 100u);
  const auto kept = cache.get("a");
  cache.put("huge", std::make_shared<int>(5), 101);  // larger than the budget: not kept, and evicts all
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(*kept, 4);  // a value in use outlives its eviction
}

lisa::server::RequestLimits limits() { return {10, 32, 2, "llava_v1"}; }

int status_of(const json& fields, std::vector<uint8_t> image = {1, 2, 3}) {
  try {
    lisa::server::parse_request(fields, std::move(image), limits());
  } catch (const HttpError& e) {
    return e.status;
  }
  return 200;
}

TEST(ServerRequest, ChecksEveryFieldAgainstTheLimits) {
  EXPECT_EQ(status_of({{"prompt", "hi"}}), 200);
  EXPECT_EQ(status_of(json::array()), 400);
  EXPECT_EQ(status_of(json::object()), 400);
  EXPECT_EQ(status_of({{"prompt", ""}}), 400);
  EXPECT_EQ(status_of({{"prompt", 3}}), 400);
  EXPECT_EQ(status_of({{"prompt", "hi"}}, {}), 400);
  EXPECT_EQ(status_of({{"prompt", "0123456789a"}}), 413);
  EXPECT_EQ(status_of({{"prompt", "hi"}, {"max_new_tokens", 33}}), 400);
  EXPECT_EQ(status_of({{"prompt", "hi"}, {"max_new_tokens", 0}}), 400);
  EXPECT_EQ(status_of({{"prompt", "hi"}, {"max_new_tokens", "5"}}), 400);
  EXPECT_EQ(status_of({{"prompt", "hi"}, {"force_seg", "yes"}}), 400);
  EXPECT_EQ(status_of({{"prompt", "hi"}, {"conv_type", "llava_llama_2"}}), 400);
  EXPECT_EQ(status_of({{"prompt", "hi"}, {"conv_type", "llava_v1"}}), 200);
  EXPECT_EQ(status_of({{"prompt", "hi"}, {"history", {{{"prompt", "a"}, {"text", "b"}}}}}), 200);
  EXPECT_EQ(status_of({{"prompt", "hi"}, {"history", {{{"prompt", "a"}}}}}), 400);
  EXPECT_EQ(status_of({{"prompt", "hi"}, {"history", {{{"prompt", "a"}, {"token_ids", {1, -2}}}}}}), 400);
  const json turn = {{"prompt", "a"}, {"token_ids", {1, 2}}};
  EXPECT_EQ(status_of({{"prompt", "hi"}, {"history", {turn, turn, turn}}}), 400);

  const auto request = lisa::server::parse_request(
      {{"prompt", "hi"}, {"max_new_tokens", 7}, {"force_seg", true}, {"history", {turn}}}, {9}, limits());
  EXPECT_EQ(request.prompt, "hi");
  EXPECT_EQ(request.max_new_tokens, 7);
  EXPECT_TRUE(request.force_seg);
  ASSERT_EQ(request.history.size(), 1u);
  EXPECT_EQ(*request.history[0].token_ids, (std::vector<int64_t>{1, 2}));
}

TEST(ServerRequest, ReadsJsonBodiesAndFormFields) {
  const auto request = lisa::server::parse_json_request(R"({"prompt": "hi", "image": "AQID"})", limits());
  EXPECT_EQ(request.image, (std::vector<uint8_t>{1, 2, 3}));
  EXPECT_EQ(request.max_new_tokens, 32);  // the limit is the default
  auto status = [](const std::string& body) {
    try {
      lisa::server::parse_json_request(body, limits());
    } catch (const HttpError& e) {
      return e.status;
    }
    return 200;
  };
  EXPECT_EQ(status("{"), 400);
  EXPECT_EQ(status(R"({"prompt": "hi", "image": "A!"})"), 400);
  EXPECT_EQ(status(R"({"prompt": "hi", "image": 5})"), 400);
  EXPECT_EQ(lisa::server::form_field("max_new_tokens", "12"), json(12));
  EXPECT_EQ(lisa::server::form_field("force_seg", "true"), json(true));
  EXPECT_EQ(lisa::server::form_field("prompt", "true story"), json("true story"));
  EXPECT_EQ(lisa::server::form_field("history", R"([{"prompt": "a", "text": "b"}])")[0]["text"], "b");
  EXPECT_THROW(lisa::server::form_field("max_new_tokens", "12x"), HttpError);
  EXPECT_THROW(lisa::server::form_field("history", "[{"), HttpError);
}

TEST(ServerKey, ComparesWholeKeys) {
  EXPECT_TRUE(lisa::server::same_key("secret", "secret"));
  EXPECT_FALSE(lisa::server::same_key("secre", "secret"));
  EXPECT_FALSE(lisa::server::same_key("secret ", "secret"));
  EXPECT_FALSE(lisa::server::same_key("", "secret"));
}

TEST(ServerMetrics, WritesPrometheusText) {
  lisa::server::Metrics metrics;
  metrics.count_request("/v1/segment", 200);
  metrics.count_request("/v1/segment", 200);
  metrics.count_request("/v1/segment", 503);
  metrics.observe_segment(0.3, 10, 100);
  const std::string text = metrics.text(2, true, true);
  EXPECT_NE(text.find("lisa_requests_total{endpoint=\"/v1/segment\",status=\"200\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lisa_queue_depth 2\n"), std::string::npos);
  EXPECT_NE(text.find("lisa_segment_latency_seconds_bucket{le=\"0.25\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lisa_segment_latency_seconds_bucket{le=\"0.5\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("lisa_decode_tokens_per_second_bucket{le=\"100\"} 1\n"), std::string::npos);
  EXPECT_EQ(metrics.requests("/v1/segment", 503), 1u);
}

}  // namespace
