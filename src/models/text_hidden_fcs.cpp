#include "lisa/models/text_hidden_fcs.h"

namespace lisa::models {

TextHiddenFcs TextHiddenFcs::bind(WeightBinder& binder, int64_t hidden_size, int64_t out_dim) {
  const WeightScope scope(binder, "model.text_hidden_fcs.0.");
  return TextHiddenFcs(Linear::bind(scope.sub("0"), hidden_size, hidden_size, true),
                       Linear::bind(scope.sub("2"), hidden_size, out_dim, true));
}

at::Tensor TextHiddenFcs::operator()(const at::Tensor& seg_hidden) const {
  return second_(at::relu(first_(seg_hidden.to(first_.weight.device(), first_.weight.scalar_type()))));
}

}  // namespace lisa::models
