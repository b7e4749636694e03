// Fidelity of --quantize on the golden cases (issue 12's bars), against the engine's own bf16 run of
// the same tiny checkpoint: every case teacher-forced (eval cases: their prompt with the answer
// "[SEG]."; chat cases: the prompt and the reference's answer ids), then for every [SEG] the cosine
// similarity of its embedding after text_hidden_fcs to bf16's, and the IoU of its mask to bf16's.
//   int8: every cosine >= 0.999, every IoU >= 0.97.   int4 (G = 64): every cosine >= 0.98, mean IoU >= 0.90.
// And the eval cases' gIoU against their ReasonSeg ground truth (as `lisa eval` scores the first
// [SEG]'s mask): within 1 point of bf16's (int8), 3 points (int4).
// The per-case numbers are printed.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <memory>

#include <opencv2/core.hpp>

#include "lisa/eval/ground_truth.h"
#include "lisa/eval/metrics.h"
#include "lisa/eval/reasonseg.h"
#include "lisa/image/clip_preprocess.h"
#include "lisa/image/read_image.h"
#include "lisa/models/generation.h"
#include "lisa/models/multimodal.h"
#include "lisa/pipeline/engine.h"
#include "lisa/tokenizer/tokenizer.h"
#include "pipeline/models.h"
#include "pipeline/sam_encoding.h"
#include "support/golden.h"

namespace {

using lisa::testing::GoldenCase;
namespace models = lisa::models;
namespace pipeline = lisa::pipeline;

std::unique_ptr<pipeline::Engine> load_engine(models::QuantMode mode,
                                              pipeline::Precision precision = pipeline::Precision::kBf16) {
  pipeline::EngineOptions options;
  options.model = lisa::testing::golden_lisa_bin_dir();
  options.vision_tower = lisa::testing::golden_clip_dir().string();
  options.device = "cpu";
  options.precision = precision;
  options.quantization.mode = mode;
  options.quantization.group_size = 64;
  return pipeline::Engine::load(options);
}

struct Outcome {
  at::Tensor embeddings;  // [n, out_dim] float32: text_hidden_fcs of each [SEG]'s hidden state
  at::Tensor masks;       // [n, H, W] bool
};

// One teacher-forced pass over `ids` (with the image placeholder), as Session::teacher_forced runs
// it, keeping the [SEG] embeddings that it does not return. `sam` is the picture's SAM encoding
// (SAM is never quantized, so one encoding serves both sides of a comparison; it is made by an fp32
// engine, and Sam::decode converts it to the dtype the bf16 engine's SAM runs in: see
// src/pipeline/sam_precision.h).
Outcome teacher_forced(const pipeline::Engine& engine, const lisa::image::Image& image,
                       const pipeline::SamEncoding::Result& sam, const std::vector<int64_t>& ids) {
  const auto& m = engine.models();
  const at::Tensor pixels =
      lisa::image::clip_preprocess(image, engine.clip_preprocess_config()).to(engine.device(), at::kBFloat16);
  const auto sequence = models::splice_image(m.llama, ids, m.projector(m.clip.forward(pixels))[0]);
  auto cache = m.llama.make_cache(sequence.embeds.size(1));
  const at::Tensor seg_hidden =
      models::teacher_forced_seg_hidden(m.llama, cache, sequence, engine.tokenizer().seg_token_id());
  const at::Tensor embeddings = m.text_hidden_fcs(seg_hidden);
  if (embeddings.size(0) == 0) return {embeddings.to(at::kFloat), at::empty({0}, at::kBool)};
  const auto prediction = m.sam.decode(sam.embedding, embeddings);
  const at::Tensor logits = m.sam.postprocess(prediction.low_res_logits, sam.input.resize_size, image.size());
  return {embeddings.to(at::kFloat).cpu(), logits.select(1, 0).gt(0).cpu()};
}

double iou(const at::Tensor& a, const at::Tensor& b) {
  const double uni = (a | b).sum().item<double>();
  return uni == 0 ? 1.0 : (a & b).sum().item<double>() / uni;
}

struct Bars {
  double min_cosine;
  double min_iou;       // every mask
  double min_mean_iou;  // over all masks
  double max_giou_gap;  // |gIoU - bf16's gIoU| over the eval cases
};

// An eval case scored as `lisa eval` scores it: the first [SEG]'s mask against the ground truth.
lisa::eval::ImageResult eval_result(const GoldenCase& golden, const Outcome& outcome) {
  const auto annotation =
      lisa::eval::read_reasonseg_json(lisa::testing::golden_root() / golden.meta.at("json").get<std::string>());
  const at::Tensor mask = outcome.masks[0].to(at::kByte).contiguous();
  const cv::Mat prediction(static_cast<int>(mask.size(0)), static_cast<int>(mask.size(1)), CV_8UC1, mask.data_ptr());
  lisa::eval::ImageResult result;
  result.image = golden.name;
  result.is_sentence = annotation.is_sentence;
  result.n_seg = static_cast<int>(outcome.masks.size(0));
  result.overlap = lisa::eval::overlap(
      prediction, lisa::eval::rasterise_ground_truth(annotation, prediction.rows, prediction.cols));
  return result;
}

// A golden case's picture, its SAM encoding and the bf16 run's outcome: the same for both modes,
// so made once per case.
struct Prepared {
  std::shared_ptr<const lisa::image::Image> image;
  std::unique_ptr<pipeline::SamEncoding> sam;
  Outcome reference;
};

class QuantFidelity : public ::testing::TestWithParam<models::QuantMode> {
 protected:
  static void SetUpTestSuite() {
    bf16_ = load_engine(models::QuantMode::kNone);
    fp32_ = load_engine(models::QuantMode::kNone, pipeline::Precision::kFp32);
  }
  static void TearDownTestSuite() {
    prepared_.clear();
    bf16_.reset();
    fp32_.reset();
  }
  static const Prepared& prepared(const GoldenCase& golden, const std::vector<int64_t>& ids) {
    const std::string key = golden.kind + "/" + golden.name;
    auto found = prepared_.find(key);
    if (found == prepared_.end()) {
      Prepared made;
      made.image = std::make_shared<const lisa::image::Image>(lisa::image::read_image(golden.image_path()));
      made.sam = std::make_unique<pipeline::SamEncoding>(*fp32_, made.image);
      made.reference = teacher_forced(*bf16_, *made.image, made.sam->get(), ids);
      found = prepared_.emplace(key, std::move(made)).first;
    }
    return found->second;
  }
  static std::unique_ptr<pipeline::Engine> bf16_, fp32_;
  static std::map<std::string, Prepared> prepared_;
};
std::unique_ptr<pipeline::Engine> QuantFidelity::bf16_;
std::unique_ptr<pipeline::Engine> QuantFidelity::fp32_;
std::map<std::string, Prepared> QuantFidelity::prepared_;

TEST_P(QuantFidelity, SegEmbeddingsAndMasksStayCloseToBf16) {
  const models::QuantMode mode = GetParam();
  const Bars bars = mode == models::QuantMode::kInt8 ? Bars{0.999, 0.97, 0.97, 0.01} : Bars{0.98, 0.0, 0.90, 0.03};
  const auto quantized = load_engine(mode);
  int64_t segs = 0;
  double iou_sum = 0;
  std::vector<lisa::eval::ImageResult> scored, reference_scored;  // the eval cases
  for (const std::string kind : {"eval", "chat"}) {
    for (const GoldenCase& golden : lisa::testing::golden_cases(kind)) {
      SCOPED_TRACE(golden.name);
      const auto ids = golden.meta.at(kind == "eval" ? "input_ids" : "output_ids").get<std::vector<int64_t>>();
      const Prepared& case_inputs = prepared(golden, ids);
      const Outcome& reference = case_inputs.reference;
      const Outcome outcome = teacher_forced(*quantized, *case_inputs.image, case_inputs.sam->get(), ids);
      ASSERT_EQ(outcome.embeddings.size(0), golden.meta.at("seg_count").get<int64_t>());
      ASSERT_EQ(outcome.embeddings.sizes(), reference.embeddings.sizes());
      if (kind == "eval") {
        scored.push_back(eval_result(golden, outcome));
        reference_scored.push_back(eval_result(golden, reference));
      }
      for (int64_t i = 0; i < reference.embeddings.size(0); ++i) {
        const double cosine = at::cosine_similarity(outcome.embeddings[i], reference.embeddings[i], 0).item<double>();
        const double mask_iou = iou(outcome.masks[i], reference.masks[i]);
        std::printf("[ fidelity ] %s %s/%s [SEG] %lld: cosine %.5f, mask IoU %.4f\n", to_string(mode).c_str(),
                    kind.c_str(), golden.name.c_str(), static_cast<long long>(i), cosine, mask_iou);
        EXPECT_GE(cosine, bars.min_cosine) << "[SEG] " << i;
        EXPECT_GE(mask_iou, bars.min_iou) << "[SEG] " << i;
        iou_sum += mask_iou;
        ++segs;
      }
    }
  }
  // 7 eval cases with one [SEG] each; 5 chat cases with 12 between them (4 answers have none).
  ASSERT_EQ(segs, 19);
  std::printf("[ fidelity ] %s: mean mask IoU %.4f over %lld masks\n", to_string(mode).c_str(), iou_sum / segs,
              static_cast<long long>(segs));
  EXPECT_GE(iou_sum / segs, bars.min_mean_iou);
  ASSERT_EQ(scored.size(), 7u);
  const double giou = *lisa::eval::score(scored).giou, reference_giou = *lisa::eval::score(reference_scored).giou;
  std::printf("[ fidelity ] %s: eval gIoU %.4f, bf16 %.4f (%+.2f points)\n", to_string(mode).c_str(), giou,
              reference_giou, 100 * (giou - reference_giou));
  EXPECT_LE(std::abs(giou - reference_giou), bars.max_giou_gap);
}

INSTANTIATE_TEST_SUITE_P(Modes, QuantFidelity, ::testing::Values(models::QuantMode::kInt8, models::QuantMode::kInt4),
                         [](const ::testing::TestParamInfo<models::QuantMode>& mode) { return to_string(mode.param); });

}  // namespace
