#include "lisa/render/coco_rle.h"

#include <cstdlib>
#include <fstream>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "lisa/error.h"

namespace lisa::render {
namespace {

const std::string kRenderData = std::string(LISA_TEST_DATA_DIR) + "/render/";

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  return nlohmann::json::parse(in);
}

cv::Mat mask_from_rows(const nlohmann::json& rows, int height, int width) {
  cv::Mat mask = cv::Mat::zeros(height, width, CV_8UC1);
  for (int y = 0; y < height; ++y) {
    const std::string row = rows.at(y).get<std::string>();
    for (int x = 0; x < width; ++x) mask.at<uint8_t>(y, x) = row.at(x) == '1';
  }
  return mask;
}

// A fixture mask: "rows" of '0'/'1' characters, or half-open "rectangles" [x0, y0, x1, y1].
cv::Mat fixture_mask(const nlohmann::json& c) {
  const int height = c["size"][0], width = c["size"][1];
  if (c.contains("rows")) return mask_from_rows(c["rows"], height, width);
  cv::Mat mask = cv::Mat::zeros(height, width, CV_8UC1);
  for (const auto& r : c["rectangles"]) {
    mask(cv::Rect(cv::Point(r[0], r[1]), cv::Point(r[2], r[3]))).setTo(1);
  }
  return mask;
}

bool same_mask(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::countNonZero(a != b) == 0;
}

std::array<double, 4> bbox_of(const nlohmann::json& c) { return c["bbox"].get<std::array<double, 4>>(); }

TEST(CocoRle, EncodesLikePycocotools) {
  const auto fixture = read_json(kRenderData + "rle_pycocotools.json");
  ASSERT_GE(fixture["cases"].size(), 10u);
  for (const auto& c : fixture["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const cv::Mat mask = fixture_mask(c);
    const CocoRle rle = encode_rle(mask);
    EXPECT_EQ(rle.height, c["size"][0].get<int64_t>());
    EXPECT_EQ(rle.width, c["size"][1].get<int64_t>());
    EXPECT_EQ(rle.counts, c["counts"].get<std::string>());
    EXPECT_TRUE(same_mask(decode_rle(rle), mask));
    EXPECT_EQ(rle_area(rle), c["area"].get<int64_t>());
    EXPECT_EQ(rle_bbox(rle), bbox_of(c));
  }
}

TEST(CocoRle, DecodesPycocotoolsStringsItWouldNotWrite) {
  const auto fixture = read_json(kRenderData + "rle_pycocotools.json");
  for (const auto& c : fixture["decode_only"]) {
    const CocoRle rle = rle_from_json(c);
    SCOPED_TRACE(rle.counts);
    EXPECT_TRUE(same_mask(decode_rle(rle), fixture_mask(c)));
    EXPECT_EQ(rle_area(rle), c["area"].get<int64_t>());
    EXPECT_EQ(rle_bbox(rle), bbox_of(c));
  }
}

cv::Mat random_mask(std::mt19937& rng, int height, int width, uint32_t density_percent) {
  cv::Mat mask(height, width, CV_8UC1);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) mask.at<uint8_t>(y, x) = rng() % 100 < density_percent;
  }
  return mask;
}

TEST(CocoRle, RoundTripsRandomMasks) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    const int height = 1 + rng() % 40, width = 1 + rng() % 40;
    const cv::Mat mask = random_mask(rng, height, width, rng() % 101);
    const CocoRle rle = encode_rle(mask);
    ASSERT_TRUE(same_mask(decode_rle(rle), mask)) << height << "x" << width << " " << rle.counts;
    ASSERT_EQ(rle_area(rle), cv::countNonZero(mask));
    const cv::Rect box = cv::boundingRect(mask);
    const std::array<double, 4> expected =
        box.area() ? std::array<double, 4>{double(box.x), double(box.y), double(box.width), double(box.height)}
                   : std::array<double, 4>{0, 0, 0, 0};
    // pycocotools widens the box to the full height when a 1-run crosses a column boundary.
    const std::array<double, 4> got = rle_bbox(rle);
    EXPECT_EQ(got[0], expected[0]);
    EXPECT_EQ(got[2], expected[2]);
    EXPECT_LE(got[1], expected[1]);
    EXPECT_GE(got[1] + got[3], expected[1] + expected[3]);
  }
}

TEST(CocoRle, RoundTripsEdgeMasks) {
  for (const cv::Size size : {cv::Size(1, 1), cv::Size(7, 1), cv::Size(1, 7), cv::Size(5, 3)}) {
    for (const cv::Mat& mask : {cv::Mat(cv::Mat::zeros(size, CV_8UC1)), cv::Mat(cv::Mat::ones(size, CV_8UC1))}) {
      EXPECT_TRUE(same_mask(decode_rle(encode_rle(mask)), mask));
    }
    for (int y = 0; y < size.height; ++y) {
      for (int x = 0; x < size.width; ++x) {
        cv::Mat mask = cv::Mat::zeros(size, CV_8UC1);
        mask.at<uint8_t>(y, x) = 1;
        const CocoRle rle = encode_rle(mask);
        EXPECT_TRUE(same_mask(decode_rle(rle), mask));
        EXPECT_EQ(rle_bbox(rle), (std::array<double, 4>{double(x), double(y), 1, 1}));
      }
    }
  }
  const CocoRle empty = encode_rle(cv::Mat(0, 0, CV_8UC1));
  EXPECT_EQ(empty.counts, "0");  // pycocotools writes one empty 0-run
  EXPECT_EQ(decode_rle(empty).total(), 0u);
  EXPECT_EQ(rle_bbox(empty), (std::array<double, 4>{0, 0, 0, 0}));
}

TEST(CocoRle, TreatsEveryNonzeroPixelAsForeground) {
  cv::Mat mask = cv::Mat::zeros(4, 4, CV_8UC1);
  mask.at<uint8_t>(1, 1) = 255;
  mask.at<uint8_t>(2, 1) = 1;
  cv::Mat binary = mask != 0;
  binary /= 255;
  EXPECT_EQ(encode_rle(mask).counts, encode_rle(binary).counts);
}

TEST(CocoRle, RejectsMalformedInput) {
  EXPECT_THROW(decode_rle({3, 4, "<<"}), Error);    // 24 pixels for a 12-pixel mask
  EXPECT_THROW(decode_rle({3, 4, "5"}), Error);     // too few pixels
  EXPECT_THROW(decode_rle({3, 4, "0 <"}), Error);   // character outside '0'..'o'
  EXPECT_THROW(decode_rle({3, 4, "0p"}), Error);    // continuation bit on the last character
  EXPECT_THROW(decode_rle({3, 4, "0l"}), Error);    // negative run
  EXPECT_THROW(decode_rle({-1, 4, "0"}), Error);
  EXPECT_THROW(decode_rle({1 << 20, 1 << 20, "0"}), Error);
  EXPECT_THROW(decode_rle({3, 4, std::string(20, 'o')}), Error);
  EXPECT_THROW(encode_rle(cv::Mat::zeros(3, 3, CV_8UC3)), InternalError);
  EXPECT_THROW(rle_from_json(nlohmann::json{{"size", {3}}, {"counts", "<"}}), Error);
  EXPECT_THROW(rle_from_json(nlohmann::json::array()), Error);
}

TEST(CocoRle, JsonFormRoundTrips) {
  const CocoRle rle{3, 4, "0<"};
  const nlohmann::json value = rle_to_json(rle);
  EXPECT_EQ(value.dump(), R"({"counts":"0<","size":[3,4]})");
  const CocoRle back = rle_from_json(value);
  EXPECT_EQ(back.height, 3);
  EXPECT_EQ(back.width, 4);
  EXPECT_EQ(back.counts, "0<");
}

// Masks our encoder wrote and scripts/fixtures/check_rle_pycocotools.py decoded with pycocotools.
// With LISA_RLE_CHECK_OUT set the test writes them for that script instead of checking them.
TEST(CocoRlePython, OurEncodingsWereCheckedByPycocotools) {
  std::mt19937 rng(2024);
  nlohmann::json cases = nlohmann::json::array();
  for (int trial = 0; trial < 40; ++trial) {
    const int height = 1 + rng() % 30, width = 1 + rng() % 30;
    const uint32_t density = trial % 4 == 0 ? (trial % 8 == 0 ? 0 : 100) : rng() % 101;
    const cv::Mat mask = random_mask(rng, height, width, density);
    const CocoRle rle = encode_rle(mask);
    // Checked in both modes: what is dumped for pycocotools must at least decode back to the mask.
    ASSERT_EQ(cv::countNonZero((decode_rle(rle) != 0) != (mask != 0)), 0) << "trial " << trial;
    nlohmann::json rows = nlohmann::json::array();
    for (int y = 0; y < height; ++y) {
      std::string row;
      for (int x = 0; x < width; ++x) row += mask.at<uint8_t>(y, x) ? '1' : '0';
      rows.push_back(row);
    }
    cases.push_back({{"name", "random_" + std::to_string(trial)}, {"size", {height, width}},
                     {"counts", rle.counts}, {"area", rle_area(rle)}, {"bbox", rle_bbox(rle)},
                     {"rows", rows}});
  }
  if (const char* out = std::getenv("LISA_RLE_CHECK_OUT")) {
    // Dumping for scripts/fixtures/check_rle_pycocotools.py, which checks the strings with
    // pycocotools; here: that every case reached the file intact.
    std::ofstream(out) << nlohmann::json{{"generator", "test_render_coco_rle.cpp"}, {"cases", cases}};
    const auto written = read_json(out);
    ASSERT_EQ(written.at("cases"), cases) << out;
    return;
  }
  const auto checked = read_json(kRenderData + "rle_ours_checked.json");
  ASSERT_EQ(checked["checked_by"].get<std::string>().rfind("pycocotools", 0), 0u);
  ASSERT_EQ(checked["cases"].size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(cases[i], checked["cases"][i]) << cases[i]["name"];
  }
}

}  // namespace
}  // namespace lisa::render
