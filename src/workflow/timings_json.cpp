#include "timings_json.h"

namespace lisa::workflow {

nlohmann::ordered_json timings_json(const pipeline::StageTimings& t) {
  return {{"preprocess", t.preprocess_ms}, {"clip", t.clip_ms},           {"sam_encoder", t.sam_encoder_ms},
          {"prefill", t.prefill_ms},       {"decode", t.decode_ms},       {"decode_tokens", t.decode_tokens},
          {"sam_decode", t.sam_decode_ms}, {"postprocess", t.postprocess_ms}, {"total", t.total_ms}};
}

}  // namespace lisa::workflow
