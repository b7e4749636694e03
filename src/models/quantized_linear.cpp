#include "lisa/models/quantized_linear.h"

#include <algorithm>
#include <cstdint>

#include "lisa/error.h"
#include "lisa/models/cpu_native_dtype.h"
#include "lisa/models/few_rows_linear.h"

namespace lisa::models {

namespace {

// Output channels dequantized at a time by the dequantize path: a 64-row fp32 tile of a 4096-wide
// weight is 1 MiB, so it is still in cache when the GEMM reads it.
constexpr int64_t kTileRows = 64;

// torch's CPU int4 packing needs N % 16 == 0; tinygemm reads N in tiles of 8.
int64_t int4_row_multiple(at::Device device) { return device.is_cuda() ? 8 : 16; }

bool int4_kernel_exists(at::Device device) { return device.is_cpu() || device.is_cuda(); }

// tinygemm packs 2, 4 or 8 k-tiles of 16 columns together; more is faster, Kp must divide by them.
int64_t inner_k_tiles(int64_t padded_in_features) {
  if (padded_in_features % (8 * 16) == 0) return 8;
  if (padded_in_features % (4 * 16) == 0) return 4;
  return 2;
}

}  // namespace

QuantizedLinear::QuantizedLinear(const QuantizedWeight& weight, at::Device device, Path path)
    : mode_(weight.mode),
      device_(device),
      path_(path),
      out_features_(weight.out_features),
      in_features_(weight.in_features),
      padded_in_features_(weight.padded_in_features()),
      group_size_(weight.group_size) {
  LISA_INTERNAL_ASSERT(mode_ == QuantMode::kInt8 || mode_ == QuantMode::kInt4, "QuantizedLinear of mode ",
                       to_string(mode_));
  if (mode_ == QuantMode::kInt8) {
    // torch 2.11's CPU kernel on AVX-512 reads every weight row with 16-byte aligned loads: a row
    // that does not start on 16 bytes gives NaN, garbage or a segfault (2026-12-02, AVX-512 machine:
    // K = 8, 24, 40, 56, 200, 344 failed, multiples of 16 passed, and K = 128 failed too when its
    // values started 8 bytes off). So K % 16 == 0 (the AVX2 kernel needed K % 8; 16 keeps the path, hence the
    // numbers, the same on every x86 CPU), and values whose storage is not so aligned (a tensor
    // read in place from a checkpoint file) are copied into libtorch's aligned memory.
    kernel_available_ = in_features_ % 16 == 0;
    weight_ = weight.to(device);
    if (kernel_available_ && device.is_cpu() && reinterpret_cast<uintptr_t>(weight_.values.data_ptr()) % 64 != 0)
      weight_.values = weight_.values.clone(at::MemoryFormat::Contiguous);
  } else {
    kernel_available_ = int4_kernel_exists(device);
    if (kernel_available_ && path != Path::kDequantize) {
      packed_rows_ = round_up(out_features_, int4_row_multiple(device));
      const int64_t pad_rows = packed_rows_ - out_features_;
      const at::Tensor scales = at::constant_pad_nd(weight.scales, {0, 0, 0, pad_rows});
      const at::Tensor zeros = at::constant_pad_nd(weight.zeros, {0, 0, 0, pad_rows});
      scale_and_zeros_ = at::stack({scales, zeros}, -1).transpose(0, 1).contiguous().to(device);
      if (device.is_cuda()) {
        const at::Tensor bytes = at::constant_pad_nd(weight.values, {0, 0, 0, pad_rows}).to(device).contiguous();
        packed_ = at::_convert_weight_to_int4pack(bytes, inner_k_tiles(padded_in_features_));
      } else {
        const at::Tensor levels = at::constant_pad_nd(weight.int4_levels().cpu(), {0, 0, 0, pad_rows}, 8);
        packed_ = at::_convert_weight_to_int4pack_for_cpu(levels.contiguous(), /*innerKTiles=*/2);
      }
    } else {
      weight_ = weight.to(device);
    }
  }
  LISA_INTERNAL_ASSERT(path != Path::kKernel || kernel_available_, "no ", to_string(mode_), " kernel on ", device.str(),
                       " for a weight with ", in_features_, " input columns");
}

bool QuantizedLinear::uses_few_rows(const at::Tensor& x2d) const {
  if (path_ == Path::kFewRows) return true;
  return path_ == Path::kAuto && mode_ == QuantMode::kInt8 &&
         few_rows_int8_linear_applies(x2d, weight_.values, weight_.scales);
}

bool QuantizedLinear::uses_kernel(int64_t rows) const {
  switch (path_) {
    case Path::kKernel:
      return true;
    case Path::kDequantize:
    case Path::kFewRows:
      return false;
    case Path::kAuto:
      break;
  }
  if (!kernel_available_) return false;
  if (mode_ == QuantMode::kInt4) return true;  // only the packed copy is kept (see the header)
  return device_.is_cpu() && rows < kCpuKernelMaxRows;
}

at::Tensor QuantizedLinear::operator()(const at::Tensor& x) const {
  LISA_INTERNAL_ASSERT(x.dim() >= 1 && x.size(-1) == in_features_, "input of shape ", x.sizes(), " for a layer with ",
                       in_features_, " input columns");
  const at::Tensor x2d = x.reshape({-1, in_features_});
  const at::Tensor y = uses_few_rows(x2d)         ? few_rows_int8_linear(x2d, weight_.values, weight_.scales)
                       : uses_kernel(x2d.size(0)) ? kernel(x2d)
                                                  : dequantized_matmul(x2d);
  std::vector<int64_t> shape(x.sizes().begin(), x.sizes().end());
  shape.back() = out_features_;
  return y.view(shape).to(x.scalar_type());
}

at::Tensor QuantizedLinear::kernel(const at::Tensor& x2d) const {
  const at::Tensor xb = x2d.to(at::kBFloat16).contiguous();
  if (mode_ == QuantMode::kInt8) return at::_weight_int8pack_mm(xb, weight_.values, weight_.scales);
  const at::Tensor padded =
      padded_in_features_ == in_features_ ? xb : at::constant_pad_nd(xb, {0, padded_in_features_ - in_features_});
  const at::Tensor y = device_.is_cuda()
                           ? at::_weight_int4pack_mm(padded, packed_, group_size_, scale_and_zeros_)
                           : at::_weight_int4pack_mm_for_cpu(padded, packed_, group_size_, scale_and_zeros_);
  return packed_rows_ == out_features_ ? y : y.slice(1, 0, out_features_).contiguous();
}

at::Tensor QuantizedLinear::dequantized_matmul(const at::Tensor& x2d) const {
  LISA_INTERNAL_ASSERT(weight_.values.defined(), "the dequantize path of a layer that kept only its packed weight");
  const at::ScalarType gemm_dtype =
      device_.is_cpu() && !(x2d.scalar_type() == at::kBFloat16 && cpu_computes_natively(at::kBFloat16))
          ? at::kFloat
          : at::kBFloat16;
  const at::Tensor xg = x2d.to(gemm_dtype);
  at::Tensor out = at::empty({xg.size(0), out_features_}, xg.options());
  for (int64_t begin = 0; begin < out_features_; begin += kTileRows) {
    const int64_t end = std::min(out_features_, begin + kTileRows);
    at::Tensor columns = out.slice(1, begin, end);
    at::mm_out(columns, xg, weight_.dequantize_rows(begin, end, gemm_dtype).t());
  }
  return out;
}

int64_t QuantizedLinear::bytes() const {
  int64_t total = weight_.values.defined() ? weight_.bytes() : 0;
  for (const at::Tensor* t : {&packed_, &scale_and_zeros_})
    if (t->defined()) total += t->numel() * static_cast<int64_t>(t->element_size());
  return total;
}

}  // namespace lisa::models
