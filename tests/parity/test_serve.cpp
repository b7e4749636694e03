// `lisa serve` against an in-process server on 127.0.0.1 at a free port, with the tiny golden
// checkpoint loaded once for the suite: answers like `lisa segment` and `lisa chat`, streaming,
// refusals, cancellation on disconnect, deadlines, and 16 clients against a queue of 4.
#include <gtest/gtest.h>
#include <httplib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <thread>

#include "lisa/image/read_image.h"
#include "lisa/pipeline/context.h"
#include "lisa/pipeline/engine.h"
#include "lisa/pipeline/session.h"
#include <opencv2/core.hpp>

#include "lisa/render/coco_rle.h"
#include "lisa/server/server.h"
#include "lisa/tokenizer/display_text.h"
#include "server/base64.h"
#include "support/cli.h"
#include "support/file_bytes.h"
#include "support/golden.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
using lisa::testing::GoldenCase;

constexpr const char* kKey = "test-key-0123";

using lisa::testing::read_bytes;

GoldenCase golden(const std::string& name) { return GoldenCase::load(lisa::testing::golden_root() / "chat" / name); }
std::string user_text(const GoldenCase& c) { return c.meta.at("user_text").get<std::string>(); }

// A server on its own thread; stopped and joined when destroyed.
class RunningServer {
 public:
  RunningServer(lisa::server::ServerOptions options, const lisa::pipeline::Engine* engine)
      : server_(std::move(options)) {
    port_ = server_.bind();
    thread_ = std::thread([this] { server_.listen(); });
    if (engine) server_.set_engine(*engine);
  }
  ~RunningServer() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  lisa::server::Server& server() { return server_; }
  httplib::Client client() const {
    httplib::Client client("127.0.0.1", port_);
    client.set_read_timeout(30, 0);
    return client;
  }
  // Polls GET /health until it answers `status` (event-driven: no fixed sleep), failing after 10 s.
  void wait_health(int status) const {
    auto c = client();
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < deadline) {
      if (auto res = c.Get("/health"); res && res->status == status) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // between polls, not instead of one
    }
    FAIL() << "GET /health never answered " << status;
  }

 private:
  lisa::server::Server server_;
  int port_ = 0;
  std::thread thread_;
};

lisa::server::ServerOptions test_options() {
  lisa::server::ServerOptions options;
  options.port = 0;
  options.api_key = kKey;
  options.queue = 4;
  options.max_body_bytes = 1 << 20;
  options.max_new_tokens = 512;
  options.max_prompt_bytes = 1000;
  options.timeout_s = 60;
  return options;
}

httplib::Headers auth() { return {{"X-API-Key", kKey}}; }

json segment_json(const fs::path& image, const std::string& prompt, int max_new_tokens) {
  return {{"image", lisa::server::base64_encode(read_bytes(image))}, {"prompt", prompt}, {"max_new_tokens", max_new_tokens}};
}

// An SSE body as (event, data) pairs, comments skipped.
std::vector<std::pair<std::string, json>> parse_events(const std::string& body) {
  std::vector<std::pair<std::string, json>> events;
  size_t at = 0;
  while (at < body.size()) {
    const size_t end = body.find("\n\n", at);
    const std::string block = body.substr(at, end == std::string::npos ? std::string::npos : end - at);
    at = end == std::string::npos ? body.size() : end + 2;
    if (block.rfind("event: ", 0) != 0) continue;
    const size_t newline = block.find('\n');
    const std::string name = block.substr(7, newline - 7);
    const std::string data_prefix = "data: ";
    events.emplace_back(name, json::parse(block.substr(newline + 1 + data_prefix.size())));
  }
  return events;
}

class Serve : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    engine_ = lisa::pipeline::Engine::load(lisa::testing::golden_engine_options()).release();
    server_ = new RunningServer(test_options(), engine_);
    server_->wait_health(200);
  }
  static void TearDownTestSuite() {
    delete server_;
    delete engine_;
  }
  static json post_json(const json& body, int expected_status = 200) {
    auto res = server_->client().Post("/v1/segment", auth(), body.dump(), "application/json");
    EXPECT_TRUE(res);
    if (!res) return {};
    EXPECT_EQ(res->status, expected_status) << res->body;
    return json::parse(res->body);
  }

  static lisa::pipeline::Engine* engine_;
  static RunningServer* server_;
};
lisa::pipeline::Engine* Serve::engine_ = nullptr;
RunningServer* Serve::server_ = nullptr;

// Two golden pictures through `lisa segment` and through /v1/segment (one as multipart, one as JSON
// with base64): the same ids, text and masks (RLE, bbox, area, score), field for field; a second
// question about the same picture is served from the image cache (no CLIP, no SAM encoder).
TEST_F(Serve, AnswersLikeSegmentCommand) {
  const GoldenCase astronaut = golden("astronaut_wide"), rocket = golden("rocket_tall");
  const fs::path dir = lisa::testing::fresh_dir("serve_parity");
  {
    std::ofstream prompts(dir / "prompts.jsonl");
    for (const auto* c : {&astronaut, &rocket})
      prompts << json{{"image", c->image_path().string()}, {"prompt", user_text(*c)}}.dump() << "\n";
  }
  const auto run = lisa::testing::run_lisa("segment" + lisa::testing::golden_model_args() + " --max-new-tokens 32 --prompts " +
                                           (dir / "prompts.jsonl").string() + " -o " + (dir / "out").string());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto lines = lisa::testing::read_jsonl(dir / "out" / "results.jsonl");
  ASSERT_EQ(lines.size(), 2u);

  httplib::MultipartFormDataItems form = {
      {"image", read_bytes(astronaut.image_path()), "astronaut.jpg", "image/jpeg"},
      {"prompt", user_text(astronaut), "", ""},
      {"max_new_tokens", "32", "", ""}};
  auto res = server_->client().Post("/v1/segment", auth(), form);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const json answers[] = {json::parse(res->body), post_json(segment_json(rocket.image_path(), user_text(rocket), 32))};
  for (size_t k = 0; k < 2; ++k) {
    SCOPED_TRACE(k);
    json line = lines[k];
    const json& answer = answers[k];
    EXPECT_EQ(answer.at("token_ids"), line.at("token_ids"));
    EXPECT_EQ(answer.at("text"), line.at("text"));
    EXPECT_EQ(answer.at("forced_seg"), line.at("forced_seg"));
    for (auto& mask : line.at("masks")) mask.erase("file");
    EXPECT_EQ(answer.at("masks"), line.at("masks"));  // index, area, bbox, score, RLE: the same builder
    EXPECT_EQ(answer.at("timings_ms").size(), line.at("timings_ms").size());
  }
  EXPECT_EQ(answers[1].at("masks").size(), 8u);
  EXPECT_GT(answers[1].at("timings_ms").at("clip").get<double>(), 0);

  const json again = post_json(segment_json(rocket.image_path(), user_text(rocket), 32));
  EXPECT_EQ(again.at("token_ids"), answers[1].at("token_ids"));
  EXPECT_EQ(again.at("masks"), answers[1].at("masks"));
  EXPECT_EQ(again.at("timings_ms").at("clip").get<double>(), 0) << "the cached image was prepared again";
  EXPECT_EQ(again.at("timings_ms").at("sam_encoder").get<double>(), 0) << "the SAM embedding was computed again";
}

// history (an earlier question and the ids it got) makes the server answer the follow-up as
// `lisa chat` does in one conversation, and as a library session asked twice.
TEST_F(Serve, HistoryContinuesTheConversationLikeChat) {
  const GoldenCase astronaut = golden("astronaut_wide");
  const std::string follow_up = "And what is next to it?";
  const fs::path out = lisa::testing::fresh_dir("serve_chat");
  const auto run = lisa::testing::run_lisa("chat" + lisa::testing::golden_model_args() + " --max-new-tokens 32 -o " +
                                               out.string(),
                                           user_text(astronaut) + "\n" + astronaut.image_path().string() + "\n" +
                                               follow_up + "\n");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string marker = "ASSISTANT: ";
  const size_t second = run.output.find(marker, run.output.find(marker) + 1);
  ASSERT_NE(second, std::string::npos) << run.output;
  const std::string chat_answer = run.output.substr(second + marker.size(), run.output.find('\n', second) - second - marker.size());

  const json first = post_json(segment_json(astronaut.image_path(), user_text(astronaut), 32));
  json request = segment_json(astronaut.image_path(), follow_up, 32);
  request["history"] = {{{"prompt", user_text(astronaut)}, {"token_ids", first.at("token_ids")}}};
  const json answer = post_json(request);
  EXPECT_EQ(answer.at("text").get<std::string>(), lisa::tokenizer::display_text(chat_answer));
  // The first answer's [SEG], now in the history, gives a mask too (as in `lisa chat`).
  EXPECT_EQ(answer.at("masks").size(), 2u);

  lisa::pipeline::Context context(*engine_);
  auto session = context.open(lisa::image::read_image(astronaut.image_path()));
  lisa::pipeline::AskOptions ask;
  ask.max_new_tokens = 32;
  session.ask(user_text(astronaut), ask);
  EXPECT_EQ(answer.at("token_ids"), json(session.ask(follow_up, ask).token_ids));
}

// ?stream=1: "queued" (position 0 on an idle server), the text as "token" deltas, then "done" with
// the same answer as the plain request.
TEST_F(Serve, StreamsQueuedTokensThenDone) {
  const GoldenCase chelsea = golden("chelsea_small");
  const json body = segment_json(chelsea.image_path(), user_text(chelsea), 32);
  const json plain = post_json(body);
  auto res = server_->client().Post("/v1/segment?stream=1", auth(), body.dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/event-stream");
  const auto events = parse_events(res->body);
  ASSERT_GE(events.size(), 3u) << res->body;
  EXPECT_EQ(events.front().first, "queued");
  EXPECT_EQ(events.front().second.at("position"), 0);
  std::string streamed;
  for (size_t i = 1; i + 1 < events.size(); ++i) {
    EXPECT_EQ(events[i].first, "token");
    streamed += events[i].second.at("text").get<std::string>();
  }
  EXPECT_EQ(events.back().first, "done");
  const json& done = events.back().second;
  EXPECT_EQ(done.at("token_ids"), plain.at("token_ids"));
  EXPECT_EQ(done.at("text"), plain.at("text"));
  EXPECT_EQ(lisa::tokenizer::display_text(streamed), done.at("text").get<std::string>());
  EXPECT_GT(events.size(), 3u) << "the answer came in one piece";
}

int status_of(const httplib::Result& res) { return res ? res->status : -1; }
bool json_error(const httplib::Result& res) {
  return res && json::parse(res->body, nullptr, false).contains("error");
}

// Refusals, each with a JSON {"error"} body: no or a wrong key (401; / and /health are public),
// body over the limit (413), bad JSON, no prompt, bytes that are no picture (400), another content
// type (415), an unknown path (404).
TEST_F(Serve, RefusesWithTheRightStatus) {
  auto client = server_->client();
  const GoldenCase astronaut = golden("astronaut_wide");
  const std::string good = segment_json(astronaut.image_path(), "hi", 4).dump();
  const struct {
    httplib::Result res;
    int status;
    const char* what;
  } cases[] = {
      {client.Post("/v1/segment", good, "application/json"), 401, "no key"},
      {client.Post("/v1/segment", {{"X-API-Key", "wrong"}}, good, "application/json"), 401, "wrong key"},
      {client.Post("/v1/segment", {{"Authorization", std::string("Bearer ") + kKey + "x"}}, good, "application/json"), 401, "longer key"},
      {client.Get("/metrics"), 401, "metrics without key"},
      {client.Get("/v1/info"), 401, "info without key"},
      {client.Post("/v1/segment", auth(), std::string((1 << 20) + 1, 'x'), "application/json"), 413, "oversize body"},
      {client.Post("/v1/segment", auth(), "{\"prompt\": ", "application/json"), 400, "bad JSON"},
      {client.Post("/v1/segment", auth(), json{{"image", "AAAA"}}.dump(), "application/json"), 400, "no prompt"},
      {client.Post("/v1/segment", auth(), json{{"image", "AAAAAAAA"}, {"prompt", "hi"}}.dump(), "application/json"), 400,
       "not a picture"},
      {client.Post("/v1/segment", auth(), json{{"image", "AA"}, {"prompt", std::string(1001, 'a')}}.dump(),
                   "application/json"),
       413, "prompt over the limit"},
      {client.Post("/v1/segment", auth(), "prompt=hi", "text/plain"), 415, "text/plain"},
      {client.Get("/nowhere", auth()), 404, "unknown path"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(status_of(c.res), c.status) << c.what << ": " << (c.res ? c.res->body : "no answer");
    EXPECT_TRUE(json_error(c.res)) << c.what;
  }
  EXPECT_EQ(status_of(client.Get("/health")), 200);
  const auto page = client.Get("/");
  ASSERT_EQ(status_of(page), 200);
  EXPECT_NE(page->body.find("<html"), std::string::npos);
  EXPECT_EQ(status_of(client.Post("/v1/segment", {{"Authorization", std::string("Bearer ") + kKey}}, good,
                                  "application/json")),
            200);
  const auto info = client.Get("/v1/info", auth());
  ASSERT_EQ(status_of(info), 200);
  EXPECT_EQ(json::parse(info->body).at("limits").at("queue"), 4);
  EXPECT_EQ(info->get_header_value("Access-Control-Allow-Origin"), "");  // no CORS unless --cors
}

// Waits (event-driven, 10 s at most) until the server has counted `count` answers of `status`.
bool wait_count(const lisa::server::Server& server, int status, uint64_t count) {
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (server.metrics().requests("/v1/segment", status) < count)
    if (Clock::now() > deadline) return false;
    else std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return true;
}

// POST /v1/segment?stream=1 of the case's question, to send with a content_receiver.
httplib::Request streaming_request(const GoldenCase& c, int max_new_tokens) {
  httplib::Request req;
  req.method = "POST";
  req.path = "/v1/segment?stream=1";
  req.headers = auth();
  req.body = segment_json(c.image_path(), user_text(c), max_new_tokens).dump();
  req.set_header("Content-Type", "application/json");
  return req;
}

// A client that leaves mid-stream cancels its generation between two tokens (counted as 499), and
// the worker answers the next request at once instead of finishing 512 tokens nobody reads.
TEST_F(Serve, DisconnectMidStreamFreesTheWorker) {
  const GoldenCase chelsea = golden("chelsea_small");  // answers without EOS for at least 32 tokens
  const uint64_t cancelled_before = server_->server().metrics().requests("/v1/segment", 499);
  httplib::Request req = streaming_request(chelsea, 512);
  int tokens = 0;
  req.content_receiver = [&](const char* data, size_t size, uint64_t, uint64_t) {
    if (std::string(data, size).find("event: token") != std::string::npos) ++tokens;
    return tokens < 2;  // hang up after two tokens
  };
  auto client = server_->client();
  client.send(req);
  ASSERT_EQ(tokens, 2);
  ASSERT_TRUE(wait_count(server_->server(), 499, cancelled_before + 1)) << "the generation was not cancelled";
  const GoldenCase astronaut = golden("astronaut_wide");
  const auto start = Clock::now();
  post_json(segment_json(astronaut.image_path(), user_text(astronaut), 32));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
}

// A plain (non-streaming) request whose client hangs up while it waits is cancelled too: the server
// sees the closed connection, the worker stops between two tokens (499) and answers the next
// request at once. The client here is a raw socket that sends the request and closes.
TEST_F(Serve, DisconnectBeforeAPlainAnswerFreesTheWorker) {
  const GoldenCase chelsea = golden("chelsea_small");  // answers without EOS for at least 32 tokens
  const uint64_t cancelled_before = server_->server().metrics().requests("/v1/segment", 499);
  const std::string body = segment_json(chelsea.image_path(), user_text(chelsea), 512).dump();
  const std::string request = std::string("POST /v1/segment HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: ") + kKey +
                              "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                              "\r\n\r\n" + body;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(server_->port()));
  ASSERT_EQ(::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr), 1);
  ASSERT_EQ(::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
  for (size_t sent = 0; sent < request.size();) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    ASSERT_GT(n, 0);
    sent += static_cast<size_t>(n);
  }
  ::close(fd);
  ASSERT_TRUE(wait_count(server_->server(), 499, cancelled_before + 1)) << "the generation was not cancelled";
  const GoldenCase astronaut = golden("astronaut_wide");
  const auto start = Clock::now();
  post_json(segment_json(astronaut.image_path(), user_text(astronaut), 32));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
}

// The queue depth /metrics reports.
int queue_depth(const RunningServer& server) {
  auto res = server.client().Get("/metrics", auth());
  if (status_of(res) != 200) return -1;
  const std::string marker = "\nlisa_queue_depth ";
  const size_t at = res->body.find(marker);
  return at == std::string::npos ? -1 : std::stoi(res->body.substr(at + marker.size()));
}

double rle_iou(const json& a, const json& b) {
  const cv::Mat x = lisa::render::decode_rle(lisa::render::rle_from_json(a)) > 0;
  const cv::Mat y = lisa::render::decode_rle(lisa::render::rle_from_json(b)) > 0;
  if (x.size() != y.size()) return 0;
  const double uni = cv::countNonZero(x | y);
  return uni == 0 ? 1.0 : cv::countNonZero(x & y) / uni;
}

// With batch_size 4, the requests that wait while the worker is busy are answered as one batch
// when it is free, each with the answer it gets alone (ids and text equal, masks IoU >= 0.999).
// The worker is kept busy by a streaming request that hangs up once the three others are queued.
TEST_F(Serve, RequestsWaitingTogetherAreAnsweredAsOneBatch) {
  auto options = test_options();
  options.batch_size = 4;
  RunningServer batching(options, engine_);
  batching.wait_health(200);
  const GoldenCase cases[] = {golden("astronaut_wide"), golden("coins_strip"), golden("camera_gray_tall")};
  std::vector<json> alone;
  for (const auto& c : cases) alone.push_back(post_json(segment_json(c.image_path(), user_text(c), 16)));

  const GoldenCase chelsea = golden("chelsea_small");  // answers without EOS for at least 32 tokens
  const uint64_t batches_before = batching.server().metrics().batches(3);
  std::atomic<bool> hang_up{false}, blocker_done{false};
  std::atomic<int> blocker_tokens{0};
  auto blocker = std::async(std::launch::async, [&] {
    httplib::Request req = streaming_request(chelsea, 512);
    req.content_receiver = [&](const char* data, size_t size, uint64_t, uint64_t) {
      const std::string text(data, size);
      if (text.find("event: token") != std::string::npos) ++blocker_tokens;
      if (text.find("event: done") != std::string::npos) blocker_done = true;
      return !hang_up.load();
    };
    auto client = batching.client();
    client.send(req);
  });
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (blocker_tokens == 0 && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ASSERT_GT(blocker_tokens, 0) << "the blocking request never started";

  std::vector<std::future<httplib::Result>> waiting;
  for (const auto& c : cases)
    waiting.push_back(std::async(std::launch::async, [&batching, &c] {
      return batching.client().Post("/v1/segment", auth(), segment_json(c.image_path(), user_text(c), 16).dump(),
                                    "application/json");
    }));
  while (queue_depth(batching) != 3 && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const bool queued_behind_the_blocker = queue_depth(batching) == 3 && !blocker_done;
  hang_up = true;
  blocker.get();
  ASSERT_TRUE(queued_behind_the_blocker) << "the three requests were not all waiting while the worker was busy";

  for (size_t i = 0; i < waiting.size(); ++i) {
    SCOPED_TRACE(cases[i].name);
    auto res = waiting[i].get();
    ASSERT_EQ(status_of(res), 200) << (res ? res->body : "");
    const json answer = json::parse(res->body);
    EXPECT_EQ(answer.at("token_ids"), alone[i].at("token_ids"));
    EXPECT_EQ(answer.at("text"), alone[i].at("text"));
    ASSERT_EQ(answer.at("masks").size(), alone[i].at("masks").size());
    for (size_t m = 0; m < answer.at("masks").size(); ++m)
      EXPECT_GE(rle_iou(answer["masks"][m]["rle"], alone[i]["masks"][m]["rle"]), 0.999) << "mask " << m;
  }
  EXPECT_EQ(batching.server().metrics().batches(3), batches_before + 1);
}

// Past its deadline a request is answered 504 and stopped; while the model loads, /health and
// /v1/segment answer 503.
TEST_F(Serve, DeadlineAndLoading) {
  auto options = test_options();
  options.timeout_s = 0.001;
  RunningServer hurried(options, engine_);
  hurried.wait_health(200);
  const GoldenCase chelsea = golden("chelsea_small");
  auto res = hurried.client().Post("/v1/segment", auth(), segment_json(chelsea.image_path(), user_text(chelsea), 512).dump(),
                                   "application/json");
  EXPECT_EQ(status_of(res), 504);
  EXPECT_TRUE(json_error(res));

  RunningServer loading(test_options(), nullptr);
  loading.wait_health(503);
  res = loading.client().Post("/v1/segment", auth(), segment_json(chelsea.image_path(), "hi", 4).dump(), "application/json");
  EXPECT_EQ(status_of(res), 503);
  EXPECT_TRUE(json_error(res));
}

long resident_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

// 16 clients at once against a queue of 4: each gets the right answer for its own question or a 503
// with Retry-After; none is lost, the server stays up and idle afterwards, and memory comes back.
TEST_F(Serve, SixteenClientsAgainstAQueueOfFour) {
  const GoldenCase cases[] = {golden("astronaut_wide"), golden("coins_strip"), golden("chelsea_small"), golden("camera_gray_tall")};
  std::vector<json> expected;
  for (const auto& c : cases) expected.push_back(post_json(segment_json(c.image_path(), user_text(c), 8)).at("token_ids"));
  [[maybe_unused]] const long baseline = resident_kib();  // unused under ThreadSanitizer (below)
  const uint64_t refused_before = server_->server().metrics().requests("/v1/segment", 503);
  std::vector<std::future<std::pair<int, std::string>>> clients;
  std::atomic<int> started{0};
  for (int k = 0; k < 16; ++k)
    clients.push_back(std::async(std::launch::async, [&, k] {
      const json body = segment_json(cases[k % 4].image_path(), user_text(cases[k % 4]), 8);
      ++started;
      while (started < 16) std::this_thread::yield();  // all at once
      auto res = server_->client().Post("/v1/segment", auth(), body.dump(), "application/json");
      if (!res) return std::pair<int, std::string>{-1, httplib::to_string(res.error())};
      if (res->status == 503) {
        EXPECT_EQ(res->get_header_value("Retry-After"), "1");
      }
      return std::pair<int, std::string>{res->status, res->body};
    }));
  int answered = 0, refused = 0;
  for (int k = 0; k < 16; ++k) {
    const auto [status, body] = clients[k].get();
    if (status == 503) {
      ++refused;
      continue;
    }
    ASSERT_EQ(status, 200) << body;
    EXPECT_EQ(json::parse(body).at("token_ids"), expected[k % 4]) << "client " << k << " got another's answer";
    ++answered;
  }
  EXPECT_EQ(answered + refused, 16);
  EXPECT_GE(answered, 5);  // the one answered and the four queued at least
  EXPECT_GE(refused, 1);
  EXPECT_EQ(server_->server().metrics().requests("/v1/segment", 503), refused_before + refused);
  auto metrics = server_->client().Get("/metrics", auth());
  ASSERT_EQ(status_of(metrics), 200);
  EXPECT_NE(metrics->body.find("lisa_queue_depth 0\n"), std::string::npos) << metrics->body;
  EXPECT_EQ(status_of(server_->client().Get("/health")), 200);
// ThreadSanitizer's allocator and shadow memory keep what was freed resident; so does
// AddressSanitizer's quarantine (up to 256 MB: this test alone grew by 130 to 145 MiB under it, by
// less than 64 MiB with quarantine_size_mb=0, 2026-12-02). LeakSanitizer checks leaks there.
#if !defined(__SANITIZE_THREAD__) && !defined(__SANITIZE_ADDRESS__)
  EXPECT_LT(resident_kib() - baseline, 64 * 1024) << "resident memory grew by more than 64 MiB";
#endif
}

}  // namespace
