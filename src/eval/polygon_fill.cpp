#include "eval/polygon_fill.h"

#include <algorithm>
#include <climits>

#include <opencv2/imgproc.hpp>

namespace lisa::eval {
namespace {

// Edge x positions are 16.16 fixed point, as in OpenCV's rasteriser.
constexpr int kFractionBits = 16;
constexpr int64_t kOne = int64_t{1} << kFractionBits;

// A non-horizontal polygon edge covering rows [top, bottom), with its x on row `top` and its
// per-row step.
struct Edge {
  int top = 0;
  int bottom = 0;
  int64_t x = 0;
  int64_t dx = 0;
};

// Draws the outline of edge a -> b and returns its fill edge, or false for a horizontal edge.
// The fill edge is the line through two reference points, followed over the edge's own rows:
//  - an edge inside the image: its end points, shifted right by half a pixel;
//  - an edge reaching outside: the points cv::clipLine leaves (the ends of the visible piece, so
//    the fill meets the drawn outline; partly moved points when it misses the image), unless
//    they lie on one row — then its own end points; in both cases not shifted.
bool trace_edge(cv::Mat& img, cv::Point a, cv::Point b, uint8_t value, Edge& edge) {
  cv::line(img, a, b, cv::Scalar(value), 1, cv::LINE_8);
  if (a.y == b.y) return false;
  cv::Point2l ref_a(a.x, a.y), ref_b(b.x, b.y);
  int64_t shift = kOne / 2;
  const cv::Rect image(0, 0, img.cols, img.rows);
  if (!image.contains(a) || !image.contains(b)) {
    shift = 0;
    cv::Point2l clip_a = ref_a, clip_b = ref_b;
    cv::clipLine(cv::Size2l(img.cols, img.rows), clip_a, clip_b);  // may move points even on a miss
    if (clip_a.y != clip_b.y) {
      ref_a = clip_a;
      ref_b = clip_b;
    }
  }
  edge.dx = ((ref_b.x - ref_a.x) * kOne) / (ref_b.y - ref_a.y);
  const bool downwards = a.y < b.y;
  const cv::Point2l& ref_top = downwards ? ref_a : ref_b;
  edge.top = downwards ? a.y : b.y;
  edge.bottom = downwards ? b.y : a.y;
  edge.x = ref_top.x * kOne + shift + (edge.top - ref_top.y) * edge.dx;
  return true;
}

void fill_span(cv::Mat& img, int y, int64_t left, int64_t right, uint8_t value) {
  if (left > right) std::swap(left, right);
  const int64_t first = left >> kFractionBits;
  const int64_t last = right >> kFractionBits;
  if (first >= img.cols || last < 0) return;
  uint8_t* row = img.ptr<uint8_t>(y);
  for (int64_t x = std::max<int64_t>(first, 0); x <= std::min<int64_t>(last, img.cols - 1); ++x) row[x] = value;
}

// x + steps * dx with the wrap-around of `steps` repeated additions in two's complement.
int64_t stepped_x(int64_t x, int64_t dx, int64_t steps) {
  return static_cast<int64_t>(static_cast<uint64_t>(x) + static_cast<uint64_t>(steps) * static_cast<uint64_t>(dx));
}

// Moves the edges that start above the image to row 0, as the row walk would leave them there, and
// drops those that end above it, so that the walk costs at most the image's rows however far the
// polygon reaches (points at +-2e9 made it walk billions of rows). The same as walking: a closed
// polygon crosses every row an even number of times, so every active edge is paired and steps on
// every row, and rows above the image are not drawn.
void clip_edges_to_first_row(std::vector<Edge>& edges) {
  std::vector<Edge> kept;
  for (Edge e : edges) {
    if (e.bottom <= 0) continue;
    if (e.top < 0) {
      e.x = stepped_x(e.x, e.dx, -int64_t{e.top});
      e.top = 0;
    }
    kept.push_back(e);
  }
  edges.swap(kept);
}

// Scanline fill: on each row the active edges are taken in x order, new edges merged in, and the
// spans between the 1st and 2nd, 3rd and 4th... are filled; only paired edges step to the next row.
void fill_edges(cv::Mat& img, std::vector<Edge> edges, uint8_t value) {
  if (edges.size() < 2) return;
  int top = INT_MAX, bottom = INT_MIN;
  int64_t x_min = INT64_MAX, x_max = -1;
  for (const Edge& e : edges) {
    const int64_t x_end = stepped_x(e.x, e.dx, int64_t{e.bottom} - e.top);
    top = std::min(top, e.top);
    bottom = std::max(bottom, e.bottom);
    x_min = std::min({x_min, e.x, x_end});
    x_max = std::max({x_max, e.x, x_end});
  }
  if (bottom < 0 || top >= img.rows || x_max < 0 || x_min >= int64_t{img.cols} * kOne) return;
  clip_edges_to_first_row(edges);
  if (edges.empty()) return;
  std::sort(edges.begin(), edges.end(), [](const Edge& a, const Edge& b) {
    if (a.top != b.top) return a.top < b.top;
    if (a.x != b.x) return a.x < b.x;
    return a.dx < b.dx;
  });
  bottom = std::min(bottom, img.rows);
  std::vector<Edge*> active, next;
  size_t pending = 0;
  for (int y = edges.front().top; y < bottom; ++y) {
    next.clear();
    bool second_of_pair = false;
    size_t a = 0;
    for (;;) {
      if (a < active.size() && active[a]->bottom == y) {
        ++a;  // the edge ends above this row
        continue;
      }
      const bool have_new = pending < edges.size() && edges[pending].top == y;
      if (a < active.size() && (!have_new || active[a]->x < edges[pending].x)) {
        next.push_back(active[a++]);
      } else if (have_new) {
        next.push_back(&edges[pending++]);
      } else {
        break;
      }
      if (second_of_pair) {
        Edge& left = *next[next.size() - 2];
        Edge& right = *next.back();
        fill_span(img, y, left.x, right.x, value);
        left.x += left.dx;
        right.x += right.dx;
      }
      second_of_pair = !second_of_pair;
    }
    std::stable_sort(next.begin(), next.end(), [](const Edge* p, const Edge* q) { return p->x < q->x; });
    active.swap(next);
  }
}

}  // namespace

void fill_polygon(cv::Mat& img, const std::vector<cv::Point>& polygon, uint8_t value) {
  std::vector<Edge> edges;
  edges.reserve(polygon.size());
  for (size_t i = 0; i < polygon.size(); ++i) {
    Edge edge;
    if (trace_edge(img, polygon[(i + polygon.size() - 1) % polygon.size()], polygon[i], value, edge)) {
      edges.push_back(edge);
    }
  }
  fill_edges(img, std::move(edges), value);
}

}  // namespace lisa::eval
