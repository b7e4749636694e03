#pragma once
// Non-overlapping window partition of a token grid (ViTDet / SAM windowed attention).
#include <ATen/ATen.h>

#include <cstdint>

namespace lisa::models::sam {

struct WindowPartition {
  at::Tensor windows;      // [B * num_windows, window, window, C]
  int64_t padded_h = 0;    // grid height after zero padding to a multiple of the window
  int64_t padded_w = 0;
};

// x [B, H, W, C] -> windows, zero-padding the bottom / right edges first when needed.
WindowPartition window_partition(const at::Tensor& x, int64_t window);

// Inverse of window_partition: [B * num_windows, window, window, C] -> [B, H, W, C], padding removed.
at::Tensor window_unpartition(const at::Tensor& windows, int64_t window, int64_t padded_h, int64_t padded_w,
                              int64_t h, int64_t w);

}  // namespace lisa::models::sam
