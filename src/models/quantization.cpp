#include "lisa/models/quantization.h"

#include "lisa/error.h"

namespace lisa::models {

namespace {

// Smallest scale used for an all-equal row or group, so that nothing divides by zero (bf16 keeps
// fp32's exponent range, so it survives the rounding).
constexpr double kMinScale = 1e-30;

QuantizedWeight quantize_int8(const at::Tensor& w) {
  QuantizedWeight q;
  q.mode = QuantMode::kInt8;
  q.out_features = w.size(0);
  q.in_features = w.size(1);
  q.scales = (w.abs().amax(1) / 127.0).clamp_min(kMinScale).to(at::kBFloat16);
  q.values = at::round(w / q.scales.to(at::kFloat).unsqueeze(1)).clamp(-127, 127).to(at::kChar);
  return q;
}

QuantizedWeight quantize_int4(const at::Tensor& w, int64_t group_size) {
  QuantizedWeight q;
  q.mode = QuantMode::kInt4;
  q.out_features = w.size(0);
  q.in_features = w.size(1);
  q.group_size = group_size;
  const int64_t padded = round_up(q.in_features, group_size), groups = padded / group_size;
  const at::Tensor grouped =
      at::constant_pad_nd(w, {0, padded - q.in_features}).view({q.out_features, groups, group_size});
  const at::Tensor low = grouped.amin(-1), high = grouped.amax(-1);
  q.scales = ((high - low) / 15.0).clamp_min(kMinScale).to(at::kBFloat16);
  q.zeros = (low + 8.0 * q.scales.to(at::kFloat)).to(at::kBFloat16);
  const at::Tensor levels =
      at::round((grouped - q.zeros.to(at::kFloat).unsqueeze(-1)) / q.scales.to(at::kFloat).unsqueeze(-1) + 8.0)
          .clamp(0, 15)
          .to(at::kByte)
          .view({q.out_features, padded / 2, 2});
  q.values = at::bitwise_or(at::bitwise_left_shift(levels.select(-1, 0), 4), levels.select(-1, 1)).contiguous();
  return q;
}

}  // namespace

QuantMode parse_quant_mode(const std::string& text) {
  if (text == "none") return QuantMode::kNone;
  if (text == "int8") return QuantMode::kInt8;
  if (text == "int4") return QuantMode::kInt4;
  throw Error(detail::concat("unknown quantization mode '", text, "' (expected none, int8 or int4)"));
}

std::string to_string(QuantMode mode) {
  switch (mode) {
    case QuantMode::kNone:
      return "none";
    case QuantMode::kInt8:
      return "int8";
    case QuantMode::kInt4:
      return "int4";
  }
  LISA_INTERNAL_ASSERT(false, "unhandled QuantMode ", static_cast<int>(mode));
}

void QuantizationOptions::validate() const {
  LISA_CHECK(group_size == 32 || group_size == 64 || group_size == 128 || group_size == 256, "--group-size ",
             group_size, " is not supported (expected 32, 64, 128 or 256)");
}

int64_t QuantizedWeight::padded_in_features() const {
  return mode == QuantMode::kInt4 ? round_up(in_features, group_size) : in_features;
}

at::Tensor QuantizedWeight::int4_levels() const {
  LISA_INTERNAL_ASSERT(mode == QuantMode::kInt4, "int4_levels() of a ", to_string(mode), " weight");
  const at::Tensor bytes = values.to(at::kInt);
  return at::stack({at::bitwise_right_shift(bytes, 4), at::bitwise_and(bytes, 15)}, -1)
      .view({out_features, padded_in_features()});
}

at::Tensor QuantizedWeight::dequantize_rows(int64_t begin, int64_t end, at::ScalarType dtype) const {
  LISA_INTERNAL_ASSERT(0 <= begin && begin <= end && end <= out_features, "rows [", begin, ", ", end, ") of ",
                       out_features);
  if (mode == QuantMode::kInt8)
    return (values.slice(0, begin, end).to(at::kFloat) * scales.slice(0, begin, end).to(at::kFloat).unsqueeze(1))
        .to(dtype);
  LISA_INTERNAL_ASSERT(mode == QuantMode::kInt4, "dequantize a ", to_string(mode), " weight");
  const int64_t rows = end - begin, padded = padded_in_features();
  const at::Tensor bytes = values.slice(0, begin, end);
  const at::Tensor levels = at::stack({at::bitwise_right_shift(bytes, 4), at::bitwise_and(bytes, 15)}, -1)
                                .to(at::kFloat)
                                .view({rows, padded / group_size, group_size}) -
                            8.0;
  const at::Tensor w = at::addcmul(zeros.slice(0, begin, end).to(at::kFloat).unsqueeze(-1), levels,
                                   scales.slice(0, begin, end).to(at::kFloat).unsqueeze(-1));
  return w.view({rows, padded}).slice(1, 0, in_features).to(dtype);
}

int64_t QuantizedWeight::bytes() const {
  int64_t total = 0;
  for (const at::Tensor* t : {&values, &scales, &zeros})
    if (t->defined()) total += t->numel() * static_cast<int64_t>(t->element_size());
  return total;
}

QuantizedWeight QuantizedWeight::to(at::Device device) const {
  QuantizedWeight moved = *this;
  moved.values = values.to(device);
  moved.scales = scales.to(device);
  if (zeros.defined()) moved.zeros = zeros.to(device);
  return moved;
}

QuantizedWeight concat_rows(const std::vector<const QuantizedWeight*>& weights) {
  LISA_INTERNAL_ASSERT(!weights.empty(), "concat_rows of no weights");
  QuantizedWeight stacked = *weights.front();
  std::vector<at::Tensor> values, scales, zeros;
  stacked.out_features = 0;
  for (const QuantizedWeight* w : weights) {
    LISA_INTERNAL_ASSERT(w->mode == stacked.mode && w->in_features == stacked.in_features &&
                             w->group_size == stacked.group_size,
                         "concat_rows of weights quantized differently");
    stacked.out_features += w->out_features;
    values.push_back(w->values);
    scales.push_back(w->scales);
    if (w->zeros.defined()) zeros.push_back(w->zeros);
  }
  stacked.values = at::cat(values);
  stacked.scales = at::cat(scales);
  if (!zeros.empty()) stacked.zeros = at::cat(zeros);
  return stacked;
}

QuantizedWeight quantize_weight(const at::Tensor& weight, QuantMode mode, int64_t group_size) {
  LISA_INTERNAL_ASSERT(weight.dim() == 2 && weight.is_floating_point(), "quantize a weight of shape ", weight.sizes(),
                       " and dtype ", weight.scalar_type());
  const at::Tensor w = weight.to(at::kFloat);
  switch (mode) {
    case QuantMode::kInt8:
      return quantize_int8(w);
    case QuantMode::kInt4:
      QuantizationOptions{mode, group_size}.validate();
      return quantize_int4(w, group_size);
    case QuantMode::kNone:
      break;
  }
  LISA_INTERNAL_ASSERT(false, "quantize_weight with mode ", to_string(mode));
}

}  // namespace lisa::models
