#include "lisa/models/linear.h"

namespace lisa::models {

Linear Linear::bind(const WeightScope& scope, int64_t in_features, int64_t out_features, bool with_bias) {
  Linear layer;
  layer.weight = scope.bind("weight", {out_features, in_features});
  if (with_bias) layer.bias = scope.bind("bias", {out_features});
  return layer;
}

}  // namespace lisa::models
