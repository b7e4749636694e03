#include "lisa/eval/metrics.h"

#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "lisa/error.h"
#include "lisa/eval/ground_truth.h"
#include "test_render_support.h"

namespace lisa::eval {
namespace {

cv::Mat mask_of(const char* rows[], int height) {
  const int width = static_cast<int>(std::strlen(rows[0]));
  cv::Mat mask(height, width, CV_8UC1);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const char c = rows[y][x];
      mask.at<uint8_t>(y, x) = c == 'i' ? kIgnoreValue : c == '1' ? 1 : c == '2' ? 2 : 0;
    }
  }
  return mask;
}

TEST(Overlap, CountsTargetPixelsAndSkipsIgnoredOnes) {
  const char* prediction_rows[] = {"1100", "1111", "0000"};
  const char* truth_rows[] = {"1ii0", "0112", "1100"};
  const Overlap o = overlap(mask_of(prediction_rows, 3), mask_of(truth_rows, 3));
  // predicted outside ignored pixels: 5 (one on a value-2 pixel, which is background);
  // target: 5; both: 3.
  EXPECT_EQ(o.intersection, 3);
  EXPECT_EQ(o.union_area, 5 + 5 - 3);
  cv::Mat prediction = mask_of(prediction_rows, 3) * 255;  // any nonzero value predicts
  EXPECT_EQ(overlap(prediction, mask_of(truth_rows, 3)).union_area, 7);
  EXPECT_THROW(overlap(prediction, cv::Mat::zeros(3, 5, CV_8UC1)), InternalError);
}

TEST(ImageIou, AddsTheEpsilonAndScoresEmptyUnionsAsOne) {
  EXPECT_DOUBLE_EQ(image_iou({3, 6}), 3.0 / (6.0 + 1e-5));
  EXPECT_EQ(image_iou({0, 0}), 1.0);
  EXPECT_EQ(image_iou({0, 5}), 0.0);
}

// validate()'s AverageMeter.avg is sum / (count + 1e-5); its cIoU is sum(I) / (sum(U) + 1e-10).
TEST(Scores, AreValidatesMeanIouAndPooledRatioPerQueryKind) {
  const std::vector<ImageResult> results = {
      {"a.jpg", {3, 6}, false, 1}, {"b.jpg", {0, 0}, true, 0}, {"c.jpg", {10, 40}, true, 1}};
  const SplitScores s = score_by_query_kind(results);
  EXPECT_EQ(s.all.n_images, 3);
  EXPECT_DOUBLE_EQ(*s.all.giou, (3.0 / (6 + 1e-5) + 1.0 + 10.0 / (40 + 1e-5)) / (3 + 1e-5));
  EXPECT_DOUBLE_EQ(*s.all.ciou, 13.0 / (46.0 + 1e-10));
  EXPECT_EQ(s.short_query.n_images, 1);
  EXPECT_DOUBLE_EQ(*s.short_query.ciou, 3.0 / (6.0 + 1e-10));
  EXPECT_EQ(s.long_query.n_images, 2);
  EXPECT_DOUBLE_EQ(*s.long_query.giou, (1.0 + 10.0 / (40 + 1e-5)) / (2 + 1e-5));
  EXPECT_DOUBLE_EQ(*s.long_query.ciou, 10.0 / (40.0 + 1e-10));
  // The 1e-5 moves a single perfect image below 1, as in the reference.
  EXPECT_LT(*score({{"p.jpg", {0, 0}, false, 1}}).giou, 1.0);
  const Scores none = score({});
  EXPECT_EQ(none.n_images, 0);
  EXPECT_FALSE(none.giou.has_value());
  EXPECT_FALSE(none.ciou.has_value());
  EXPECT_EQ(*score({{"z.jpg", {0, 0}, false, 1}}).ciou, 0.0);  // the reference's sum(I)/(sum(U)+1e-10)
}

// Intersections / unions from LISA's intersectionAndUnionGPU, IoUs by train_ds.py validate()'s rule
// (float32 there), giou / ciou as mean / ratio (scripts/fixtures/make_reasonseg_fixture.py).
TEST(Scores, MatchLisaOnTheEdgeSplit) {
  const std::filesystem::path split = lisa::testing::reasonseg_edge_split();
  std::ifstream in(split / "expected.json");
  const nlohmann::json expected = nlohmann::json::parse(in);
  std::vector<ImageResult> results;
  for (const auto& e : expected["images"]) {
    const std::string name = e["image"];
    SCOPED_TRACE(name);
    const std::string stem = std::filesystem::path(name).stem().string();
    const cv::Mat image = cv::imread((split / "val" / name).string());
    const ReasonSegAnnotation annotation = read_reasonseg_json(split / "val" / (stem + ".json"));
    const cv::Mat truth = rasterise_ground_truth(annotation, image.rows, image.cols);
    const cv::Mat prediction = cv::imread((split / "pred" / (stem + ".png")).string(), cv::IMREAD_UNCHANGED);
    const ImageResult r{name, overlap(prediction, truth), annotation.is_sentence, 1};
    EXPECT_EQ(r.overlap.intersection, e["intersection"].get<int64_t>());
    EXPECT_EQ(r.overlap.union_area, e["union"].get<int64_t>());
    EXPECT_EQ(r.is_sentence, e["is_sentence"].get<bool>());
    // The reference's IoU is float32; ours is that quotient in float64.
    EXPECT_FLOAT_EQ(static_cast<float>(image_iou(r.overlap)), e["iou"].get<float>());
    results.push_back(r);
  }
  ASSERT_EQ(results.size(), 6u);
  const Scores s = score(results);
  // The fixture's giou is the plain mean of the six (make_reasonseg_fixture.py); validate() divides
  // their sum by (6 + 1e-5).
  EXPECT_NEAR(*s.giou, expected["giou"].get<double>() * 6 / (6 + 1e-5), 1e-7);
  EXPECT_NEAR(*s.ciou, expected["ciou"].get<double>(), 1e-12);
}

}  // namespace
}  // namespace lisa::eval
