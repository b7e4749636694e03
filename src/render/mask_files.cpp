#include "lisa/render/mask_files.h"

#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "lisa/error.h"
#include "lisa/render/atomic_file.h"

namespace lisa::render {
namespace {

// Masks come from mask_image(), at the size of the picture they were predicted for.
void check_mask(const cv::Mat& mask) {
  LISA_INTERNAL_ASSERT(mask.dims == 2 && mask.type() == CV_8UC1, "mask image: expected a 2-D single-channel 8-bit mask");
}

// 0 / 1 copy of a mask whose nonzero pixels are foreground.
cv::Mat zero_one(const cv::Mat& mask) {
  check_mask(mask);
  cv::Mat binary;
  cv::threshold(mask, binary, 0, 1, cv::THRESH_BINARY);
  return binary;
}

std::string encode(const std::string& extension, const cv::Mat& image) {
  std::vector<uint8_t> bytes;
  LISA_CHECK(cv::imencode(extension, image, bytes), "cannot encode a ", image.cols, "x", image.rows, " image as ",
             extension);
  return {bytes.begin(), bytes.end()};
}

std::filesystem::path output_path(const std::filesystem::path& dir, const std::string& stem,
                                  const std::string& kind, int index, const std::string& extension) {
  return dir / (stem + "_" + kind + "_" + std::to_string(index) + extension);
}

}  // namespace

std::string chat_output_stem(const std::string& image_path) {
  const size_t slash = image_path.rfind('/');
  const std::string name = slash == std::string::npos ? image_path : image_path.substr(slash + 1);
  return name.substr(0, name.find('.'));
}

cv::Mat red_overlay(const cv::Mat& image_rgb, const cv::Mat& mask) {
  check_mask(mask);
  LISA_INTERNAL_ASSERT(image_rgb.type() == CV_8UC3 && image_rgb.size() == mask.size(),
                       "overlay: expected an 8-bit RGB image of the mask's size ", mask.cols, "x", mask.rows);
  cv::Mat out = image_rgb.clone();
  for (int y = 0; y < out.rows; ++y) {
    const uint8_t* inside = mask.ptr<uint8_t>(y);
    cv::Vec3b* pixel = out.ptr<cv::Vec3b>(y);
    for (int x = 0; x < out.cols; ++x) {
      if (!inside[x]) continue;
      // float64 0.5 * v + 127.5 (or + 0) is exact, and the uint8 store truncates it.
      pixel[x][0] = static_cast<uint8_t>((pixel[x][0] + 255) / 2);
      pixel[x][1] = static_cast<uint8_t>(pixel[x][1] / 2);
      pixel[x][2] = static_cast<uint8_t>(pixel[x][2] / 2);
    }
  }
  return out;
}

std::string chat_mask_jpeg(const cv::Mat& mask) { return encode(".jpg", zero_one(mask) * 100); }

std::string chat_overlay_jpeg(const cv::Mat& image_rgb, const cv::Mat& mask) {
  cv::Mat bgr;
  cv::cvtColor(red_overlay(image_rgb, mask), bgr, cv::COLOR_RGB2BGR);
  return encode(".jpg", bgr);
}

std::string binary_mask_png(const cv::Mat& mask) { return encode(".png", zero_one(mask) * 255); }

ChatMaskFiles write_chat_mask_files(const std::filesystem::path& dir, const std::string& stem,
                                    int index, const cv::Mat& image_rgb, const cv::Mat& mask) {
  ChatMaskFiles files{output_path(dir, stem, "mask", index, ".jpg"),
                      output_path(dir, stem, "masked_img", index, ".jpg")};
  const std::string overlay = chat_overlay_jpeg(image_rgb, mask);  // validates before any write
  write_file_atomically(files.mask, chat_mask_jpeg(mask));
  write_file_atomically(files.masked_image, overlay);
  return files;
}

std::filesystem::path write_mask_png(const std::filesystem::path& dir, const std::string& stem,
                                     int index, const cv::Mat& mask) {
  const std::filesystem::path path = output_path(dir, stem, "mask", index, ".png");
  write_file_atomically(path, binary_mask_png(mask));
  return path;
}

}  // namespace lisa::render
