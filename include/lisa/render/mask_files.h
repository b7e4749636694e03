#pragma once
// The image files written for predicted masks: chat.py's pair of JPEGs, and the plain 0/255 PNG of
// `lisa segment`. Every file is written atomically (see atomic_file.h).
#include <filesystem>
#include <string>

#include <opencv2/core/mat.hpp>

namespace lisa::render {

// chat.py names its outputs after the image file name cut at its FIRST '.', so "a.b.jpg" gives
// "a" and ".jpg" gives "" (it splits the path on '/' and takes the last part).
std::string chat_output_stem(const std::string& image_path);

// image_rgb: [H, W, 3] CV_8UC3 in RGB order; mask: [H, W] CV_8UC1, nonzero = masked.
// -> [H, W, 3] RGB where masked pixels become 0.5 * pixel + 0.5 * (255, 0, 0). chat.py computes this
// in float64 and stores it into uint8, which truncates: (r + 255) / 2, g / 2, b / 2 in integers.
cv::Mat red_overlay(const cv::Mat& image_rgb, const cv::Mat& mask);

// File contents. JPEGs use OpenCV's default quality (95), as cv2.imwrite does.
std::string chat_mask_jpeg(const cv::Mat& mask);                               // grey, mask * 100
std::string chat_overlay_jpeg(const cv::Mat& image_rgb, const cv::Mat& mask);  // red_overlay
std::string binary_mask_png(const cv::Mat& mask);                              // grey, 0 / 255

struct ChatMaskFiles {
  std::filesystem::path mask;          // {dir}/{stem}_mask_{index}.jpg
  std::filesystem::path masked_image;  // {dir}/{stem}_masked_img_{index}.jpg
};

// Writes chat.py's two files for one mask. Note chat.py itself writes only index 0, from the first
// [SEG] of the answer (it loops over the batch, not over the masks, and takes mask [0]).
ChatMaskFiles write_chat_mask_files(const std::filesystem::path& dir, const std::string& stem,
                                    int index, const cv::Mat& image_rgb, const cv::Mat& mask);

// Writes {dir}/{stem}_mask_{index}.png (binary_mask_png) and returns its path.
std::filesystem::path write_mask_png(const std::filesystem::path& dir, const std::string& stem,
                                     int index, const cv::Mat& mask);

}  // namespace lisa::render
