// ReasonSeg evaluation against the goldens (tests/data/golden, written by the reference code):
// ground truth equal to get_mask_from_json's, per-image intersection / union and gIoU / cIoU equal
// to what LISA's intersectionAndUnionGPU / validate() give for the golden predicted masks.
#include <fstream>

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

// The goldens land in main separately; until then there is nothing to compare with.
#define SKIP_WITHOUT_GOLDENS()                                                            \
  if (!std::filesystem::is_directory(kGolden / "reasonseg")) {                            \
    GTEST_SKIP() << "no golden ReasonSeg split at " << (kGolden / "reasonseg").string(); \
  }

TEST(ReasonSegParity, GroundTruthEqualsTheReference) {
  SKIP_WITHOUT_GOLDENS();
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

}  // namespace
}  // namespace lisa::eval
