#include "lisa/eval/metrics.h"

#include "lisa/error.h"
#include "lisa/eval/ground_truth.h"

namespace lisa::eval {

Overlap overlap(const cv::Mat& prediction, const cv::Mat& ground_truth) {
  // Both are made at the size of the picture read: the ground truth by rasterise_ground_truth, the
  // prediction by SAM's postprocessing.
  LISA_INTERNAL_ASSERT(prediction.type() == CV_8UC1 && ground_truth.type() == CV_8UC1 &&
                           prediction.size() == ground_truth.size(),
                       "IoU: prediction ", prediction.cols, "x", prediction.rows, " and ground truth ",
                       ground_truth.cols, "x", ground_truth.rows, " must be single-channel 8-bit masks of the same size");
  int64_t intersection = 0, predicted = 0, target = 0;
  for (int y = 0; y < prediction.rows; ++y) {
    const uint8_t* p = prediction.ptr<uint8_t>(y);
    const uint8_t* g = ground_truth.ptr<uint8_t>(y);
    for (int x = 0; x < prediction.cols; ++x) {
      if (g[x] == kIgnoreValue) continue;
      const bool is_target = g[x] == kTargetValue;
      predicted += p[x] != 0;
      target += is_target;
      intersection += p[x] != 0 && is_target;
    }
  }
  return {intersection, predicted + target - intersection};
}

double image_iou(const Overlap& overlap) {
  if (overlap.union_area == 0) return 1.0;
  return static_cast<double>(overlap.intersection) / (static_cast<double>(overlap.union_area) + 1e-5);
}

Scores score(const std::vector<ImageResult>& results) {
  Scores scores;
  scores.n_images = static_cast<int64_t>(results.size());
  if (results.empty()) return scores;
  double iou_sum = 0;
  int64_t intersection = 0, union_area = 0;
  for (const ImageResult& r : results) {
    iou_sum += image_iou(r.overlap);
    intersection += r.overlap.intersection;
    union_area += r.overlap.union_area;
  }
  // validate(): AverageMeter.all_reduce leaves avg = sum / (count + 1e-5), and cIoU is
  // intersection_meter.sum / (union_meter.sum + 1e-10).
  scores.giou = iou_sum / (static_cast<double>(results.size()) + 1e-5);
  scores.ciou = static_cast<double>(intersection) / (static_cast<double>(union_area) + 1e-10);
  return scores;
}

SplitScores score_by_query_kind(const std::vector<ImageResult>& results) {
  std::vector<ImageResult> short_query, long_query;
  for (const ImageResult& r : results) (r.is_sentence ? long_query : short_query).push_back(r);
  return {score(results), score(short_query), score(long_query)};
}

}  // namespace lisa::eval
