#pragma once
// LLaVA's `mm_projector` as LISA uses it: one Linear from the CLIP width to the LLM width.
#include <ATen/ATen.h>

#include "lisa/models/linear.h"
#include "lisa/models/weights.h"

namespace lisa::models {

class MultimodalProjector {
 public:
  // Binds model.mm_projector.{weight [H, C], bias [H]}.
  static MultimodalProjector bind(WeightBinder& binder, int64_t vision_hidden_size, int64_t hidden_size);
  explicit MultimodalProjector(Linear linear) : linear_(std::move(linear)) {}

  // CLIP patch features [..., C] -> LLM input rows [..., H], in the weights' dtype.
  at::Tensor operator()(const at::Tensor& features) const;

 private:
  Linear linear_;
};

}  // namespace lisa::models
