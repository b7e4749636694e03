// Every JSON file a checkpoint directory brings: the same bytes are read as config.json (LISA),
// as a CLIP config.json, as preprocessor_config.json, as added_tokens.json and as the
// added_tokens_decoder of tokenizer_config.json.
#include "fuzz_target.h"
#include "lisa/config.h"
#include "lisa/io/added_tokens.h"

LISA_FUZZ_TARGET(config) {
  const auto config = lisa::fuzz::write_scratch_file("config.json", data, size);
  lisa::fuzz::rejecting_user_errors([&] { lisa::LisaConfig::load(config); });
  lisa::fuzz::rejecting_user_errors([&] { lisa::ClipVisionConfig::load(config); });
  const auto preprocessor = lisa::fuzz::write_scratch_file("preprocessor_config.json", data, size);
  lisa::fuzz::rejecting_user_errors([&] { lisa::load_clip_preprocess_config(preprocessor); });
  const auto added = lisa::fuzz::write_scratch_file("added/added_tokens.json", data, size);
  lisa::fuzz::rejecting_user_errors([&] { lisa::io::read_added_tokens(added.parent_path()); });
  const auto tokenizer_config = lisa::fuzz::write_scratch_file("decoder/tokenizer_config.json", data, size);
  lisa::fuzz::rejecting_user_errors([&] { lisa::io::read_added_tokens(tokenizer_config.parent_path()); });
}
