// `lisa serve`: the HTTP server of lisa::server, with the model options of every command. It
// listens at once (GET /health answers 503 while the model loads) and stops on SIGINT / SIGTERM.
#include <pthread.h>

#include <csignal>
#include <fstream>
#include <iostream>
#include <thread>

#include "commands.h"
#include "lisa/error.h"
#include "lisa/pipeline/engine.h"
#include "lisa/server/server.h"
#include "model_options.h"

namespace lisa::cli {

namespace {
struct ServeArgs {
  ModelOptions model;
  server::ServerOptions server;
  std::string api_key_file;
  double max_body_mb = 20;
  bool quiet = false;
  int64_t batch_size = 1;
  int64_t max_kv_cache_mib = 8192;
};

std::string read_key_file(const std::string& path) {
  std::ifstream file(path);
  LISA_CHECK(file.good(), "serve: cannot read --api-key-file ", path);
  std::string key;
  std::getline(file, key);
  while (!key.empty() && (key.back() == '\r' || key.back() == ' ')) key.pop_back();
  LISA_CHECK(!key.empty(), "serve: --api-key-file ", path, " holds no key on its first line");
  return key;
}

bool loopback(const std::string& host) { return host == "127.0.0.1" || host == "::1" || host == "localhost"; }

// SIGINT and SIGTERM are blocked in every thread (the server's included, so set before they start)
// and taken by sigwait on a thread of their own, which stops the server.
sigset_t stop_signal_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}
}  // namespace

Action add_serve_command(CLI::App& app) {
  auto args = std::make_shared<ServeArgs>();
  auto* sub = app.add_subcommand("serve", "Serve the model over HTTP: a JSON / streaming API and a web page");
  sub->footer(
      "Endpoints: GET / (the page), GET /health, GET /v1/info, GET /metrics, POST /v1/segment (multipart or JSON,\n"
      "?stream=1 for server-sent events). See docs/serving.md. Binds 127.0.0.1 unless --host says otherwise;\n"
      "with a key every endpoint but / and /health needs it (Authorization: Bearer KEY or X-API-Key: KEY).");
  add_model_options(*sub, args->model);
  auto& s = args->server;
  sub->add_option("--host", s.host, "address to listen on")->capture_default_str();
  sub->add_option("--port", s.port, "port to listen on (0: any free one)")->capture_default_str()->check(CLI::Range(0, 65535));
  auto* key = sub->add_option("--api-key", s.api_key, "require this key (also from the environment)")->envname("LISA_API_KEY");
  sub->add_option("--api-key-file", args->api_key_file, "require the key on this file's first line")->excludes(key);
  sub->add_option("--queue", s.queue, "requests waiting for the worker; more are refused with 503")
      ->capture_default_str()->check(CLI::Range(size_t{1}, size_t{4096}));
  sub->add_option("--max-body-mb", args->max_body_mb, "largest request body (413 above)")
      ->capture_default_str()->check(CLI::Range(0.001, 4096.0));
  sub->add_option("--max-pixels", s.max_pixels, "largest picture, in pixels (400 above)")
      ->capture_default_str()->check(CLI::PositiveNumber);
  sub->add_option("--max-prompt-bytes", s.max_prompt_bytes, "longest prompt (413 above)")
      ->capture_default_str()->check(CLI::PositiveNumber);
  sub->add_option("--timeout", s.timeout_s, "seconds a request may take, queueing included (504 after)")
      ->capture_default_str()->check(CLI::PositiveNumber);
  sub->add_option("--cache-mb", s.cache_bytes, "memory for prepared images kept for follow-up questions, in MiB")
      ->transform([](std::string text) { return std::to_string(std::stoull(text) << 20); })
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--cors", s.cors_origin, "allow this origin (e.g. https://app.example.org) to call the API");
  add_batch_options(*sub, args->batch_size, args->max_kv_cache_mib);
  sub->add_flag("-q,--quiet", args->quiet, "do not log one line per request on stderr");
  return [args] {
    server::ServerOptions options = args->server;
    options.batch_size = static_cast<size_t>(args->batch_size);
    options.max_kv_cache_mib = args->max_kv_cache_mib;
    options.max_new_tokens = args->model.max_new_tokens;
    options.max_body_bytes = static_cast<size_t>(args->max_body_mb * 1024 * 1024);
    options.log_requests = !args->quiet;
    if (!args->api_key_file.empty()) options.api_key = read_key_file(args->api_key_file);
    if (!loopback(options.host) && options.api_key.empty())
      std::cerr << "serve: warning: listening on " << options.host
                << " without an API key: anyone who can reach it can use the model (--api-key-file)\n";

    const sigset_t signals = stop_signal_set();
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::unique_ptr<pipeline::Engine> engine;  // declared first: it outlives the server's worker
    server::Server server(options);
    const int port = server.bind();
    std::thread listener([&server] { server.listen(); });
    struct StopOnExit {
      server::Server& server;
      std::thread& listener;
      ~StopOnExit() {
        server.stop();
        listener.join();
      }
    } stop_on_exit{server, listener};
    std::cerr << "serve: listening on http://" << options.host << ":" << port
              << " (GET /health answers 503 until the model is loaded)" << std::endl;
    engine = pipeline::Engine::load(args->model.engine_options());
    server.set_engine(*engine);
    std::cerr << "serve: ready: " << engine->model_dir().filename().string() << " on " << engine->device().str()
              << ", " << pipeline::to_string(engine->precision()) << ", queue " << options.queue << ", batch " << options.batch_size << ", "
              << (options.api_key.empty() ? "no API key" : "API key required") << std::endl;
    int received = 0;
    sigwait(&signals, &received);
    std::cerr << "serve: " << (received == SIGINT ? "SIGINT" : "SIGTERM") << ": stopping" << std::endl;
    return 0;
  };
}

}  // namespace lisa::cli
