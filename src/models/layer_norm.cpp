#include "lisa/models/layer_norm.h"

namespace lisa::models {

LayerNorm LayerNorm::bind(const WeightScope& scope, int64_t width, double eps) {
  return {scope.bind("weight", {width}), scope.bind("bias", {width}), eps};
}

}  // namespace lisa::models
