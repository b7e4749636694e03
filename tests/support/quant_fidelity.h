#pragma once
// Measuring how close a quantized engine stays to the bf16 one (issue 12's fidelity bars), shared by
// the golden-checkpoint test (test_quant_fidelity.cpp) and the heavy-tailed report
// (test_quant_heavy_tails.cpp): teacher-forced passes over the golden eval and chat cases, the
// cosine of every [SEG] embedding, the IoU of every mask, and the eval cases' gIoU.
#include <ATen/ATen.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lisa/eval/metrics.h"
#include "lisa/image/image.h"
#include "lisa/models/quantization.h"
#include "lisa/pipeline/engine.h"
#include "pipeline/sam_encoding.h"
#include "support/golden.h"

namespace lisa::testing {

// The golden CLIP tower with the LISA checkpoint in `model_dir`, on the CPU.
std::unique_ptr<pipeline::Engine> load_quantized_engine(const std::filesystem::path& model_dir,
                                                        models::QuantMode mode,
                                                        pipeline::Precision precision = pipeline::Precision::kBf16);

struct SegOutcome {
  at::Tensor embeddings;  // [n, out_dim] float32: text_hidden_fcs of each [SEG]'s hidden state
  at::Tensor masks;       // [n, H, W] bool
};

// One teacher-forced pass over `ids` (with the image placeholder), as Session::teacher_forced runs
// it, keeping the [SEG] embeddings that it does not return. `sam` is the picture's SAM encoding
// (SAM is never quantized, so one encoding serves both sides of a comparison; it is made by an fp32
// engine, and Sam::decode converts it to the dtype the bf16 engine's SAM runs in: see
// src/pipeline/sam_precision.h).
SegOutcome teacher_forced_segs(const pipeline::Engine& engine, const image::Image& image,
                               const pipeline::SamEncoding::Result& sam, const std::vector<int64_t>& ids);

double mask_iou(const at::Tensor& a, const at::Tensor& b);

// An eval case scored as `lisa eval` scores it: the first [SEG]'s mask against the ground truth.
eval::ImageResult eval_result(const GoldenCase& golden, const SegOutcome& outcome);

struct FidelityBars {
  double min_cosine;
  double min_iou;       // every mask
  double min_mean_iou;  // over all masks
  double max_giou_gap;  // |gIoU - bf16's gIoU| over the eval cases
};
// Issue 12's bars: int8 cosine >= 0.999, IoU >= 0.97, gIoU within 1 point; int4 cosine >= 0.98,
// mean IoU >= 0.90, gIoU within 3 points.
FidelityBars fidelity_bars(models::QuantMode mode);

// The bf16 side of the comparisons over the golden eval and chat cases, each case's picture, SAM
// encoding and bf16 outcome made once (for both modes).
class FidelityReference {
 public:
  explicit FidelityReference(const std::filesystem::path& model_dir);
  // Runs `quantized` over every case, printing each [SEG]'s numbers (prefixed with `label`), and
  // checks them against `bars` with gtest's EXPECT (19 [SEG]s: 7 eval cases, 12 in the chat cases).
  void compare(const pipeline::Engine& quantized, const std::string& label, const FidelityBars& bars);

 private:
  struct Prepared {
    std::shared_ptr<const image::Image> image;
    std::unique_ptr<pipeline::SamEncoding> sam;
    SegOutcome reference;
  };
  const Prepared& prepared(const GoldenCase& golden, const std::vector<int64_t>& ids);

  std::unique_ptr<pipeline::Engine> bf16_, fp32_;
  std::map<std::string, Prepared> prepared_;
};

}  // namespace lisa::testing
