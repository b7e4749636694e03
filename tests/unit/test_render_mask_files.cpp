#include "lisa/render/mask_files.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "lisa/error.h"
#include "lisa/render/mask_image.h"
#include "test_render_support.h"

namespace lisa::render {
namespace {

using lisa::testing::read_bytes;
using lisa::testing::ScratchDir;

// Written by scripts/fixtures/make_render_fixture.py with chat.py's own numpy / cv2 calls.
const std::string kChatFiles = std::string(LISA_TEST_DATA_DIR) + "/render/chat_files/";

cv::Mat read_rgb(const std::string& path) {
  cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR), rgb;
  EXPECT_FALSE(bgr.empty()) << path;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

cv::Mat read_grey(const std::string& path) {
  cv::Mat grey = cv::imread(path, cv::IMREAD_UNCHANGED);
  EXPECT_EQ(grey.type(), CV_8UC1) << path;
  return grey;
}

cv::Mat decode(const std::string& bytes, int flags) {
  return cv::imdecode(cv::Mat(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data())), flags);
}

bool same_image(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

TEST(ChatOutputStem, CutsTheFileNameAtItsFirstDot) {
  EXPECT_EQ(chat_output_stem("/data/imgs/dog.jpg"), "dog");
  EXPECT_EQ(chat_output_stem("dog.v2.final.jpeg"), "dog");
  EXPECT_EQ(chat_output_stem("./some.dir/noext"), "noext");
  EXPECT_EQ(chat_output_stem("/x/.hidden.png"), "");
}

TEST(RedOverlay, MatchesChatPyArithmeticExactly) {
  const cv::Mat image = read_rgb(kChatFiles + "photo.png");
  const cv::Mat mask = read_grey(kChatFiles + "mask.png");
  const cv::Mat expected = read_rgb(kChatFiles + "photo_masked_img_0.png");
  EXPECT_TRUE(same_image(red_overlay(image, mask), expected));
  // Hand-checked pixels: odd and even values, both ends of the range.
  cv::Mat one(1, 3, CV_8UC3), in = cv::Mat::ones(1, 3, CV_8UC1);
  one.at<cv::Vec3b>(0, 0) = {0, 0, 0};
  one.at<cv::Vec3b>(0, 1) = {255, 255, 255};
  one.at<cv::Vec3b>(0, 2) = {1, 254, 127};
  const cv::Mat out = red_overlay(one, in);
  EXPECT_EQ(out.at<cv::Vec3b>(0, 0), cv::Vec3b(127, 0, 0));
  EXPECT_EQ(out.at<cv::Vec3b>(0, 1), cv::Vec3b(255, 127, 127));
  EXPECT_EQ(out.at<cv::Vec3b>(0, 2), cv::Vec3b(128, 127, 63));
}

TEST(ChatMaskFiles, AreTheBytesChatPyWrites) {
  ScratchDir dir;
  const cv::Mat image = read_rgb(kChatFiles + "photo.png");
  const cv::Mat mask = read_grey(kChatFiles + "mask.png");
  const ChatMaskFiles files = write_chat_mask_files(dir.path(), "photo", 0, image, mask);
  EXPECT_EQ(files.mask, dir / "photo_mask_0.jpg");
  EXPECT_EQ(files.masked_image, dir / "photo_masked_img_0.jpg");
  EXPECT_EQ(read_bytes(files.mask), read_bytes(kChatFiles + "photo_mask_0.jpg"));
  EXPECT_EQ(read_bytes(files.masked_image), read_bytes(kChatFiles + "photo_masked_img_0.jpg"));
}

TEST(ChatMaskFiles, MaskJpegIsGreyHundredForAnyNonzeroPixel) {
  cv::Mat mask = cv::Mat::zeros(16, 16, CV_8UC1);
  mask(cv::Rect(0, 0, 8, 16)).setTo(1);
  cv::Mat also = mask * 255;
  EXPECT_EQ(chat_mask_jpeg(mask), chat_mask_jpeg(also));
  const cv::Mat back = decode(chat_mask_jpeg(mask), cv::IMREAD_UNCHANGED);
  ASSERT_EQ(back.type(), CV_8UC1);
  EXPECT_NEAR(back.at<uint8_t>(8, 2), 100, 2);  // JPEG is lossy
  EXPECT_NEAR(back.at<uint8_t>(8, 13), 0, 2);
}

TEST(MaskPng, IsLosslessZeroOr255) {
  ScratchDir dir;
  cv::Mat mask = cv::Mat::zeros(5, 7, CV_8UC1);
  mask.at<uint8_t>(1, 2) = 1;
  mask.at<uint8_t>(4, 6) = 77;
  const std::filesystem::path path = write_mask_png(dir.path(), "cat", 3, mask);
  EXPECT_EQ(path, dir / "cat_mask_3.png");
  const cv::Mat back = read_grey(path.string());
  EXPECT_TRUE(same_image(back, (mask != 0)));
}

TEST(MaskFiles, RejectMismatchedInputs) {
  ScratchDir dir;
  const cv::Mat image(4, 4, CV_8UC3, cv::Scalar(1, 2, 3));
  EXPECT_THROW(red_overlay(image, cv::Mat::zeros(4, 5, CV_8UC1)), InternalError);
  EXPECT_THROW(red_overlay(cv::Mat::zeros(4, 4, CV_8UC1), cv::Mat::zeros(4, 4, CV_8UC1)), InternalError);
  EXPECT_THROW(binary_mask_png(cv::Mat::zeros(4, 4, CV_32FC1)), InternalError);
  EXPECT_THROW(write_chat_mask_files(dir.path(), "x", 0, image, cv::Mat::zeros(3, 3, CV_8UC1)), InternalError);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(MaskImage, ConvertsBoolAndByteTensors) {
  const at::Tensor logits = at::tensor({-1.0f, 0.0f, 2.0f, 0.5f, -3.0f, 1.0f}).reshape({2, 3});
  const cv::Mat from_bool = mask_image(logits > 0);
  ASSERT_EQ(from_bool.type(), CV_8UC1);
  ASSERT_EQ(from_bool.size(), cv::Size(3, 2));
  const uint8_t expected[] = {0, 0, 1, 1, 0, 1};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(from_bool.at<uint8_t>(i / 3, i % 3), expected[i]) << i;
  const cv::Mat from_byte = mask_image((logits > 0).to(at::kByte).mul(255));
  EXPECT_TRUE(same_image(from_byte, from_bool));
  EXPECT_THROW(mask_image(logits), InternalError);
  EXPECT_THROW(mask_image(logits.gt(0).reshape({6})), InternalError);
}

}  // namespace
}  // namespace lisa::render
