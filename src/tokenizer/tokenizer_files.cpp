#include "lisa/tokenizer/tokenizer_files.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "lisa/error.h"
#include "lisa/io/json_file.h"
#include "lisa/io/regular_file.h"

namespace lisa::tokenizer {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::optional<json> read_json_if_present(const fs::path& file) {
  if (!fs::exists(file)) return std::nullopt;
  json value = io::read_json_file(file);
  LISA_CHECK(value.is_object(), file.string(), ": expected a JSON object at the top level");
  return value;
}

bool read_flag(const json& object, const char* key, bool fallback, const fs::path& file, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  LISA_CHECK(it->is_boolean(), file.string(), ": '", where, key, "' must be true or false");
  return it->get<bool>();
}

// An AddedToken object: {"content": ..., "lstrip": ..., "rstrip": ...} (other fields only matter
// to fast tokenizers).
SpecialToken added_token_object(const json& value, const fs::path& file, const std::string& key) {
  const auto content = value.find("content");
  LISA_CHECK(content != value.end() && content->is_string(), file.string(), ": '", key,
             "' is an object without a string 'content'");
  SpecialToken token;
  token.content = content->get<std::string>();
  token.is_added_token_object = true;
  token.lstrip = read_flag(value, "lstrip", false, file, key + ".");
  token.rstrip = read_flag(value, "rstrip", false, file, key + ".");
  return token;
}

// tokenizer_config.json holds constructor arguments: objects must be tagged AddedToken there
// (an untagged dict makes the reference raise). special_tokens_map.json holds bare AddedToken fields.
SpecialToken token_value(const json& value, const fs::path& file, const std::string& key, bool require_type_tag) {
  if (value.is_string()) return SpecialToken{value.get<std::string>()};
  if (value.is_object()) {
    const auto type = value.find("__type");
    LISA_CHECK(!(require_type_tag && (type == value.end() || *type != "AddedToken")), file.string(), ": '", key,
               "' is an object but not an AddedToken");
    return added_token_object(value, file, key);
  }
  throw Error(detail::concat(file.string(), ": '", key, "' must be a string, an AddedToken object or null"));
}

std::vector<SpecialToken> token_list(const json& value, const fs::path& file, const std::string& key,
                                     bool require_type_tag) {
  LISA_CHECK(value.is_array(), file.string(), ": '", key, "' must be a list");
  std::vector<SpecialToken> tokens;
  for (const auto& item : value) tokens.push_back(token_value(item, file, key, require_type_tag));
  return tokens;
}

// Special-token attributes from tokenizer_config.json (constructor arguments) or from
// special_tokens_map.json (set on the tokenizer afterwards, overriding them); null unsets.
void apply_special_attributes(const json& source, const fs::path& file, bool constructor_arguments,
                              TokenizerFiles& files) {
  for (size_t i = 0; i < kSpecialTokenAttributes.size(); ++i) {
    const std::string key = kSpecialTokenAttributes[i];
    const auto it = source.find(key);
    if (it == source.end()) continue;
    if (it->is_null()) {
      files.special[i].reset();
      continue;
    }
    SpecialToken token = token_value(*it, file, key, /*require_type_tag=*/constructor_arguments);
    // LlamaTokenizer.__init__ turns plain-string bos/eos/unk/pad arguments into
    // AddedToken(lstrip=False, rstrip=False); strings set from special_tokens_map.json stay strings.
    const bool wrapped_by_llama = key == "bos_token" || key == "eos_token" || key == "unk_token" || key == "pad_token";
    if (constructor_arguments && wrapped_by_llama) token.is_added_token_object = true;
    files.special[i] = token;
  }
  const auto additional = source.find("additional_special_tokens");
  if (additional == source.end()) return;
  files.additional_special.clear();
  if (!additional->is_null())
    files.additional_special = token_list(*additional, file, "additional_special_tokens", constructor_arguments);
}

void apply_tokenizer_config(const json& config, const fs::path& file, TokenizerFiles& files) {
  LISA_CHECK(read_flag(config, "legacy", true, file, ""), file.string(),
             ": 'legacy' is false; only the legacy LlamaTokenizer behaviour (the default in transformers 4.31, and "
             "what LISA checkpoints use) is reproduced");
  const auto kwargs = config.find("sp_model_kwargs");
  LISA_CHECK(kwargs == config.end() || kwargs->is_null() || (kwargs->is_object() && kwargs->empty()), file.string(),
             ": 'sp_model_kwargs' is not empty; SentencePiece options such as sampling are not supported");
  files.add_bos_token = read_flag(config, "add_bos_token", files.add_bos_token, file, "");
  files.add_eos_token = read_flag(config, "add_eos_token", files.add_eos_token, file, "");
  files.clean_up_tokenization_spaces =
      read_flag(config, "clean_up_tokenization_spaces", files.clean_up_tokenization_spaces, file, "");

  apply_special_attributes(config, file, /*constructor_arguments=*/true, files);
}

std::vector<std::pair<std::string, int64_t>> read_added_tokens(const json& map, const fs::path& file) {
  std::vector<std::pair<std::string, int64_t>> tokens;
  for (const auto& [text, id] : map.items()) {
    LISA_CHECK(id.is_number_integer(), file.string(), ": the id of '", text, "' is not an integer");
    LISA_CHECK(!text.empty(), file.string(), ": an added token is the empty string");
    tokens.emplace_back(text, id.get<int64_t>());
  }
  std::sort(tokens.begin(), tokens.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  return tokens;
}

constexpr const char* kMaskToken = "[SEG]";

// LISA's masks come from its [SEG] token: a tokenizer without it can never produce one, so the
// checkpoint is refused when it is read instead of failing on every question.
void require_seg_token(const TokenizerFiles& files, const fs::path& added_file) {
  for (const auto& [text, id] : files.added_tokens)
    if (text == kMaskToken) return;
  // A special token the vocabulary lacks is appended like an added token (sanitize_special_tokens).
  for (const SpecialToken& token : files.all_special())
    if (token.content == kMaskToken) return;
  throw Error(detail::concat(added_file.string(), ": no ", kMaskToken, " token (LISA's mask token must be an added token; ",
                             fs::exists(added_file) ? "the file does not list it" : "the file is missing",
                             "), so this is not a LISA checkpoint"));
}

}  // namespace

const std::optional<SpecialToken>& TokenizerFiles::attribute(const std::string& name) const {
  const auto known = std::find(kSpecialTokenAttributes.begin(), kSpecialTokenAttributes.end(), name);
  LISA_INTERNAL_ASSERT(known != kSpecialTokenAttributes.end(), "unknown special-token attribute '", name, "'");
  return special[static_cast<size_t>(known - kSpecialTokenAttributes.begin())];
}

std::vector<SpecialToken> TokenizerFiles::all_special() const {
  std::vector<SpecialToken> tokens;
  for (const auto& token : special)
    if (token && !token->content.empty()) tokens.push_back(*token);
  for (const auto& token : additional_special) tokens.push_back(token);
  return tokens;
}

TokenizerFiles TokenizerFiles::read(const fs::path& checkpoint_dir) {
  TokenizerFiles files;
  files.model_file = checkpoint_dir / "tokenizer.model";
  LISA_CHECK(fs::exists(files.model_file), files.model_file.string(),
             ": missing (the SentencePiece model of the checkpoint)");
  io::RegularFile::open(files.model_file);  // a FIFO or folder is refused here, before SentencePiece opens it

  // LlamaTokenizer's constructor defaults.
  files.special[0] = SpecialToken{"<s>", true};
  files.special[1] = SpecialToken{"</s>", true};
  files.special[2] = SpecialToken{"<unk>", true};

  const fs::path config_file = checkpoint_dir / "tokenizer_config.json";
  if (const auto config = read_json_if_present(config_file)) apply_tokenizer_config(*config, config_file, files);
  const fs::path map_file = checkpoint_dir / "special_tokens_map.json";
  if (const auto map = read_json_if_present(map_file)) apply_special_attributes(*map, map_file, /*constructor_arguments=*/false, files);
  const fs::path added_file = checkpoint_dir / "added_tokens.json";
  if (const auto added = read_json_if_present(added_file)) files.added_tokens = read_added_tokens(*added, added_file);
  require_seg_token(files, added_file);
  return files;
}

}  // namespace lisa::tokenizer
