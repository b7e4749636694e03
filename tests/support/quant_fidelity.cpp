#include "support/quant_fidelity.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include <opencv2/core.hpp>

#include "lisa/eval/ground_truth.h"
#include "lisa/eval/reasonseg.h"
#include "lisa/image/clip_preprocess.h"
#include "lisa/image/read_image.h"
#include "lisa/models/generation.h"
#include "lisa/models/multimodal.h"
#include "lisa/tokenizer/tokenizer.h"
#include "pipeline/models.h"

namespace lisa::testing {

std::unique_ptr<pipeline::Engine> load_quantized_engine(const std::filesystem::path& model_dir, models::QuantMode mode,
                                                        pipeline::Precision precision) {
  pipeline::EngineOptions options;
  options.model = model_dir;
  options.vision_tower = golden_clip_dir().string();
  options.device = "cpu";
  options.precision = precision;
  options.quantization.mode = mode;
  options.quantization.group_size = 64;
  return pipeline::Engine::load(options);
}

SegOutcome teacher_forced_segs(const pipeline::Engine& engine, const image::Image& image,
                               const pipeline::SamEncoding::Result& sam, const std::vector<int64_t>& ids) {
  const auto& m = engine.models();
  const at::Tensor pixels = image::clip_preprocess(image, engine.clip_preprocess_config()).to(engine.device(), at::kBFloat16);
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

double mask_iou(const at::Tensor& a, const at::Tensor& b) {
  const double uni = (a | b).sum().item<double>();
  return uni == 0 ? 1.0 : (a & b).sum().item<double>() / uni;
}

eval::ImageResult eval_result(const GoldenCase& golden, const SegOutcome& outcome) {
  const auto annotation = eval::read_reasonseg_json(golden_root() / golden.meta.at("json").get<std::string>());
  const at::Tensor mask = outcome.masks[0].to(at::kByte).contiguous();
  const cv::Mat prediction(static_cast<int>(mask.size(0)), static_cast<int>(mask.size(1)), CV_8UC1, mask.data_ptr());
  eval::ImageResult result;
  result.image = golden.name;
  result.is_sentence = annotation.is_sentence;
  result.n_seg = static_cast<int>(outcome.masks.size(0));
  result.overlap =
      eval::overlap(prediction, eval::rasterise_ground_truth(annotation, prediction.rows, prediction.cols));
  return result;
}

FidelityBars fidelity_bars(models::QuantMode mode) {
  return mode == models::QuantMode::kInt8 ? FidelityBars{0.999, 0.97, 0.97, 0.01} : FidelityBars{0.98, 0.0, 0.90, 0.03};
}

FidelityReference::FidelityReference(const std::filesystem::path& model_dir)
    : bf16_(load_quantized_engine(model_dir, models::QuantMode::kNone)),
      fp32_(load_quantized_engine(model_dir, models::QuantMode::kNone, pipeline::Precision::kFp32)) {}

const FidelityReference::Prepared& FidelityReference::prepared(const GoldenCase& golden,
                                                               const std::vector<int64_t>& ids) {
  const std::string key = golden.kind + "/" + golden.name;
  auto found = prepared_.find(key);
  if (found == prepared_.end()) {
    Prepared made;
    made.image = std::make_shared<const image::Image>(image::read_image(golden.image_path()));
    made.sam = std::make_unique<pipeline::SamEncoding>(*fp32_, made.image);
    made.reference = teacher_forced_segs(*bf16_, *made.image, made.sam->get(), ids);
    found = prepared_.emplace(key, std::move(made)).first;
  }
  return found->second;
}

void FidelityReference::compare(const pipeline::Engine& quantized, const std::string& label, const FidelityBars& bars) {
  int64_t segs = 0;
  double iou_sum = 0;
  std::vector<eval::ImageResult> scored, reference_scored;  // the eval cases
  for (const std::string kind : {"eval", "chat"}) {
    for (const GoldenCase& golden : golden_cases(kind)) {
      SCOPED_TRACE(golden.name);
      const auto ids = golden.meta.at(kind == "eval" ? "input_ids" : "output_ids").get<std::vector<int64_t>>();
      const Prepared& inputs = prepared(golden, ids);
      const SegOutcome& reference = inputs.reference;
      const SegOutcome outcome = teacher_forced_segs(quantized, *inputs.image, inputs.sam->get(), ids);
      ASSERT_EQ(outcome.embeddings.size(0), golden.meta.at("seg_count").get<int64_t>());
      ASSERT_EQ(outcome.embeddings.sizes(), reference.embeddings.sizes());
      if (kind == "eval") {
        scored.push_back(eval_result(golden, outcome));
        reference_scored.push_back(eval_result(golden, reference));
      }
      for (int64_t i = 0; i < reference.embeddings.size(0); ++i) {
        const double cosine = at::cosine_similarity(outcome.embeddings[i], reference.embeddings[i], 0).item<double>();
        const double iou = mask_iou(outcome.masks[i], reference.masks[i]);
        std::printf("[ fidelity ] %s %s/%s [SEG] %lld: cosine %.5f, mask IoU %.4f\n", label.c_str(), kind.c_str(),
                    golden.name.c_str(), static_cast<long long>(i), cosine, iou);
        EXPECT_GE(cosine, bars.min_cosine) << "[SEG] " << i;
        EXPECT_GE(iou, bars.min_iou) << "[SEG] " << i;
        iou_sum += iou;
        ++segs;
      }
    }
  }
  // 7 eval cases with one [SEG] each; 5 chat cases with 12 between them (4 answers have none).
  ASSERT_EQ(segs, 19);
  std::printf("[ fidelity ] %s: mean mask IoU %.4f over %lld masks\n", label.c_str(), iou_sum / segs,
              static_cast<long long>(segs));
  EXPECT_GE(iou_sum / segs, bars.min_mean_iou);
  ASSERT_EQ(scored.size(), 7u);
  const double giou = *eval::score(scored).giou, reference_giou = *eval::score(reference_scored).giou;
  std::printf("[ fidelity ] %s: eval gIoU %.4f, bf16 %.4f (%+.2f points)\n", label.c_str(), giou, reference_giou,
              100 * (giou - reference_giou));
  EXPECT_LE(std::abs(giou - reference_giou), bars.max_giou_gap);
}

}  // namespace lisa::testing
