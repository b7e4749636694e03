// SAM against every golden chat and eval case (fp32, CPU): the image embedding, the low-resolution
// mask logits and IoU predictions from the golden [SEG] embeddings, and the final masks.
// The goldens keep strided samples of the SAM tensors (strides in case.json); the SAM input is
// rebuilt from the case's picture with the engine's own preprocessing, checked against the
// golden sample of the resized pixels where the case has one.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "lisa/image/read_image.h"
#include "lisa/image/sam_preprocess.h"
#include "lisa/io/checkpoint.h"
#include "lisa/io/json_file.h"
#include "lisa/models/sam/sam.h"
#include "lisa/models/weights.h"

namespace lisa::models::sam {
namespace {

namespace fs = std::filesystem;

const fs::path kGolden = fs::path(LISA_TEST_DATA_DIR) / "golden";
constexpr double kRelativeTolerance = 1e-4;  // of max |golden|
constexpr double kMinMaskIou = 0.999;

struct Deviation {
  double max_abs = 0, max_golden = 0;
  double relative() const { return max_golden > 0 ? max_abs / max_golden : max_abs; }
};
Deviation compare(const at::Tensor& actual, const at::Tensor& golden) {
  if (golden.numel() == 0) return {};
  return {(actual.to(at::kFloat) - golden).abs().max().item<double>(), golden.abs().max().item<double>()};
}

// Every other `stride`-th row and column of the last two dimensions.
at::Tensor strided(const at::Tensor& x, int64_t stride) {
  return x.slice(-2, 0, {}, stride).slice(-1, 0, {}, stride);
}

double mask_iou(const at::Tensor& a, const at::Tensor& b) {
  const double intersection = (a & b).sum().item<double>(), uni = (a | b).sum().item<double>();
  return uni == 0 ? 1.0 : intersection / uni;
}

std::vector<fs::path> cases(const std::string& kind) {
  std::vector<fs::path> found;
  if (fs::is_directory(kGolden / kind))
    for (const auto& entry : fs::directory_iterator(kGolden / kind))
      if (fs::is_regular_file(entry.path() / "case.json")) found.push_back(entry.path());
  std::sort(found.begin(), found.end());
  return found;
}

class SamParity : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    const auto model = kGolden / "models" / "lisa-tiny-bin";
    if (!fs::exists(model)) return;
    checkpoint_ = std::make_unique<io::Checkpoint>(io::Checkpoint::open(model));
    WeightBinder binder(*checkpoint_, at::kCPU, at::kFloat);
    sam_ = std::make_unique<Sam>(Sam::load(binder));  // strict: finish("model.visual_model.")
  }
  static void TearDownTestSuite() {
    sam_.reset();
    checkpoint_.reset();
  }

  static void check_cases(const std::string& kind) {
    if (!sam_) GTEST_SKIP() << "no golden model under " << kGolden;
    const auto dirs = cases(kind);
    ASSERT_FALSE(dirs.empty()) << "no golden " << kind << " cases under " << kGolden;
    for (const auto& dir : dirs) check_case(dir);
  }

  static void check_case(const fs::path& dir) {
    SCOPED_TRACE(dir.string());
    const auto spec = io::read_json_file(dir / "case.json");
    const auto tensors = io::Checkpoint::open(dir / spec.at("tensors").get<std::string>());
    const auto input = image::sam_preprocess(image::read_image(kGolden / spec.at("image").get<std::string>()));
    const auto resized = input.resize_size, original = input.original_size;
    ASSERT_EQ(resized.height, spec.at("resize_size").at(0).get<int>());
    ASSERT_EQ(resized.width, spec.at("resize_size").at(1).get<int>());
    if (tensors.contains("sam_pixels_uint8_sample")) {
      const auto sample = tensors.load("sam_pixels_uint8_sample");
      const auto ours = input.resized.to_tensor().slice(0, 0, {}, spec.at("sam_pixels_stride").get<int64_t>())
                            .slice(1, 0, {}, spec.at("sam_pixels_stride").get<int64_t>());
      ASSERT_TRUE(at::equal(ours, sample)) << "the SAM input differs from the reference's";
    }

    const auto embedding = sam_->encode_image(input.pixels);
    const auto embedding_error = compare(strided(embedding[0], spec.at("sam_embedding_stride").get<int64_t>()),
                                         tensors.load("sam_embedding_sample"));

    const auto prediction = sam_->decode(embedding, tensors.load("seg_embeddings"));
    const auto golden_iou = tensors.load("iou_predictions");
    ASSERT_EQ(prediction.iou.sizes(), golden_iou.sizes());
    const auto mask_error =
        compare(strided(prediction.low_res_logits.select(1, 0), spec.at("low_res_mask_stride").get<int64_t>()),
                tensors.load("low_res_masks_sample"));
    const auto iou_error = compare(prediction.iou, golden_iou);

    std::cout << "[ sam      ] " << dir.parent_path().filename().string() << "/" << dir.filename().string()
              << ": embedding max|diff| " << embedding_error.max_abs << " (rel " << embedding_error.relative()
              << "), low-res logits " << mask_error.max_abs << " (rel " << mask_error.relative() << "), iou "
              << iou_error.max_abs << " (rel " << iou_error.relative() << ")";
    EXPECT_LE(embedding_error.relative(), kRelativeTolerance);
    EXPECT_LE(mask_error.relative(), kRelativeTolerance);
    EXPECT_LE(iou_error.relative(), kRelativeTolerance);

    const auto& masks = spec.at("masks");
    ASSERT_EQ(static_cast<int64_t>(masks.size()), golden_iou.size(0));
    const auto logits = sam_->postprocess(prediction.low_res_logits, resized, original);
    for (size_t i = 0; i < masks.size(); ++i) {
      const auto file = dir / masks[i].get<std::string>();
      const cv::Mat png = cv::imread(file.string(), cv::IMREAD_UNCHANGED);
      ASSERT_EQ(png.type(), CV_8UC1) << file;
      ASSERT_EQ(png.rows, original.height) << file;
      ASSERT_EQ(png.cols, original.width) << file;
      const auto golden = at::from_blob(png.data, {png.rows, png.cols}, at::kByte).gt(127);
      const double iou = mask_iou(logits[i][0].gt(0), golden);
      std::cout << ", mask " << i << " IoU " << iou;
      EXPECT_GE(iou, kMinMaskIou) << file;
    }
    std::cout << "\n";
  }

  static std::unique_ptr<io::Checkpoint> checkpoint_;
  static std::unique_ptr<Sam> sam_;
};

std::unique_ptr<io::Checkpoint> SamParity::checkpoint_;
std::unique_ptr<Sam> SamParity::sam_;

TEST_F(SamParity, ChatCases) { check_cases("chat"); }
TEST_F(SamParity, EvalCases) { check_cases("eval"); }

}  // namespace
}  // namespace lisa::models::sam
