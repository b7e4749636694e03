// SAM against every golden chat and eval case (goldens: fp32, CPU), on every device
// (support/devices.h): the image embedding, the low-resolution mask logits and IoU predictions from
// the golden [SEG] embeddings, and the final masks. The goldens keep strided samples of the SAM
// tensors (strides in case.json); the SAM input is rebuilt from the case's picture with the engine's
// own preprocessing and checked against the hash of the reference's.
#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <memory>
#include <opencv2/imgcodecs.hpp>
#include <string>

#include "lisa/io/checkpoint.h"
#include "lisa/models/sam/sam.h"
#include "lisa/models/weights.h"
#include "support/devices.h"
#include "support/golden.h"

namespace lisa::models::sam {
namespace {

using lisa::testing::GoldenCase;

constexpr double kRelativeTolerance = 1e-4;  // of max |golden|
constexpr double kMinMaskIou = 0.999;

struct Deviation {
  double max_abs = 0, max_golden = 0;
  double relative() const { return max_golden > 0 ? max_abs / max_golden : max_abs; }
};
Deviation compare(const at::Tensor& actual, const at::Tensor& golden) {
  if (golden.numel() == 0) return {};
  return {(actual.to(at::kCPU, at::kFloat) - golden).abs().max().item<double>(), golden.abs().max().item<double>()};
}

// Every other `stride`-th row and column of the last two dimensions.
at::Tensor strided(const at::Tensor& x, int64_t stride) {
  return x.slice(-2, 0, {}, stride).slice(-1, 0, {}, stride);
}

double mask_iou(const at::Tensor& a, const at::Tensor& b) {
  const double intersection = (a & b).sum().item<double>(), uni = (a | b).sum().item<double>();
  return uni == 0 ? 1.0 : intersection / uni;
}

class SamParity : public lisa::testing::OnEachDevice {
 protected:
  void SetUp() override {
    OnEachDevice::SetUp();
    if (IsSkipped()) return;
    auto& loaded = models_[GetParam()];
    if (!loaded) {
      const io::Checkpoint checkpoint = io::Checkpoint::open(lisa::testing::golden_lisa_bin_dir());
      WeightBinder binder(checkpoint, device(), at::kFloat);
      loaded = std::make_unique<Sam>(Sam::load(binder));  // strict: finish("model.visual_model.")
    }
    sam_ = loaded.get();
  }
  // Device tensors are released before the process exits, not by static destructors.
  static void TearDownTestSuite() { models_.clear(); }

  void check_cases(const std::string& kind) const {
    const auto cases = lisa::testing::golden_cases(kind);
    ASSERT_FALSE(cases.empty()) << "no golden " << kind << " cases under " << lisa::testing::golden_root();
    for (const auto& golden : cases) check_case(golden);
  }

  void check_case(const GoldenCase& golden) const {
    SCOPED_TRACE(golden.dir.string());
    const auto& spec = golden.meta;
    const auto input = golden.sam_input();  // throws unless it hashes to the reference's
    const auto resized = input.resize_size, original = input.original_size;
    ASSERT_EQ(resized.height, spec.at("resize_size").at(0).get<int>());
    ASSERT_EQ(resized.width, spec.at("resize_size").at(1).get<int>());

    const auto embedding = sam_->encode_image(input.pixels);
    const auto embedding_error = compare(strided(embedding[0], spec.at("sam_embedding_stride").get<int64_t>()),
                                         golden.tensor("sam_embedding_sample"));

    const auto prediction = sam_->decode(embedding, golden.tensor("seg_embeddings"));
    const auto golden_iou = golden.tensor("iou_predictions");
    ASSERT_EQ(prediction.iou.sizes(), golden_iou.sizes());
    const auto mask_error =
        compare(strided(prediction.low_res_logits.select(1, 0), spec.at("low_res_mask_stride").get<int64_t>()),
                golden.tensor("low_res_masks_sample"));
    const auto iou_error = compare(prediction.iou, golden_iou);

    std::cout << "[ sam      ] " << GetParam() << " " << golden.kind << "/" << golden.name << ": embedding max|diff| "
              << embedding_error.max_abs << " (rel " << embedding_error.relative() << "), low-res logits "
              << mask_error.max_abs << " (rel " << mask_error.relative() << "), iou " << iou_error.max_abs << " (rel "
              << iou_error.relative() << ")";
    EXPECT_LE(embedding_error.relative(), kRelativeTolerance);
    EXPECT_LE(mask_error.relative(), kRelativeTolerance);
    EXPECT_LE(iou_error.relative(), kRelativeTolerance);

    const auto masks = golden.mask_paths();
    ASSERT_EQ(static_cast<int64_t>(masks.size()), golden_iou.size(0));
    const auto logits = sam_->postprocess(prediction.low_res_logits, resized, original).to(at::kCPU);
    for (size_t i = 0; i < masks.size(); ++i) {
      const cv::Mat png = cv::imread(masks[i].string(), cv::IMREAD_UNCHANGED);
      ASSERT_EQ(png.type(), CV_8UC1) << masks[i];
      ASSERT_EQ(png.rows, original.height) << masks[i];
      ASSERT_EQ(png.cols, original.width) << masks[i];
      const auto expected = at::from_blob(png.data, {png.rows, png.cols}, at::kByte).gt(127);
      const double iou = mask_iou(logits[i][0].gt(0), expected);
      std::cout << ", mask " << i << " IoU " << iou;
      EXPECT_GE(iou, kMinMaskIou) << masks[i];
    }
    std::cout << "\n";
  }

  static std::map<std::string, std::unique_ptr<Sam>> models_;  // by device
  const Sam* sam_ = nullptr;
};

std::map<std::string, std::unique_ptr<Sam>> SamParity::models_;

TEST_P(SamParity, ChatCases) { check_cases("chat"); }
TEST_P(SamParity, EvalCases) { check_cases("eval"); }

INSTANTIATE_TEST_SUITE_P(Devices, SamParity, ::testing::ValuesIn(lisa::testing::parity_devices()),
                         lisa::testing::device_test_name);

}  // namespace
}  // namespace lisa::models::sam
