#include "lisa/image/pil_resize.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "lisa/error.h"

namespace lisa::image {

namespace {

// Pillow keeps 22 fractional bits: 8 bits of pixel plus 2 bits of headroom for kernels with
// negative lobes still fit a 32-bit accumulator.
constexpr int kPrecisionBits = 32 - 8 - 2;
constexpr int32_t kHalf = 1 << (kPrecisionBits - 1);

double bilinear_kernel(double x) {
  if (x < 0.0) x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}

// Written with Pillow's association and a = -0.5 so every double rounds the same way.
double bicubic_kernel(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

struct Kernel {
  double (*weight)(double);
  double support;
};

Kernel kernel_for(ResampleFilter filter) {
  switch (filter) {
    case ResampleFilter::Bilinear: return {bilinear_kernel, 1.0};
    case ResampleFilter::Bicubic: return {bicubic_kernel, 2.0};
  }
  LISA_INTERNAL_ASSERT(false, "pil_resize: unknown resampling filter ", static_cast<int>(filter));
  return {};
}

// For output samples [first_out, first_out + n) along one axis: the input span
// [first[i], first[i] + count[i]) that sample i reads and its fixed-point weights (row i of
// `weights`, `stride` entries, the first count[i] used).
struct AxisWeights {
  int stride = 0;
  std::vector<int> first;
  std::vector<int> count;
  std::vector<int32_t> weights;
  int input_begin() const { return first.front(); }
  int input_end() const { return first.back() + count.back(); }  // both bounds grow with i
};

AxisWeights axis_weights(int in_size, int out_size, int first_out, int n, Kernel kernel) {
  // Pillow passes the (default) box as floats: exact for sides below 2^24, rounded above.
  const double scale = static_cast<double>(static_cast<float>(in_size)) / out_size;
  const double filter_scale = std::max(scale, 1.0);
  const double support = kernel.support * filter_scale;
  const double inv_filter_scale = 1.0 / filter_scale;

  AxisWeights axis;
  axis.stride = static_cast<int>(std::ceil(support)) * 2 + 1;
  axis.first.resize(n);
  axis.count.resize(n);
  axis.weights.assign(static_cast<size_t>(n) * axis.stride, 0);
  std::vector<double> w(axis.stride);
  for (int i = 0; i < n; ++i) {
    const double center = (first_out + i + 0.5) * scale;
    // Truncating casts as in Pillow; a negative start only ever clamps to 0.
    const int lo = std::max(static_cast<int>(center - support + 0.5), 0);
    const int hi = std::min(static_cast<int>(center + support + 0.5), in_size);
    const int taps = hi - lo;
    double total = 0.0;
    for (int t = 0; t < taps; ++t) {
      w[t] = kernel.weight((static_cast<double>(t + lo) - center + 0.5) * inv_filter_scale);
      total += w[t];
    }
    int32_t* out = &axis.weights[static_cast<size_t>(i) * axis.stride];
    for (int t = 0; t < taps; ++t) {
      const double normalised = total != 0.0 ? w[t] / total : w[t];
      const double fixed = normalised * (1 << kPrecisionBits);
      out[t] = static_cast<int32_t>(normalised < 0 ? fixed - 0.5 : fixed + 0.5);
    }
    axis.first[i] = lo;
    axis.count[i] = taps;
  }
  return axis;
}

// Pillow's clip8: floor division by 2^22 (arithmetic shift), then saturation.
inline uint8_t to_uint8(int32_t accumulator) {
  const int32_t v = accumulator >> kPrecisionBits;
  return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

constexpr int64_t kRowsPerTask = 8;

// Rows [row_begin, row_end) of `in`, each filtered along x to the columns `axis` describes.
Image resample_rows(const Image& in, int row_begin, int row_end, const AxisWeights& axis) {
  const int out_width = static_cast<int>(axis.first.size());
  Image out(ImageSize{row_end - row_begin, out_width});
  at::parallel_for(0, out.height(), kRowsPerTask, [&](int64_t begin, int64_t end) {
    for (int64_t y = begin; y < end; ++y) {
      const uint8_t* src = in.row(row_begin + static_cast<int>(y));
      uint8_t* dst = out.row(static_cast<int>(y));
      for (int o = 0; o < out_width; ++o) {
        const int32_t* k = &axis.weights[static_cast<size_t>(o) * axis.stride];
        const uint8_t* p = src + static_cast<size_t>(axis.first[o]) * Image::kChannels;
        int32_t r = kHalf, g = kHalf, b = kHalf;
        for (int t = 0; t < axis.count[o]; ++t, p += Image::kChannels) {
          r += p[0] * k[t];
          g += p[1] * k[t];
          b += p[2] * k[t];
        }
        dst[o * Image::kChannels + 0] = to_uint8(r);
        dst[o * Image::kChannels + 1] = to_uint8(g);
        dst[o * Image::kChannels + 2] = to_uint8(b);
      }
    }
  });
  return out;
}

// Filters `in` along y to the rows `axis` describes; `in` holds input rows from `row_offset` on.
// Same arithmetic as Pillow's vertical pass: accumulating whole rows at a time only reorders
// exact integer additions.
Image resample_columns(const Image& in, int row_offset, const AxisWeights& axis) {
  const int out_height = static_cast<int>(axis.first.size());
  Image out(ImageSize{out_height, in.width()});
  const size_t row_bytes = in.row_bytes();
  at::parallel_for(0, out_height, kRowsPerTask, [&](int64_t begin, int64_t end) {
    std::vector<int32_t> acc(row_bytes);
    for (int64_t o = begin; o < end; ++o) {
      std::fill(acc.begin(), acc.end(), kHalf);
      const int32_t* k = &axis.weights[static_cast<size_t>(o) * axis.stride];
      for (int t = 0; t < axis.count[o]; ++t) {
        const uint8_t* src = in.row(axis.first[o] - row_offset + t);
        const int32_t weight = k[t];
        for (size_t i = 0; i < row_bytes; ++i) acc[i] += src[i] * weight;
      }
      uint8_t* dst = out.row(static_cast<int>(o));
      for (size_t i = 0; i < row_bytes; ++i) dst[i] = to_uint8(acc[i]);
    }
  });
  return out;
}

Image crop(const Image& in, int row_begin, int row_end, int left, int width) {
  Image out(ImageSize{row_end - row_begin, width});
  for (int y = row_begin; y < row_end; ++y) {
    const uint8_t* src = in.row(y) + static_cast<size_t>(left) * Image::kChannels;
    std::copy(src, src + out.row_bytes(), out.row(y - row_begin));
  }
  return out;
}

}  // namespace

ResampleFilter resample_filter_from_pil_code(int code) {
  switch (code) {
    case 2: return ResampleFilter::Bilinear;
    case 3: return ResampleFilter::Bicubic;
    default:
      throw Error(detail::concat("unsupported PIL resampling filter ", code, " (implemented: 2 = BILINEAR, 3 = BICUBIC)"));
  }
}

Image pil_resize(const Image& in, ImageSize out_size, ResampleFilter filter) {
  return pil_resize_window(in, out_size, Window{0, 0, out_size}, filter);
}

Image pil_resize_window(const Image& in, ImageSize out_size, Window window, ResampleFilter filter) {
  // The preprocessors check the sizes a user's picture and configuration lead to before resizing.
  LISA_INTERNAL_ASSERT(!in.empty(), "pil_resize: the input image is empty");
  LISA_INTERNAL_ASSERT(out_size.height >= 1 && out_size.width >= 1, "pil_resize: target size ", out_size.height, "x",
                       out_size.width, " is empty");
  LISA_INTERNAL_ASSERT(!(window.size.height < 1 || window.size.width < 1 || window.top < 0 || window.left < 0 ||
                         window.top > out_size.height - window.size.height ||
                         window.left > out_size.width - window.size.width),
                       "pil_resize: window ", window.size.height, "x", window.size.width, " at (", window.top, ", ",
                       window.left, ") is not inside the target size ", out_size.height, "x", out_size.width);
  const Kernel kernel = kernel_for(filter);
  // Like Pillow, an axis whose size does not change is not filtered at all.
  const bool filter_x = out_size.width != in.width();
  const bool filter_y = out_size.height != in.height();
  AxisWeights y_axis;
  int row_begin = window.top, row_end = window.top + window.size.height;
  if (filter_y) {
    y_axis = axis_weights(in.height(), out_size.height, window.top, window.size.height, kernel);
    row_begin = y_axis.input_begin();
    row_end = y_axis.input_end();
  }
  // Horizontal pass first, on the input rows the vertical pass will read.
  Image rows =
      filter_x ? resample_rows(in, row_begin, row_end,
                               axis_weights(in.width(), out_size.width, window.left, window.size.width, kernel))
               : crop(in, row_begin, row_end, window.left, window.size.width);
  if (!filter_y) return rows;
  return resample_columns(rows, row_begin, y_axis);
}

}  // namespace lisa::image
