#pragma once
// `lisa serve`'s HTTP server (cpp-httplib): the routes, authentication, limits and streaming. It
// listens before the model is loaded (GET /health answers 503 until set_engine()), so that a
// supervisor sees the process come up.
//
//   GET  /            the page (public)          GET /health   503 loading, then 200 (public)
//   GET  /v1/info     model, device, limits       GET /metrics  Prometheus text
//   POST /v1/segment  multipart or JSON; ?stream=1 or Accept: text/event-stream for server-sent events
// Errors are {"error": "..."} with their status everywhere.
#include <memory>
#include <string>

#include "lisa/pipeline/engine.h"
#include "lisa/server/metrics.h"
#include "lisa/server/options.h"

namespace lisa::server {

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();  // stops listening, then the worker
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds options.host:options.port (port 0: a free one); returns the port. Throws lisa::Error.
  int bind();
  // Serves until stop(); call bind() first. Blocks.
  void listen();
  void stop();
  // The model is ready: the worker starts and /v1/segment is served. `engine` must outlive the server.
  void set_engine(const pipeline::Engine& engine);

  const Metrics& metrics() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Compares an API key in time that does not depend on where they differ (nor on their lengths).
bool same_key(const std::string& given, const std::string& expected);

}  // namespace lisa::server
