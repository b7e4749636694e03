#pragma once
// LISA's `text_hidden_fcs[0]`: maps the LLM hidden state of each [SEG] token to a SAM prompt
// embedding: Linear(H, H), ReLU, Linear(H, out_dim), Dropout(0) (a no-op at inference).
#include <ATen/ATen.h>

#include "lisa/models/linear.h"
#include "lisa/models/weights.h"

namespace lisa::models {

class TextHiddenFcs {
 public:
  // Binds model.text_hidden_fcs.0.0.{weight [H, H], bias} and model.text_hidden_fcs.0.2.{weight [out, H], bias}.
  static TextHiddenFcs bind(WeightBinder& binder, int64_t hidden_size, int64_t out_dim);
  TextHiddenFcs(Linear first, Linear second) : first_(std::move(first)), second_(std::move(second)) {}

  // [n, H] -> [n, out_dim], in the weights' dtype.
  at::Tensor operator()(const at::Tensor& seg_hidden) const;

 private:
  Linear first_, second_;
};

}  // namespace lisa::models
