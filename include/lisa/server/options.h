#pragma once
// What `lisa serve` accepts and how much: the limits every request is checked against, safe by
// default (loopback only, bounded queue, body, picture, prompt and answer sizes).
#include <cstddef>
#include <cstdint>
#include <string>

namespace lisa::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;              // 0: any free port (tests)
  std::string api_key;          // empty: no key asked for
  size_t queue = 8;             // requests waiting behind the one being answered; more get 503
  size_t max_body_bytes = size_t{20} << 20;
  int64_t max_pixels = 25'000'000;
  int64_t max_new_tokens = 512;  // the most a request may ask for, and the default
  size_t max_prompt_bytes = 4096;
  size_t max_history_turns = 16;
  double timeout_s = 120;        // per request, from its arrival to its answer (queueing included)
  std::string cors_origin;       // empty: no CORS headers, so browsers allow same-origin pages only
  size_t cache_bytes = size_t{512} << 20;  // prepared images kept for follow-up questions
  size_t batch_size = 1;         // queued requests answered together (Context::ask_batch); 1: one at a time
  int64_t max_kv_cache_mib = 8192;  // bound on a batch's KV caches
  bool log_requests = false;     // one line per request on stderr: method, path, status (never a body)
};

}  // namespace lisa::server
