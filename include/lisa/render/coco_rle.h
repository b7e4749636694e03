#pragma once
// COCO run-length encoding of binary masks, in the compressed string form pycocotools uses
// (`mask.encode` / `mask.decode` / `mask.area` / `mask.toBbox`), so masks written here load in
// any COCO tool unchanged.
#include <array>
#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>
#include <opencv2/core/mat.hpp>

namespace lisa::render {

// A mask of `height` x `width` pixels as pycocotools' compressed RLE: `counts` are the run
// lengths of the column-major pixel sequence, alternating 0-runs and 1-runs and starting with a
// (possibly empty) 0-run, written as a string of characters '0'..'o'.
struct CocoRle {
  int64_t height = 0;
  int64_t width = 0;
  std::string counts;
};

// mask: [H, W] CV_8UC1; any nonzero pixel is foreground (pycocotools would instead start a
// new run at every change of byte value, so it must be given 0 / 1 masks).
CocoRle encode_rle(const cv::Mat& mask);

// -> [H, W] CV_8UC1 with values 0 / 1. Throws lisa::Error when the string is malformed or its
// runs do not cover exactly height * width pixels.
cv::Mat decode_rle(const CocoRle& rle);

// Number of foreground pixels (pycocotools `area`).
int64_t rle_area(const CocoRle& rle);

// [x, y, w, h] of the foreground as pycocotools `toBbox` computes it; all zeros for an empty mask.
std::array<double, 4> rle_bbox(const CocoRle& rle);

// {"size": [H, W], "counts": "..."} — the JSON form COCO result files use.
nlohmann::json rle_to_json(const CocoRle& rle);
CocoRle rle_from_json(const nlohmann::json& value);

}  // namespace lisa::render
