#pragma once
// The JSON of one answer, as `lisa segment` writes it into results.jsonl and `lisa serve` returns it
// from /v1/segment: one builder for both, so that the two can never disagree on a field, the RLE or
// a number.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>
#include <opencv2/core/mat.hpp>

#include "lisa/pipeline/answer.h"

namespace lisa::workflow {

// {"index", "file" (only when `file` is not empty), "area", "bbox": [x, y, w, h], "score",
//  "rle": {"size": [H, W], "counts"}} of `mask` ([H, W] CV_8UC1, 0 / 255, render::mask_image).
nlohmann::ordered_json mask_record(int64_t index, const cv::Mat& mask, float score, const std::string& file = "");

// {"text", "token_ids", "forced_seg", "masks", "timings_ms"}: `masks` holds the answer's
// mask_record()s in index order.
nlohmann::ordered_json answer_record(const pipeline::Answer& answer, nlohmann::ordered_json masks);

// {"preprocess": ms, "clip", "sam_encoder", "prefill", "decode", "decode_tokens", "sam_decode",
//  "postprocess", "total"}
nlohmann::ordered_json timings_json(const pipeline::StageTimings& timings);

}  // namespace lisa::workflow
