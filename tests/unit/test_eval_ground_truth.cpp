#include "lisa/eval/ground_truth.h"

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "lisa/error.h"

namespace lisa::eval {
namespace {

// Masks drawn by LISA's get_mask_from_json (scripts/fixtures/make_reasonseg_fixture.py).
const std::filesystem::path kEdgeSplit = std::filesystem::path(LISA_TEST_DATA_DIR) / "eval/reasonseg_edge";

bool same_mask(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

TEST(GroundTruth, EqualsLisaOnEdgeCases) {
  int checked = 0;
  for (const auto& sample : list_reasonseg_split(kEdgeSplit / "val")) {
    SCOPED_TRACE(sample.image.string());
    const cv::Mat image = cv::imread(sample.image.string(), cv::IMREAD_COLOR);
    const cv::Mat expected =
        cv::imread((kEdgeSplit / "gt" / sample.image.filename().replace_extension(".png")).string(),
                   cv::IMREAD_UNCHANGED);
    ASSERT_FALSE(expected.empty());
    const cv::Mat got = rasterise_ground_truth(read_reasonseg_json(sample.json), image.rows, image.cols);
    EXPECT_TRUE(same_mask(got, expected)) << "pixels differing: " << cv::countNonZero(got != expected);
    ++checked;
  }
  EXPECT_EQ(checked, 6);
}

ReasonSegShape shape(const std::string& label, std::vector<std::array<double, 2>> points) {
  return {label, std::move(points)};
}

TEST(GroundTruth, LargerShapesAreDrawnFirst) {
  ReasonSegAnnotation a;
  a.shapes = {shape("target", {{2, 2}, {4, 2}, {4, 4}, {2, 4}}),
              shape("Ignore", {{0, 0}, {7, 0}, {7, 7}, {0, 7}})};
  const cv::Mat gt = rasterise_ground_truth(a, 8, 8);
  EXPECT_EQ(gt.at<uint8_t>(3, 3), kTargetValue);  // the small target stays on top
  EXPECT_EQ(gt.at<uint8_t>(0, 0), kIgnoreValue);
  EXPECT_EQ(gt.at<uint8_t>(7, 7), kIgnoreValue);  // the outline is part of the shape
}

TEST(GroundTruth, TruncatesCoordinatesTowardZero) {
  ReasonSegAnnotation a;
  a.shapes = {shape("t", {{-0.9, -0.9}, {2.99, -0.5}, {2.99, 2.99}, {-0.5, 2.99}})};
  const cv::Mat gt = rasterise_ground_truth(a, 5, 5);
  EXPECT_EQ(cv::countNonZero(gt), 9);  // (0,0)-(2,2)
  EXPECT_EQ(gt.at<uint8_t>(2, 2), kTargetValue);
  EXPECT_EQ(gt.at<uint8_t>(3, 3), 0);
}

TEST(GroundTruth, SkipsFlagsOnlyByExactLabel) {
  ReasonSegAnnotation a;
  a.shapes = {shape("FLAG", {{0, 0}, {3, 0}, {3, 3}}), shape("flagpole", {{5, 5}})};
  const cv::Mat gt = rasterise_ground_truth(a, 8, 8);
  EXPECT_EQ(cv::countNonZero(gt), 1);
  EXPECT_EQ(gt.at<uint8_t>(5, 5), kTargetValue);
}

TEST(GroundTruth, RejectsShapesTheReferenceCannotDraw) {
  ReasonSegAnnotation a;
  a.shapes = {shape("t", {})};
  EXPECT_THROW(rasterise_ground_truth(a, 4, 4), Error);
  a.shapes = {shape("t", {{1, 1}, {3e9, 1}, {1, 2}})};
  EXPECT_THROW(rasterise_ground_truth(a, 4, 4), Error);
  a.shapes = {shape("t", {{1, 1}, {std::nan(""), 1}, {1, 2}})};
  EXPECT_THROW(rasterise_ground_truth(a, 4, 4), Error);
  a.shapes = {shape("flag", {})};  // skipped before it is drawn
  EXPECT_EQ(cv::countNonZero(rasterise_ground_truth(a, 4, 4)), 0);
}

}  // namespace
}  // namespace lisa::eval
