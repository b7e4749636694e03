#pragma once
#include <nlohmann/json.hpp>

#include "lisa/pipeline/answer.h"

namespace lisa::workflow {

// {"preprocess": ms, "clip": ..., "sam_encoder", "prefill", "decode", "decode_tokens", "sam_decode",
//  "postprocess", "total"} as written into results files.
nlohmann::ordered_json timings_json(const pipeline::StageTimings& timings);

}  // namespace lisa::workflow
