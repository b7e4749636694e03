#include "lisa/server/request.h"

#include <cerrno>
#include <cstdlib>

#include "base64.h"

namespace lisa::server {

namespace {

[[noreturn]] void bad(const std::string& message) { throw HttpError(400, message); }

bool boolean_field(const nlohmann::json& fields, const char* name) {
  if (!fields.contains(name)) return false;
  const auto& value = fields[name];
  if (!value.is_boolean()) bad(std::string("\"") + name + "\" must be true or false");
  return value.get<bool>();
}

std::string string_field(const nlohmann::json& object, const char* name, const std::string& where) {
  if (!object.contains(name) || !object[name].is_string()) bad(where + "\"" + name + "\" (a string) is missing");
  return object[name].get<std::string>();
}

std::vector<HistoryTurn> history_field(const nlohmann::json& fields, const RequestLimits& limits) {
  std::vector<HistoryTurn> turns;
  if (!fields.contains("history")) return turns;
  const auto& history = fields["history"];
  if (!history.is_array()) bad("\"history\" must be an array of {\"prompt\", \"text\" or \"token_ids\"}");
  if (history.size() > limits.max_history_turns)
    bad("\"history\" has " + std::to_string(history.size()) + " turns, the limit is " +
        std::to_string(limits.max_history_turns));
  for (size_t i = 0; i < history.size(); ++i) {
    const auto& turn = history[i];
    const std::string where = "history[" + std::to_string(i) + "]: ";
    if (!turn.is_object()) bad(where + "not an object");
    HistoryTurn parsed;
    parsed.prompt = string_field(turn, "prompt", where);
    if (parsed.prompt.size() > limits.max_prompt_bytes) throw HttpError(413, where + "prompt over the limit");
    if (turn.contains("token_ids")) {
      const auto& ids = turn["token_ids"];
      if (!ids.is_array() || ids.size() > static_cast<size_t>(limits.max_new_tokens) + 1)
        bad(where + "\"token_ids\" must be an array of at most max_new_tokens + 1 ids");
      parsed.token_ids.emplace();
      for (const auto& id : ids) {
        if (!id.is_number_integer() || id.get<int64_t>() < 0) bad(where + "\"token_ids\" holds a non-id");
        parsed.token_ids->push_back(id.get<int64_t>());
      }
    } else {
      parsed.text = string_field(turn, "text", where);
      if (parsed.text.size() > limits.max_prompt_bytes * 4) throw HttpError(413, where + "text over the limit");
    }
    turns.push_back(std::move(parsed));
  }
  return turns;
}

}  // namespace

RequestLimits request_limits(const ServerOptions& options, std::string conv_type) {
  return {options.max_prompt_bytes, options.max_new_tokens, options.max_history_turns, std::move(conv_type)};
}

SegmentRequest parse_request(const nlohmann::json& fields, std::vector<uint8_t> image, const RequestLimits& limits) {
  if (!fields.is_object()) bad("the body must be a JSON object");
  SegmentRequest request;
  request.prompt = string_field(fields, "prompt", "");
  if (request.prompt.empty()) bad("\"prompt\" is empty");
  if (request.prompt.size() > limits.max_prompt_bytes)
    throw HttpError(413, "\"prompt\" has " + std::to_string(request.prompt.size()) + " bytes, the limit is " +
                             std::to_string(limits.max_prompt_bytes));
  if (image.empty()) bad("\"image\" is missing or empty");
  request.image = std::move(image);
  request.max_new_tokens = limits.max_new_tokens;
  if (fields.contains("max_new_tokens")) {
    const auto& value = fields["max_new_tokens"];
    if (!value.is_number_integer() || value.get<int64_t>() < 1 || value.get<int64_t>() > limits.max_new_tokens)
      bad("\"max_new_tokens\" must be an integer from 1 to " + std::to_string(limits.max_new_tokens));
    request.max_new_tokens = value.get<int64_t>();
  }
  request.force_seg = boolean_field(fields, "force_seg");
  request.overlay = boolean_field(fields, "overlay");
  if (fields.contains("conv_type")) {
    if (!fields["conv_type"].is_string() || fields["conv_type"].get<std::string>() != limits.conv_type)
      bad("\"conv_type\": this server's model answers with \"" + limits.conv_type + "\" only");
  }
  request.history = history_field(fields, limits);
  return request;
}

SegmentRequest parse_json_request(const std::string& body, const RequestLimits& limits) {
  nlohmann::json fields;
  try {
    fields = nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception&) {
    bad("the body is not valid JSON");
  }
  if (!fields.is_object()) bad("the body must be a JSON object");
  std::vector<uint8_t> image;
  if (fields.contains("image")) {
    if (!fields["image"].is_string()) bad("\"image\" must be a base64 string");
    auto decoded = base64_decode(fields["image"].get<std::string>());
    if (!decoded) bad("\"image\" is not valid base64");
    image = std::move(*decoded);
  }
  return parse_request(fields, std::move(image), limits);
}

nlohmann::json form_field(const std::string& name, const std::string& value) {
  if (name == "history") {
    try {
      return nlohmann::json::parse(value);
    } catch (const nlohmann::json::exception&) {
      bad("\"history\" is not valid JSON");
    }
  }
  if (name != "max_new_tokens") {
    if (value == "true" || value == "on") return true;
    if (value == "false") return false;
    return value;
  }
  errno = 0;
  char* end = nullptr;
  const long long number = std::strtoll(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || errno == ERANGE) bad("\"max_new_tokens\" must be an integer");
  return number;
}

}  // namespace lisa::server
