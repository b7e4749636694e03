#include "lisa/workflow/answer_record.h"

#include "lisa/render/coco_rle.h"

namespace lisa::workflow {

nlohmann::ordered_json mask_record(int64_t index, const cv::Mat& mask, float score, const std::string& file) {
  const auto rle = render::encode_rle(mask);
  const auto bbox = render::rle_bbox(rle);
  nlohmann::ordered_json entry;
  entry["index"] = index;
  if (!file.empty()) entry["file"] = file;
  entry["area"] = render::rle_area(rle);
  entry["bbox"] = {bbox[0], bbox[1], bbox[2], bbox[3]};
  entry["score"] = score;
  entry["rle"] = render::rle_to_json(rle);
  return entry;
}

nlohmann::ordered_json answer_record(const pipeline::Answer& answer, nlohmann::ordered_json masks) {
  nlohmann::ordered_json record;
  record["text"] = answer.text;
  record["token_ids"] = answer.token_ids;
  record["forced_seg"] = answer.forced_seg;
  record["masks"] = std::move(masks);
  record["timings_ms"] = timings_json(answer.timings);
  return record;
}

nlohmann::ordered_json timings_json(const pipeline::StageTimings& t) {
  return {{"preprocess", t.preprocess_ms}, {"clip", t.clip_ms},           {"sam_encoder", t.sam_encoder_ms},
          {"prefill", t.prefill_ms},       {"decode", t.decode_ms},       {"decode_tokens", t.decode_tokens},
          {"sam_decode", t.sam_decode_ms}, {"postprocess", t.postprocess_ms}, {"total", t.total_ms}};
}

}  // namespace lisa::workflow
