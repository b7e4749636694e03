#include "lisa/models/sam/windows.h"

namespace lisa::models::sam {

WindowPartition window_partition(const at::Tensor& x, int64_t window) {
  const int64_t b = x.size(0), h = x.size(1), w = x.size(2), c = x.size(3);
  const int64_t pad_h = (window - h % window) % window;
  const int64_t pad_w = (window - w % window) % window;
  // constant_pad_nd pads from the last dimension backwards: C by (0, 0), W by (0, pad_w), H by (0, pad_h).
  const auto padded = pad_h > 0 || pad_w > 0 ? at::constant_pad_nd(x, {0, 0, 0, pad_w, 0, pad_h}) : x;
  const int64_t hp = h + pad_h, wp = w + pad_w;
  auto windows = padded.reshape({b, hp / window, window, wp / window, window, c})
                     .permute({0, 1, 3, 2, 4, 5})
                     .reshape({-1, window, window, c});
  return {windows, hp, wp};
}

at::Tensor window_unpartition(const at::Tensor& windows, int64_t window, int64_t padded_h, int64_t padded_w,
                              int64_t h, int64_t w) {
  const int64_t b = windows.size(0) / ((padded_h / window) * (padded_w / window));
  auto x = windows.reshape({b, padded_h / window, padded_w / window, window, window, -1})
               .permute({0, 1, 3, 2, 4, 5})
               .reshape({b, padded_h, padded_w, -1});
  if (padded_h > h || padded_w > w) x = x.slice(1, 0, h).slice(2, 0, w).contiguous();
  return x;
}

}  // namespace lisa::models::sam
