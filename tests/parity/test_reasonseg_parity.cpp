// ReasonSeg evaluation against the goldens (tests/data/golden, written by the reference code):
// ground truth equal to get_mask_from_json's, per-image intersection / union and gIoU / cIoU equal
// to what LISA's intersectionAndUnionGPU / validate() give for the golden predicted masks.
#include <cstdio>
#include <fstream>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "lisa/eval/ground_truth.h"
#include "lisa/eval/metrics.h"
#include "lisa/eval/reasonseg.h"

namespace lisa::eval {
namespace {

const std::filesystem::path kGolden = std::filesystem::path(LISA_TEST_DATA_DIR) / "golden";
const std::filesystem::path kSplit = kGolden / "reasonseg" / "val";

cv::Mat ground_truth_of(const ReasonSegSample& sample) {
  const cv::Mat image = cv::imread(sample.image.string(), cv::IMREAD_COLOR);
  EXPECT_FALSE(image.empty()) << sample.image;
  return rasterise_ground_truth(read_reasonseg_json(sample.json), image.rows, image.cols);
}

std::string stem_of(const std::filesystem::path& path) { return path.stem().string(); }

// The goldens are committed: their absence is a failure, never a skip.
#define REQUIRE_GOLDENS()                                                   \
  ASSERT_TRUE(std::filesystem::is_directory(kGolden / "reasonseg"))              \
      << "no golden ReasonSeg split at " << (kGolden / "reasonseg").string()

TEST(ReasonSegParity, GroundTruthEqualsTheReference) {
  REQUIRE_GOLDENS();
  const auto samples = list_reasonseg_split(kSplit);
  ASSERT_FALSE(samples.empty());
  for (const auto& sample : samples) {
    SCOPED_TRACE(sample.image.string());
    const cv::Mat expected =
        cv::imread((kGolden / "reasonseg" / "gt" / (stem_of(sample.image) + ".png")).string(), cv::IMREAD_UNCHANGED);
    ASSERT_EQ(expected.type(), CV_8UC1);
    const cv::Mat got = ground_truth_of(sample);
    ASSERT_EQ(got.size(), expected.size());
    EXPECT_EQ(cv::countNonZero(got != expected), 0);
  }
}

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  return nlohmann::json::parse(in);
}

// eval/<case>/ holds the reference's teacher-forced prediction for one split image (mask_0.png,
// 0/255 at the original size); expected.json holds intersectionAndUnionGPU's [background,
// foreground] counts per image and validate()'s giou / ciou.
TEST(ReasonSegParity, ScoresEqualTheReference) {
  REQUIRE_GOLDENS();
  const nlohmann::json expected = read_json(kGolden / "reasonseg" / "expected.json");
  std::map<std::string, nlohmann::json> expected_by_stem;
  for (const auto& image : expected["images"]) expected_by_stem[image["stem"]] = image;
  std::vector<ImageResult> results;
  for (const auto& entry : std::filesystem::directory_iterator(kGolden / "eval")) {
    const nlohmann::json c = read_json(entry.path() / "case.json");
    const ReasonSegSample sample{kGolden / c["image"].get<std::string>(), kGolden / c["json"].get<std::string>()};
    const std::string stem = stem_of(sample.image);
    SCOPED_TRACE(stem);
    ASSERT_EQ(c["masks"].size(), 1u);  // one [SEG] per teacher-forced answer
    const cv::Mat prediction =
        cv::imread((entry.path() / c["masks"][0].get<std::string>()).string(), cv::IMREAD_UNCHANGED);
    ASSERT_EQ(prediction.type(), CV_8UC1);
    const ReasonSegAnnotation annotation = read_reasonseg_json(sample.json);
    EXPECT_EQ(annotation.is_sentence, c["is_sentence"].get<bool>());

    const ImageResult r{stem + ".jpg", overlap(prediction, ground_truth_of(sample)), annotation.is_sentence, 1};
    ASSERT_EQ(expected_by_stem.count(stem), 1u);
    const nlohmann::json& e = expected_by_stem[stem];
    EXPECT_EQ(r.overlap.intersection, e["intersection"][1].get<double>());
    EXPECT_EQ(r.overlap.union_area, e["union"][1].get<double>());
    EXPECT_FLOAT_EQ(static_cast<float>(image_iou(r.overlap)), e["iou"].get<float>());  // float32 there
    results.push_back(r);
  }
  ASSERT_EQ(results.size(), expected["images"].size());
  const Scores s = score(results);
  // validate() sums float32 IoUs and divides by (count + 1e-5): within 1e-6 of the mean for 7 images.
  EXPECT_NEAR(*s.giou, expected["giou"].get<double>(), 1e-6);
  EXPECT_NEAR(*s.ciou, expected["ciou"].get<double>(), 1e-6);
  std::printf("[ parity ] giou %.9f (reference %.9f), ciou %.9f (reference %.9f) over %zu images\n", *s.giou,
              expected["giou"].get<double>(), *s.ciou, expected["ciou"].get<double>(), results.size());
}

}  // namespace
}  // namespace lisa::eval
