#include "lisa/eval/ground_truth.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <opencv2/imgproc.hpp>

#include "eval/polygon_fill.h"
#include "lisa/error.h"

namespace lisa::eval {
namespace {

// The reference compares str.lower(); no non-ASCII character lower-cases into the ASCII letters
// of "flag" or "ignore", so ASCII lower-casing decides the same.
std::string ascii_lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  return text;
}

int to_int32(double coordinate, const ReasonSegShape& shape) {
  const double truncated = std::trunc(coordinate);
  // std::to_string: the coordinate in full (six decimals), not in the stream's exponent form.
  LISA_CHECK(truncated >= std::numeric_limits<int32_t>::min() && truncated <= std::numeric_limits<int32_t>::max(),
             "ReasonSeg shape \"", shape.label, "\": coordinate ", std::to_string(coordinate), " does not fit in int32");
  return static_cast<int>(truncated);
}

std::vector<cv::Point> polygon_of(const ReasonSegShape& shape) {
  LISA_CHECK(!shape.points.empty(), "ReasonSeg shape \"", shape.label, "\" has no points");
  std::vector<cv::Point> polygon;
  for (const auto& [x, y] : shape.points) polygon.emplace_back(to_int32(x, shape), to_int32(y, shape));
  return polygon;
}

// cv2.polylines(mask, [points], True, value, 1) then cv2.fillPoly(mask, [points], value).
void draw(cv::Mat& mask, const std::vector<cv::Point>& polygon, uint8_t value) {
  cv::polylines(mask, polygon, /*isClosed=*/true, cv::Scalar(value), /*thickness=*/1, cv::LINE_8);
  fill_polygon(mask, polygon, value);  // as OpenCV 4.8 fills, see polygon_fill.h
}

}  // namespace

cv::Mat rasterise_ground_truth(const ReasonSegAnnotation& annotation, int height, int width) {
  struct Drawable {
    std::vector<cv::Point> polygon;
    uint8_t value;
    int64_t area;
  };
  std::vector<Drawable> drawables;
  cv::Mat scratch(height, width, CV_8UC1);
  for (const ReasonSegShape& shape : annotation.shapes) {
    const std::string label = ascii_lower(shape.label);
    if (label == "flag") continue;  // deprecated annotations
    Drawable d{polygon_of(shape), label.find("ignore") != std::string::npos ? kIgnoreValue : kTargetValue, 0};
    scratch.setTo(0);
    draw(scratch, d.polygon, 1);
    d.area = cv::countNonZero(scratch);
    drawables.push_back(std::move(d));
  }
  // The reference orders by np.argsort(areas)[::-1] (not Python's stable sorted()): descending
  // area, equal areas in whatever order numpy's default quicksort leaves them, reversed. Its
  // portable path sorts up to 16 elements by insertion, which is stable, so the later shape comes
  // first; that is the order used here. Larger lists, and any list on CPUs where numpy >= 1.25
  // dispatches to its AVX-512 sort (x86-simd-sort, not stable), tie differently. The tie order
  // only changes the mask where equal-area shapes of different value overlap.
  std::vector<size_t> order(drawables.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return drawables[a].area != drawables[b].area ? drawables[a].area > drawables[b].area : a > b;
  });
  cv::Mat mask(height, width, CV_8UC1, cv::Scalar(0));
  for (size_t i : order) draw(mask, drawables[i].polygon, drawables[i].value);
  return mask;
}

}  // namespace lisa::eval
