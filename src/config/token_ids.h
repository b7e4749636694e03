#pragma once
// Token ids that other files of a checkpoint give, checked where they meet config.json: each must
// be a row of the embedding and lm_head, i.e. in [0, vocab_size).
#include <filesystem>

#include "lisa/config.h"

namespace lisa::config {

// added_tokens.json's ids and generation_config.json's eos_token_id (an id or a list of ids) in
// `dir`; an absent file is skipped (its reader decides whether it is needed). Throws lisa::Error
// naming the file, the field or token, and `config_file`'s vocab_size.
void check_token_ids(const LisaConfig& config, const std::filesystem::path& dir,
                     const std::filesystem::path& config_file);

}  // namespace lisa::config
