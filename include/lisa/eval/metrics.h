#pragma once
// ReasonSeg scores as LISA's train_ds.py validate() computes them with
// intersectionAndUnionGPU(prediction, ground_truth, K=2, ignore_index=255): only the foreground
// class's intersection and union are kept.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

namespace lisa::eval {

struct Overlap {
  int64_t intersection = 0;  // predicted and target
  int64_t union_area = 0;    // predicted or target
};

// prediction: [H, W] CV_8UC1, nonzero = predicted foreground. ground_truth: [H, W] CV_8UC1 from
// rasterise_ground_truth. Pixels where the ground truth is 255 count for nothing; the ground
// truth's 1s are the target and any other value is background.
Overlap overlap(const cv::Mat& prediction, const cv::Mat& ground_truth);

// Per-image IoU: intersection / (union + 1e-5), and 1.0 for an empty union (nothing predicted,
// nothing to find).
double image_iou(const Overlap& overlap);

// One evaluated image, as results.jsonl and per_image.csv record it.
struct ImageResult {
  std::string image;  // file name in the split, e.g. "abc.jpg"
  Overlap overlap;
  bool is_sentence = false;
  int n_seg = 0;  // [SEG] tokens in the answer that gave the prediction; 0: empty prediction
};

struct Scores {
  int64_t n_images = 0;
  std::optional<double> giou;  // sum of image_iou / (n_images + 1e-5); empty when there are no images
  std::optional<double> ciou;  // sum of intersections / (sum of unions + 1e-10)
};

// giou / ciou with the formulas of the reference's validate(): its AverageMeter.avg divides the
// summed per-image IoUs by (count + 1e-5), and cIoU divides the summed intersections by (summed
// unions + 1e-10). Computed in float64 from exact pixel counts (the reference sums in float32).
Scores score(const std::vector<ImageResult>& results);

struct SplitScores {
  Scores all;
  Scores short_query;  // is_sentence == false
  Scores long_query;   // is_sentence == true
};

SplitScores score_by_query_kind(const std::vector<ImageResult>& results);

}  // namespace lisa::eval
