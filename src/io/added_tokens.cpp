#include "lisa/io/added_tokens.h"

#include <algorithm>

#include "lisa/error.h"
#include "lisa/io/json_file.h"

namespace lisa::io {

namespace {
int64_t parse_id(const std::string& text, const std::filesystem::path& file) {
  size_t used = 0;
  int64_t id = -1;
  try {
    id = std::stoll(text, &used);
  } catch (const std::exception&) {
  }
  LISA_CHECK(used == text.size() && id >= 0, file.string(), ": '", text, "' is not a token id");
  return id;
}
}  // namespace

std::vector<AddedToken> read_added_tokens(const std::filesystem::path& dir) {
  std::vector<AddedToken> tokens;
  const auto added = dir / "added_tokens.json";
  const auto tokenizer_config = dir / "tokenizer_config.json";
  if (std::filesystem::is_regular_file(added)) {
    const auto json = read_json_file(added);
    LISA_CHECK(json.is_object(), added.string(), ": expected an object of token -> id");
    for (const auto& [content, id] : json.items()) {
      LISA_CHECK(id.is_number_integer() && id.get<int64_t>() >= 0, added.string(), ": token '", content,
                 "' has no valid id");
      tokens.push_back({id.get<int64_t>(), content});
    }
  } else if (std::filesystem::is_regular_file(tokenizer_config)) {
    const auto json = read_json_file(tokenizer_config);
    auto decoder = json.is_object() ? json.find("added_tokens_decoder") : json.end();
    if (json.is_object() && decoder != json.end()) {
      LISA_CHECK(decoder->is_object(), tokenizer_config.string(), ": added_tokens_decoder is not an object");
      for (const auto& [id, token] : decoder->items()) {
        auto content = token.is_object() ? token.find("content") : token.end();
        LISA_CHECK(token.is_object() && content != token.end() && content->is_string(), tokenizer_config.string(),
                   ": added token ", id, " has no string 'content'");
        tokens.push_back({parse_id(id, tokenizer_config), content->get<std::string>()});
      }
    }
  }
  std::sort(tokens.begin(), tokens.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return tokens;
}

}  // namespace lisa::io
