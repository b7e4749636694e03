#pragma once
// Weight-only quantization of a linear layer's weight [N, K] (N output channels, K input columns),
// in a device-independent form (the one `lisa quantize` is meant to write): QuantizedWeight.
// QuantizedLinear (quantized_linear.h) packs it for a device's kernels and computes with it.
//
// int8: symmetric, one scale per output channel:   w[n, k] = q[n, k] * scale[n],  q in [-127, 127].
// int4: asymmetric, one scale and one zero per group of `group_size` consecutive input columns of
//       a row:   w[n, k] = (q[n, k] - 8) * scale[n, g] + zero[n, g],  q in [0, 15],  g = k / group_size.
//       `zero` is the value that q = 8 stands for (a float offset, torch's tinygemm convention that
//       both its CPU and CUDA int4 kernels read), not an integer zero point. With zero = min + 8 *
//       scale and scale = (max - min) / 15 the group's range [min, max] maps onto q = 0..15.
//       Two values per byte, row-major: byte [n, j] holds column 2j in its high nibble and column
//       2j + 1 in its low nibble (the order torch's CUDA packing op reads).
// Scales and zeros are bf16 because the kernels read them as bf16; q is rounded to nearest with the
// bf16-rounded scale and zero, so that the kernels reproduce exactly what was quantized.
//
// Input width not a multiple of the group size (int4 only; int8 has no groups): the weight is
// zero-padded on the right to the next multiple, Kp, and the activations are padded the same way
// when a kernel needs it (padded columns meet zero activations, so the product is unchanged). This
// keeps every LLaMA projection quantized whatever its width, at a cost of (Kp - K) / K on that
// layer's memory only: the golden tiny checkpoints' FFN width 344 becomes 384 with G = 64 (12%);
// LLaMA-7B/13B's widths (4096, 11008, 5120, 13824) are multiples of 256 and need none. Keeping such
// layers unquantized instead would leave the tiny checkpoints' down_proj out of every int4 test.
#include <ATen/ATen.h>

#include <string>
#include <vector>

namespace lisa::models {

enum class QuantMode { kNone, kInt8, kInt4 };

// "none" | "int8" | "int4"; lisa::Error naming the accepted values otherwise.
QuantMode parse_quant_mode(const std::string& text);
std::string to_string(QuantMode mode);

// What --quantize / --group-size ask for.
struct QuantizationOptions {
  QuantMode mode = QuantMode::kNone;
  int64_t group_size = 64;  // int4 only: 32 | 64 | 128 | 256 (what torch's int4 kernels support)

  // lisa::Error naming --group-size when it is not one of the supported sizes.
  void validate() const;
};

struct QuantizedWeight {
  QuantMode mode = QuantMode::kNone;
  int64_t out_features = 0;  // N
  int64_t in_features = 0;   // K, as in the original weight
  int64_t group_size = 0;    // int4 only
  at::Tensor values;         // int8: int8 [N, K]; int4: uint8 [N, Kp / 2], two columns per byte
  at::Tensor scales;         // int8: bf16 [N]; int4: bf16 [N, Kp / G]
  at::Tensor zeros;          // int4: bf16 [N, Kp / G]; int8: undefined

  // Kp: K rounded up to a multiple of the group size (int4); K for int8.
  int64_t padded_in_features() const;
  // Rows [begin, end) of the weight, [end - begin, K] in `dtype` (computed in fp32, rounded once).
  at::Tensor dequantize_rows(int64_t begin, int64_t end, at::ScalarType dtype) const;
  at::Tensor dequantize(at::ScalarType dtype) const { return dequantize_rows(0, out_features, dtype); }
  // int4: q as int32 [N, Kp] (0..15), unpacked from `values`.
  at::Tensor int4_levels() const;
  // Bytes held by values, scales and zeros.
  int64_t bytes() const;
  QuantizedWeight to(at::Device device) const;
};

// The weights stacked along their output channels, as one layer (the fused q/k/v and gate/up
// projections): every row's numbers are its own, so stacking quantized rows is the same as quantizing
// the stacked float rows. All must share mode, K and group size.
QuantizedWeight concat_rows(const std::vector<const QuantizedWeight*>& weights);

// Quantizes a floating-point weight [N, K] (any float dtype, any device; computed in fp32 on its
// device). `group_size` is read for int4 only. mode must not be kNone.
QuantizedWeight quantize_weight(const at::Tensor& weight, QuantMode mode, int64_t group_size);

// `value` rounded up to a multiple of `multiple` (> 0): padded widths and packed row counts.
inline int64_t round_up(int64_t value, int64_t multiple) { return (value + multiple - 1) / multiple * multiple; }

}  // namespace lisa::models
