// Fidelity of --quantize on the golden cases (issue 12's bars), against the engine's own bf16 run of
// the same tiny checkpoint: every case teacher-forced (eval cases: their prompt with the answer
// "[SEG]."; chat cases: the prompt and the reference's answer ids), then for every [SEG] the cosine
// similarity of its embedding after text_hidden_fcs to bf16's, and the IoU of its mask to bf16's.
//   int8: every cosine >= 0.999, every IoU >= 0.97.   int4 (G = 64): every cosine >= 0.98, mean IoU >= 0.90.
// And the eval cases' gIoU against their ReasonSeg ground truth (as `lisa eval` scores the first
// [SEG]'s mask): within 1 point of bf16's (int8), 3 points (int4).
// The per-case numbers are printed (support/quant_fidelity.h does the measuring).
#include <gtest/gtest.h>

#include <memory>

#include "support/quant_fidelity.h"

namespace {

namespace models = lisa::models;

class QuantFidelity : public ::testing::TestWithParam<models::QuantMode> {
 protected:
  static void SetUpTestSuite() {
    reference_ = std::make_unique<lisa::testing::FidelityReference>(lisa::testing::golden_lisa_bin_dir());
  }
  static void TearDownTestSuite() { reference_.reset(); }
  static std::unique_ptr<lisa::testing::FidelityReference> reference_;
};
std::unique_ptr<lisa::testing::FidelityReference> QuantFidelity::reference_;

TEST_P(QuantFidelity, SegEmbeddingsAndMasksStayCloseToBf16) {
  const models::QuantMode mode = GetParam();
  const auto quantized = lisa::testing::load_quantized_engine(lisa::testing::golden_lisa_bin_dir(), mode);
  reference_->compare(*quantized, to_string(mode), lisa::testing::fidelity_bars(mode));
}

INSTANTIATE_TEST_SUITE_P(Modes, QuantFidelity, ::testing::Values(models::QuantMode::kInt8, models::QuantMode::kInt4),
                         [](const ::testing::TestParamInfo<models::QuantMode>& mode) { return to_string(mode.param); });

}  // namespace
