#include "eval/polygon_fill.h"

#include <chrono>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "lisa/render/coco_rle.h"

namespace lisa::eval {
namespace {

// Masks cv2 4.8 drew for random polygons (scripts/fixtures/make_fillpoly_fixture.py).
const std::string kFixture = std::string(LISA_TEST_DATA_DIR) + "/eval/fillpoly_opencv48.json";

TEST(PolygonFill, DrawsWhatOpenCv48FillPolyDraws) {
  std::ifstream in(kFixture);
  const nlohmann::json fixture = nlohmann::json::parse(in);
  ASSERT_EQ(fixture["cases"].size(), 400u);
  int outline_cases = 0, fill_mismatches = 0, outline_mismatches = 0;
  for (const auto& c : fixture["cases"]) {
    const int height = c["size"][0], width = c["size"][1];
    std::vector<cv::Point> polygon;
    for (const auto& p : c["points"]) polygon.emplace_back(p[0].get<int>(), p[1].get<int>());
    cv::Mat fill = cv::Mat::zeros(height, width, CV_8UC1);
    fill_polygon(fill, polygon, 1);
    const cv::Mat expected_fill = render::decode_rle({height, width, c["fill"]});
    if (cv::countNonZero(fill != expected_fill) != 0) {
      ++fill_mismatches;
      ADD_FAILURE() << "fill differs for " << c["points"].dump() << " in " << height << "x" << width;
    }
    // The outline comes from the linked OpenCV itself; check it draws as 4.8 does.
    cv::Mat outline = cv::Mat::zeros(height, width, CV_8UC1);
    cv::polylines(outline, polygon, true, cv::Scalar(1), 1, cv::LINE_8);
    outline_mismatches += cv::countNonZero(outline != render::decode_rle({height, width, c["outline"]})) != 0;
    ++outline_cases;
    if (fill_mismatches > 5) break;
  }
  EXPECT_EQ(fill_mismatches, 0);
  EXPECT_EQ(outline_mismatches, 0);
  EXPECT_EQ(outline_cases, 400);
}

// Draws on a thread and waits at most `limit`: a filler that walks every row of a polygon reaching
// +-2e9 takes many seconds, and must fail here rather than pass slowly. On a timeout the thread is
// left running on its own copies and the test fails.
std::optional<cv::Mat> fill_within(int height, int width, const std::vector<cv::Point>& polygon,
                                   std::chrono::seconds limit) {
  auto done = std::make_shared<std::promise<cv::Mat>>();
  auto result = done->get_future();
  std::thread([done, height, width, polygon] {
    cv::Mat mask = cv::Mat::zeros(height, width, CV_8UC1);
    fill_polygon(mask, polygon, 1);
    done->set_value(mask);
  }).detach();
  if (result.wait_for(limit) != std::future_status::ready) return std::nullopt;
  return result.get();
}

// Masks cv2 4.8 drew for polygons with points far outside the image, up to +-2e9
// (scripts/fixtures/make_far_polygon_fixture.py): the same masks, at a cost bounded by the image.
TEST(PolygonFill, FarPointsDrawWhatOpenCv48DrawsWithoutWalkingTheirRows) {
  std::ifstream in(std::string(LISA_TEST_DATA_DIR) + "/eval/fillpoly_far_opencv48.json");
  const nlohmann::json fixture = nlohmann::json::parse(in);
  ASSERT_EQ(fixture["cases"].size(), 62u);
  const auto start = std::chrono::steady_clock::now();
  int checked = 0;
  for (const auto& c : fixture["cases"]) {
    const int height = c["size"][0], width = c["size"][1];
    std::vector<cv::Point> polygon;
    for (const auto& p : c["points"]) polygon.emplace_back(p[0].get<int>(), p[1].get<int>());
    const auto fill = fill_within(height, width, polygon, std::chrono::seconds(10));
    ASSERT_TRUE(fill.has_value()) << "fill did not finish in 10 s for " << c["points"].dump();
    EXPECT_EQ(cv::countNonZero(*fill != render::decode_rle({height, width, c["fill"]})), 0)
        << "fill differs for " << c["points"].dump() << " in " << height << "x" << width;
    ++checked;
  }
  EXPECT_EQ(checked, 62);
  // Walking the rows would take seconds per case (OpenCV 4.8 itself takes about 20 s for each of
  // the two +-2e9 ones).
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(PolygonFill, RoundsSpanEndsAs48) {
  // A two-point polygon: its two edges coincide, and 4.8 fills the pixel right of the line on the
  // rows where the line's x is half a pixel or more past a pixel centre (the half-pixel shift of
  // inside edges), which OpenCV 4.6 does not.
  cv::Mat mask = cv::Mat::zeros(34, 8, CV_8UC1);
  fill_polygon(mask, {{3, 25}, {0, 1}}, 1);
  EXPECT_EQ(mask.at<uint8_t>(5, 0), 1);  // the outline
  EXPECT_EQ(mask.at<uint8_t>(5, 1), 1);  // the fill: x = 0.5 on row 5
  EXPECT_EQ(mask.at<uint8_t>(4, 1), 0);
  EXPECT_EQ(cv::countNonZero(mask), 25 + 3);
}

}  // namespace
}  // namespace lisa::eval
