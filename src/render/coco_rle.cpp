#include "lisa/render/coco_rle.h"

#include <algorithm>
#include <limits>
#include <vector>

#include <nlohmann/json.hpp>

#include "lisa/error.h"

namespace lisa::render {
namespace {

// Every count is stored as a uint32 by pycocotools; masks beyond that cannot be represented.
constexpr int64_t kMaxPixels = std::numeric_limits<uint32_t>::max();

// The string codes each count (or, from the fourth count on, its difference to the count two
// places before — the run of the same value) in 5-bit groups, least significant first, each
// char = 48 + group | 0x20 when another group follows; bit 0x10 of the last group is the sign.
constexpr char kFirstChar = 48;
constexpr char kLastChar = 48 + 0x3f;
constexpr int kMaxGroups = 13;  // 65 bits: more than any int64 needs

bool uses_delta(size_t index) { return index > 2; }

void append_number(int64_t value, std::string& out) {
  bool more = true;
  while (more) {
    int group = static_cast<int>(value & 0x1f);
    value >>= 5;  // arithmetic shift keeps the sign
    more = (group & 0x10) ? value != -1 : value != 0;
    if (more) group |= 0x20;
    out.push_back(static_cast<char>(kFirstChar + group));
  }
}

int64_t pixel_count(const CocoRle& rle) {
  LISA_CHECK(!(rle.height < 0 || rle.width < 0 || (rle.width != 0 && rle.height > kMaxPixels / rle.width)),
             "COCO RLE: size [", rle.height, ", ", rle.width, "] is negative or exceeds 2^32 - 1 pixels");
  return rle.height * rle.width;
}

// The run lengths of `rle`, checked to be non-negative and to cover exactly H * W pixels.
std::vector<uint32_t> parse_counts(const CocoRle& rle) {
  const int64_t total = pixel_count(rle);
  std::vector<uint32_t> counts;
  int64_t covered = 0;
  size_t pos = 0;
  const std::string& s = rle.counts;
  while (pos < s.size()) {
    uint64_t bits = 0;  // unsigned: shifting into the sign bit is undefined for int64_t
    int group_index = 0;
    bool more = true;
    while (more) {
      LISA_CHECK(pos < s.size(), "COCO RLE: counts string ends inside a number (at character ", pos, ")");
      const char ch = s[pos];
      LISA_CHECK(ch >= kFirstChar && ch <= kLastChar, "COCO RLE: invalid character '", ch, "' at position ", pos,
                 " of the counts string");
      LISA_CHECK(group_index != kMaxGroups, "COCO RLE: number too long at position ", pos);
      const int group = ch - kFirstChar;
      bits |= static_cast<uint64_t>(group & 0x1f) << (5 * group_index);
      more = (group & 0x20) != 0;
      ++pos;
      ++group_index;
      if (!more && (group & 0x10) && 5 * group_index < 64) {
        bits |= ~uint64_t{0} << (5 * group_index);  // sign-extend
      }
    }
    int64_t value = static_cast<int64_t>(bits);  // two's complement, as GCC and Clang (and C++20) define it
    // A delta beyond these bounds is refused below; skipping the addition keeps it from overflowing.
    if (uses_delta(counts.size()) && value <= total && value >= -(int64_t{1} << 33))
      value += counts[counts.size() - 2];
    LISA_CHECK(value >= 0 && value <= total - covered, "COCO RLE: run ", counts.size(), " has length ", value,
               ", outside the ", total - covered, " pixels left of a ", rle.height, "x", rle.width, " mask");
    covered += value;
    counts.push_back(static_cast<uint32_t>(value));
  }
  LISA_CHECK(covered == total, "COCO RLE: runs cover ", covered, " pixels, the ", rle.height, "x", rle.width,
             " mask has ", total);
  return counts;
}

}  // namespace

CocoRle encode_rle(const cv::Mat& mask) {
  // Masks come from mask_image(); user data reaches this file only as RLE text (decode_rle).
  LISA_INTERNAL_ASSERT(mask.dims == 2 && mask.type() == CV_8UC1,
                       "COCO RLE: the mask must be a 2-D single-channel 8-bit image");
  CocoRle rle{mask.rows, mask.cols, {}};
  pixel_count(rle);
  // Runs alternate 0, 1, 0, ... over the column-major (Fortran) pixel order, starting with 0s;
  // the rows of the transpose are the columns of the mask.
  const cv::Mat columns = mask.empty() ? mask : cv::Mat(mask.t());
  std::vector<uint32_t> runs;
  bool current = false;
  uint32_t length = 0;
  for (int x = 0; x < columns.rows; ++x) {
    const uint8_t* column = columns.ptr<uint8_t>(x);
    for (int y = 0; y < columns.cols; ++y) {
      const bool value = column[y] != 0;
      if (value != current) {
        runs.push_back(length);
        length = 0;
        current = value;
      }
      ++length;
    }
  }
  runs.push_back(length);
  for (size_t i = 0; i < runs.size(); ++i) {
    int64_t value = runs[i];
    if (uses_delta(i)) value -= runs[i - 2];
    append_number(value, rle.counts);
  }
  return rle;
}

cv::Mat decode_rle(const CocoRle& rle) {
  const std::vector<uint32_t> counts = parse_counts(rle);
  // Filled column by column as the rows of the transpose.
  cv::Mat columns(static_cast<int>(rle.width), static_cast<int>(rle.height), CV_8UC1);
  uint8_t* pixel = columns.data;  // a freshly allocated Mat is continuous
  uint8_t value = 0;
  for (uint32_t run : counts) {
    pixel = std::fill_n(pixel, run, value);
    value = !value;
  }
  return columns.empty() ? cv::Mat(static_cast<int>(rle.height), static_cast<int>(rle.width), CV_8UC1)
                         : cv::Mat(columns.t());
}

int64_t rle_area(const CocoRle& rle) {
  const std::vector<uint32_t> counts = parse_counts(rle);
  int64_t area = 0;
  for (size_t i = 1; i < counts.size(); i += 2) area += counts[i];
  return area;
}

std::array<double, 4> rle_bbox(const CocoRle& rle) {
  const std::vector<uint32_t> counts = parse_counts(rle);
  // pycocotools' rleToBbox since 2.0.3 (the cocodataset/cocoapi original mishandles runs that
  // cross a column), in its uint32 arithmetic: only complete 0/1 run pairs are visited, empty
  // 1-runs are skipped, and a 1-run spanning two columns covers the full height. With no
  // non-empty 1-run among the pairs the extent stays inverted and the width and height wrap
  // around as unsigned numbers there, e.g. counts "<0" on 3x4 gives [4, 3, 2^32 - 3, 2^32 - 2].
  const uint32_t h = static_cast<uint32_t>(rle.height);
  const uint32_t w = static_cast<uint32_t>(rle.width);
  const size_t pairs_end = counts.size() / 2 * 2;
  if (pairs_end == 0) return {0, 0, 0, 0};
  uint32_t xs = w, ys = h, xe = 0, ye = 0, next_start = 0;
  for (size_t j = 0; j < pairs_end; ++j) {
    const uint32_t start = next_start;
    next_start += counts[j];
    if (j % 2 == 0 || counts[j] == 0) continue;
    const uint32_t last = next_start - 1;
    const uint32_t x_start = start / h, x_end = last / h;
    xs = std::min(xs, x_start);
    xe = std::max(xe, x_end);
    if (x_start < x_end) {
      ys = 0;
      ye = h - 1;
    } else {
      ys = std::min(ys, start % h);
      ye = std::max(ye, last % h);
    }
  }
  return {static_cast<double>(xs), static_cast<double>(ys), static_cast<double>(uint32_t(xe - xs + 1)),
          static_cast<double>(uint32_t(ye - ys + 1))};
}

nlohmann::json rle_to_json(const CocoRle& rle) {
  return {{"size", {rle.height, rle.width}}, {"counts", rle.counts}};
}

CocoRle rle_from_json(const nlohmann::json& value) {
  const bool well_formed = value.is_object() && value.contains("size") &&
                           value.contains("counts") && value["size"].is_array() &&
                           value["size"].size() == 2 && value["size"][0].is_number_integer() &&
                           value["size"][1].is_number_integer() && value["counts"].is_string();
  LISA_CHECK(well_formed, "COCO RLE: expected {\"size\": [H, W], \"counts\": \"...\"}, got ",
             value.dump().substr(0, 200));
  const auto& size = value["size"];
  return {size[0].get<int64_t>(), size[1].get<int64_t>(), value["counts"].get<std::string>()};
}

}  // namespace lisa::render
