#include "config/token_ids.h"

#include "lisa/error.h"
#include "lisa/io/json_file.h"

namespace lisa::config {

namespace {

void check_id(const nlohmann::json& id, const std::filesystem::path& file, const std::string& what,
              const LisaConfig& config, const std::filesystem::path& config_file) {
  LISA_CHECK(id.is_number_integer(), file.string(), ": ", what, " must be an integer token id, not ", id.dump());
  const bool in_vocabulary = id.is_number_unsigned() ? id.get<uint64_t>() < static_cast<uint64_t>(config.vocab_size)
                                                     : id.get<int64_t>() >= 0 && id.get<int64_t>() < config.vocab_size;
  LISA_CHECK(in_vocabulary, file.string(), ": ", what, " is ", id.dump(), ", outside the vocabulary of ",
             config.vocab_size, " tokens (vocab_size in ", config_file.string(), ")");
}

}  // namespace

void check_token_ids(const LisaConfig& config, const std::filesystem::path& dir,
                     const std::filesystem::path& config_file) {
  const auto added_file = dir / "added_tokens.json";
  if (std::filesystem::exists(added_file)) {
    const auto added = io::read_json_file(added_file);
    LISA_CHECK(added.is_object(), added_file.string(), ": expected an object of token -> id");
    for (const auto& [token, id] : added.items()) check_id(id, added_file, "the id of '" + token + "'", config, config_file);
  }
  const auto generation_file = dir / "generation_config.json";
  if (std::filesystem::exists(generation_file)) {
    const auto generation = io::read_json_file(generation_file);
    LISA_CHECK(generation.is_object(), generation_file.string(), ": expected a JSON object");
    const auto eos = generation.find("eos_token_id");
    if (eos == generation.end() || eos->is_null()) return;
    if (!eos->is_array()) return check_id(*eos, generation_file, "field 'eos_token_id'", config, config_file);
    LISA_CHECK(!eos->empty(), generation_file.string(), ": field 'eos_token_id' is an empty list");
    for (const auto& id : *eos) check_id(id, generation_file, "field 'eos_token_id'", config, config_file);
  }
}

}  // namespace lisa::config
