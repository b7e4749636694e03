#include "lisa/image/read_image.h"

#include <algorithm>
#include <limits>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "image/image_probe.h"
#include "lisa/error.h"
#include "lisa/io/regular_file.h"

namespace lisa::image {

namespace {

std::vector<uint8_t> read_file(const std::filesystem::path& path, const ReadImageOptions& options) {
  const std::string name = path.string();
  const io::RegularFile file = io::RegularFile::open(path);
  const uint64_t size = file.size();
  LISA_CHECK(size != 0, name, ": empty file (0 bytes), not an image");
  // OpenCV takes the encoded bytes as one row of a cv::Mat, whose width is an int.
  const auto limit = std::min<uintmax_t>(options.max_file_bytes, std::numeric_limits<int>::max());
  LISA_CHECK(size <= limit, name, ": file of ", size, " bytes is larger than the limit of ", limit, " bytes");
  std::vector<uint8_t> bytes(size);
  file.read_exactly(bytes.data(), bytes.size());
  return bytes;
}

}  // namespace

Image read_image(const std::filesystem::path& path, const ReadImageOptions& options) {
  return decode_image(read_file(path, options), path.string(), options);
}

Image decode_image(std::vector<uint8_t> bytes, const std::string& name, const ReadImageOptions& options) {
  LISA_CHECK(!bytes.empty(), name, ": empty (0 bytes), not an image");
  const ImageHeader header = probe_image(bytes, name);
  LISA_CHECK(header.width <= options.max_pixels / header.height,  // width * height could overflow
             name, ": ", format_name(header.format), " of ", header.width, "x", header.height,
             " pixels is larger than the limit of ", options.max_pixels, " pixels");

  // imdecode of the bytes is what imread does after opening the file (same EXIF handling);
  // they differ only on truncated JPEGs, which probe_image has already refused.
  cv::Mat bgr;
  try {
    bgr = cv::imdecode(cv::Mat(1, static_cast<int>(bytes.size()), CV_8UC1, bytes.data()), cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    throw Error(detail::concat(name, ": OpenCV failed to decode this ", format_name(header.format), " (", e.what(), ")"));
  }
  LISA_CHECK(!bgr.empty() && bgr.type() == CV_8UC3, name, ": OpenCV could not decode this ",
             format_name(header.format), " (corrupt or unsupported data)");
  Image rgb(ImageSize{bgr.rows, bgr.cols});
  cv::Mat rgb_view(bgr.rows, bgr.cols, CV_8UC3, rgb.data());
  cv::cvtColor(bgr, rgb_view, cv::COLOR_BGR2RGB);
  return rgb;
}

}  // namespace lisa::image
