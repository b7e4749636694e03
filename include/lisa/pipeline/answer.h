#pragma once
// What one question returns: the answer, its token ids, one mask per [SEG], and where time went.
#include <ATen/ATen.h>

#include <string>
#include <vector>

namespace lisa::pipeline {

struct SegMask {
  at::Tensor logits;  // [H, W] float32 on the CPU, at the original image size
  at::Tensor binary;  // [H, W] bool, logits > 0
  float score = 0;    // SAM's IoU prediction for this mask
};

// Milliseconds per stage of one question; stages that did not run stay 0.
struct StageTimings {
  double preprocess_ms = 0;   // decode-independent image preparation (CLIP + SAM inputs)
  double clip_ms = 0;         // CLIP tower + projector
  double sam_encoder_ms = 0;  // SAM image encoder (cached per image: 0 when reused)
  double prefill_ms = 0;
  double decode_ms = 0;
  int64_t decode_tokens = 0;  // tokens produced by the decode loop (after the first)
  double sam_decode_ms = 0;   // prompt encoder + mask decoder
  double postprocess_ms = 0;
  double total_ms = 0;
};

struct Answer {
  std::string text;                 // the decoded answer (chat.py's display clean-up applied)
  std::vector<int64_t> token_ids;   // generated ids (prompt excluded), EOS included when produced
  std::vector<SegMask> masks;       // one per [SEG], in order (empty when MaskOptions::on_chunk took them)
  int64_t mask_count = 0;           // masks of the answer, wherever they went
  bool forced_seg = false;          // masks come from the forced answer "Sure, [SEG]."
  StageTimings timings;
};

}  // namespace lisa::pipeline
