#include "lisa/models/projector.h"

namespace lisa::models {

MultimodalProjector MultimodalProjector::bind(WeightBinder& binder, int64_t vision_hidden_size, int64_t hidden_size) {
  return MultimodalProjector(
      Linear::bind(WeightScope(binder, "model.mm_projector."), vision_hidden_size, hidden_size, true));
}

at::Tensor MultimodalProjector::operator()(const at::Tensor& features) const {
  return linear_(features.to(linear_.weight.device(), linear_.weight.scalar_type()));
}

}  // namespace lisa::models
