#pragma once
// A /v1/segment request, checked against the server's limits. JSON bodies and multipart forms are
// both turned into one JSON object of fields first, so they are validated by the same code.
//
// Fields: "prompt" (string, required), "image" (JSON: base64 string; multipart: the file part),
// "max_new_tokens" (1 .. limit), "force_seg" (bool), "conv_type" (must be the model's),
// "overlay" (bool: add a PNG with every mask, base64), "history": earlier turns about the same
// image, oldest first, each {"prompt", "text"} or {"prompt", "token_ids"} (the ids an earlier
// answer returned; preferred, because "text" has chat.py's display clean-up applied).
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lisa/server/options.h"

namespace lisa::server {

// A request the server refuses: the HTTP status and the message of its {"error": ...} body.
struct HttpError : std::runtime_error {
  HttpError(int http_status, const std::string& message) : std::runtime_error(message), status(http_status) {}
  int status;
};

struct HistoryTurn {
  std::string prompt;
  std::string text;                               // used when token_ids is absent
  std::optional<std::vector<int64_t>> token_ids;  // the earlier answer's ids
};

struct SegmentRequest {
  std::vector<uint8_t> image;  // encoded JPEG / PNG / BMP bytes
  std::string prompt;
  int64_t max_new_tokens = 512;
  bool force_seg = false;
  bool overlay = false;
  std::vector<HistoryTurn> history;
};

struct RequestLimits {
  size_t max_prompt_bytes = 4096;
  int64_t max_new_tokens = 512;
  size_t max_history_turns = 16;
  std::string conv_type;  // the model's; a request naming another one is refused
};
RequestLimits request_limits(const ServerOptions& options, std::string conv_type);

// Throws HttpError 400 naming the field when a field is missing, of the wrong type or out of range
// (413 for a prompt over the limit). `image` is the decoded upload, moved into the request.
SegmentRequest parse_request(const nlohmann::json& fields, std::vector<uint8_t> image, const RequestLimits& limits);

// The fields of a JSON body, its "image" decoded from base64 (400 for bad JSON or base64).
SegmentRequest parse_json_request(const std::string& body, const RequestLimits& limits);

// A multipart form's text fields as JSON values: "max_new_tokens" as an integer, "true" / "on" and
// "false" as booleans, "history" parsed as JSON; anything else kept as a string.
nlohmann::json form_field(const std::string& name, const std::string& value);

}  // namespace lisa::server
