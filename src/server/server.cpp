#include "lisa/server/server.h"

#include <httplib.h>

#include <atomic>
#include <csignal>
#include <iostream>
#include <mutex>

#include <nlohmann/json.hpp>

#include "lisa/error.h"
#include "lisa/io/sha256.h"
#include "lisa/server/job.h"
#include "lisa/server/request.h"
#include "lisa/server/worker.h"
#include "lisa/tokenizer/conversation.h"
#include "connection_probe.h"
#include "page.h"

namespace lisa::server {

namespace {

constexpr const char* kJson = "application/json";
// While no event comes, a stream sends a comment this often: a write is the only way to learn that
// the client went away, and the job is cancelled then.
constexpr auto kKeepAlive = std::chrono::milliseconds(500);

void json_error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(nlohmann::json{{"error", message}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  kJson);
}

// A body for the statuses httplib answers by itself (no route, body over the limit, ...).
std::string default_message(int status, size_t max_body_bytes) {
  switch (status) {
    case 400: return "bad request";
    case 404: return "no such endpoint";
    case 405: return "method not allowed";
    case 413: return "the body is larger than the limit of " + std::to_string(max_body_bytes) + " bytes";
    case 414: return "the URI is too long";
    case 415: return "unsupported media type";
    default: return "HTTP status " + std::to_string(status);
  }
}

bool starts_with(const std::string& text, const char* prefix) { return text.rfind(prefix, 0) == 0; }

}  // namespace

bool same_key(const std::string& given, const std::string& expected) {
  // Comparing digests makes the time independent of the lengths as well as of the contents.
  const std::string a = io::sha256_hex(given), b = io::sha256_hex(expected);
  unsigned char differ = 0;
  for (size_t i = 0; i < a.size(); ++i) differ |= static_cast<unsigned char>(a[i] ^ b[i]);
  return differ == 0;
}

struct Server::State {
  ServerOptions options;
  httplib::Server http;
  Metrics metrics;
  std::mutex mutex;  // guards engine and worker while they are set
  const pipeline::Engine* engine = nullptr;
  std::unique_ptr<Worker> worker;
  std::atomic<bool> ready{false};
  RequestLimits limits;

  Worker* ready_worker() {
    if (!ready) return nullptr;
    std::lock_guard lock(mutex);
    return worker.get();
  }

  bool authorized(const httplib::Request& req) const {
    if (options.api_key.empty()) return true;
    std::string key = req.get_header_value("X-API-Key");
    const std::string authorization = req.get_header_value("Authorization");
    if (key.empty() && starts_with(authorization, "Bearer ")) key = authorization.substr(7);
    return !key.empty() && same_key(key, options.api_key);
  }

  // Answers 401 and returns false unless the request carries the key.
  bool check_key(const httplib::Request& req, httplib::Response& res, const std::string& endpoint) {
    if (authorized(req)) return true;
    res.set_header("WWW-Authenticate", "Bearer");
    json_error(res, 401, "a valid API key is required (Authorization: Bearer KEY or X-API-Key: KEY)");
    metrics.count_request(endpoint, 401);
    return false;
  }

  void routes();
  void health(httplib::Response& res);
  void info(const httplib::Request& req, httplib::Response& res);
  void segment(const httplib::Request& req, httplib::Response& res);
  SegmentRequest read_request(const httplib::Request& req);
  void stream(const std::shared_ptr<Job>& job, httplib::Response& res);
};

void Server::State::health(httplib::Response& res) {
  if (ready) return res.set_content(R"({"status":"ok"})", kJson);
  res.set_header("Retry-After", "1");
  json_error(res, 503, "the model is loading");
}

void Server::State::info(const httplib::Request& req, httplib::Response& res) {
  if (!check_key(req, res, "/v1/info")) return;
  if (!ready) return json_error(res, 503, "the model is loading");
  nlohmann::ordered_json info;
  info["model"] = engine->model_dir().filename().string();
  info["device"] = engine->device().str();
  info["precision"] = pipeline::to_string(engine->precision());
  info["conv_type"] = engine->conversation_template().name;
  info["version"] = LISA_VERSION;
  info["batch_size"] = options.batch_size;
  info["limits"] = {{"queue", options.queue},
                    {"max_body_bytes", options.max_body_bytes},
                    {"max_pixels", options.max_pixels},
                    {"max_new_tokens", options.max_new_tokens},
                    {"max_prompt_bytes", options.max_prompt_bytes},
                    {"max_history_turns", options.max_history_turns},
                    {"timeout_s", options.timeout_s}};
  res.set_content(info.dump(), kJson);
  metrics.count_request("/v1/info", 200);
}

SegmentRequest Server::State::read_request(const httplib::Request& req) {
  const std::string type = req.get_header_value("Content-Type");
  if (req.is_multipart_form_data()) {
    nlohmann::json fields = nlohmann::json::object();
    std::vector<uint8_t> image;
    for (const auto& [name, part] : req.files) {
      if (name == "image") image.assign(part.content.begin(), part.content.end());
      else fields[name] = form_field(name, part.content);
    }
    return parse_request(fields, std::move(image), limits);
  }
  if (starts_with(type, "application/json")) return parse_json_request(req.body, limits);
  throw HttpError(415, "send multipart/form-data (an \"image\" file and a \"prompt\") or application/json, not \"" +
                           type + "\"");
}

void Server::State::stream(const std::shared_ptr<Job>& job, httplib::Response& res) {
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");  // nginx: pass the events on as they come
  res.set_chunked_content_provider("text/event-stream", [this, job](size_t, httplib::DataSink& sink) {
    for (size_t next = 0;;) {
      std::optional<JobEvent> event = job->wait_event(next, kKeepAlive);
      if (!event && Clock::now() > job->deadline() + std::chrono::seconds(1))
        event = JobEvent{JobEvent::Kind::kError, R"({"error":"the request took longer than the server's timeout"})", 504};
      const std::string text =
          event ? std::string("event: ") + event_name(event->kind) + "\ndata: " + event->data + "\n\n" : ": waiting\n\n";
      if (!sink.write(text.data(), text.size())) {
        job->cancel();
        metrics.count_request("/v1/segment", 499);
        return false;
      }
      if (!event) continue;
      ++next;
      if (event->final()) {
        if (event->status != 200) job->cancel();
        metrics.count_request("/v1/segment", event->status);
        sink.done();
        return true;
      }
    }
  });
}

void Server::State::segment(const httplib::Request& req, httplib::Response& res) {
  if (!check_key(req, res, "/v1/segment")) return;
  Worker* active = ready_worker();
  if (!active) {
    res.set_header("Retry-After", "1");
    metrics.count_request("/v1/segment", 503);
    return json_error(res, 503, "the model is loading");
  }
  std::shared_ptr<Job> job;
  try {
    const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(options.timeout_s));
    job = std::make_shared<Job>(read_request(req), deadline);
  } catch (const HttpError& e) {
    metrics.count_request("/v1/segment", e.status);
    return json_error(res, e.status, e.what());
  }
  if (!active->submit(job)) {
    res.set_header("Retry-After", "1");
    metrics.count_request("/v1/segment", 503);
    return json_error(res, 503, "the server is busy (" + std::to_string(options.queue) + " requests queued): retry later");
  }
  if (req.get_param_value("stream") == "1" || req.get_header_value("Accept").find("text/event-stream") != std::string::npos)
    return stream(job, res);
  const ConnectionProbe client({req.local_addr, req.local_port, req.remote_addr, req.remote_port});
  const JobEvent event = job->wait_final([&client] { return client.peer_closed(); });
  if (event.status != 200) job->cancel();
  res.status = event.status;
  res.set_content(event.data, kJson);
  metrics.count_request("/v1/segment", event.status);
}

void Server::State::routes() {
  http.Get("/", [](const httplib::Request&, httplib::Response& res) {
    const std::string_view page = page_html();
    res.set_header("Content-Security-Policy",
                   "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                   "img-src data: blob:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'");
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_content(std::string(page), "text/html; charset=utf-8");
  });
  http.Get("/health", [this](const httplib::Request&, httplib::Response& res) { health(res); });
  http.Get("/v1/info", [this](const httplib::Request& req, httplib::Response& res) { info(req, res); });
  http.Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
    if (!check_key(req, res, "/metrics")) return;
    Worker* active = ready_worker();
    res.set_content(metrics.text(active ? active->queue_depth() : 0, active && active->busy(), ready),
                    "text/plain; version=0.0.4");
  });
  http.Post("/v1/segment", [this](const httplib::Request& req, httplib::Response& res) { segment(req, res); });
  if (!options.cors_origin.empty()) {
    http.Options(R"(/v1/.*|/metrics)", [](const httplib::Request&, httplib::Response& res) {
      res.status = 204;
      res.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
      res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type, X-API-Key");
      res.set_header("Access-Control-Max-Age", "600");
    });
    http.set_post_routing_handler([this](const httplib::Request&, httplib::Response& res) {
      res.set_header("Access-Control-Allow-Origin", options.cors_origin);
      res.set_header("Vary", "Origin");
    });
  }
  const size_t max_body = options.max_body_bytes;
  http.set_error_handler(httplib::Server::HandlerWithResponse([max_body](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    json_error(res, res.status, default_message(res.status, max_body));
    return httplib::Server::HandlerResponse::Handled;
  }));
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr error) {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      json_error(res, 500, "internal error: " + user_message(e));
    } catch (...) {
      json_error(res, 500, "internal error");
    }
  });
  if (options.log_requests)
    http.set_logger([](const httplib::Request& req, const httplib::Response& res) {
      std::cerr << "serve: " << req.method << " " << req.path << " " << res.status << "\n";
    });
}

Server::Server(ServerOptions options) : state_(std::make_unique<State>()) {
  // Debian's cpp-httplib is built to write without MSG_NOSIGNAL: a client gone mid-answer would
  // raise SIGPIPE, which ends the process. Process-wide, as every server needs it.
  std::signal(SIGPIPE, SIG_IGN);
  state_->options = std::move(options);
  State& state = *state_;
  state.http.set_payload_max_length(state.options.max_body_bytes);
  state.http.set_keep_alive_timeout(2);
  // Each request holds a connection thread while it waits for the worker: enough threads for the
  // queue, those being answered, and a few for /health, /metrics and the refusals.
  const size_t threads = state.options.queue + state.options.batch_size + 8;
  state.http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  state.routes();
}

Server::~Server() {
  stop();
  std::lock_guard lock(state_->mutex);
  state_->worker.reset();
}

int Server::bind() {
  State& state = *state_;
  if (state.options.port == 0) {
    const int port = state.http.bind_to_any_port(state.options.host);
    LISA_CHECK(port > 0, "serve: cannot listen on ", state.options.host, " (any port)");
    return port;
  }
  LISA_CHECK(state.http.bind_to_port(state.options.host, state.options.port), "serve: cannot listen on ",
             state.options.host, ":", state.options.port, " (in use, or not an address of this machine)");
  return state.options.port;
}

void Server::listen() { state_->http.listen_after_bind(); }

void Server::stop() { state_->http.stop(); }

void Server::set_engine(const pipeline::Engine& engine) {
  State& state = *state_;
  {
    std::lock_guard lock(state.mutex);
    state.engine = &engine;
    state.limits = request_limits(state.options, engine.conversation_template().name);
    state.worker = std::make_unique<Worker>(engine, state.options, state.metrics);
  }
  state.ready = true;
}

const Metrics& Server::metrics() const { return state_->metrics; }

}  // namespace lisa::server
