// read_image: the odd kinds of picture decode as cv2.imread + BGR2RGB does (opencv-python 4.8
// fixtures), and every bad input is an error that names the file.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "lisa/error.h"
#include "lisa/image/read_image.h"
#include "lisa/io/json_file.h"
#include "test_image_support.h"

namespace lisa::image {
namespace {

using testing::fixture;
namespace fs = std::filesystem;

// The pixels opencv-python 4.8's cv2.imread + BGR2RGB gave for a fixture, which
// scripts/fixtures/make_image_fixtures.py stored as a plain 8-bit RGB PNG (no EXIF, no alpha).
// Decoded by OpenCV directly, never by read_image: the code under test must not make its own
// expectations.
cv::Mat expected_rgb(const std::string& name) {
  const cv::Mat bgr = cv::imread(fixture("decode/" + name).string(), cv::IMREAD_UNCHANGED);
  EXPECT_EQ(bgr.type(), CV_8UC3) << name;
  cv::Mat rgb;
  if (bgr.type() == CV_8UC3) cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

// Largest |got - expected| over all samples; -1 when the sizes differ.
int max_abs_diff(const Image& got, const cv::Mat& expected) {
  if (expected.type() != CV_8UC3 || got.height() != expected.rows || got.width() != expected.cols) return -1;
  int worst = 0;
  for (int y = 0; y < expected.rows; ++y) {
    const uint8_t* want = expected.ptr<uint8_t>(y);
    const uint8_t* have = got.data() + static_cast<size_t>(y) * expected.cols * 3;
    for (int i = 0; i < expected.cols * 3; ++i) worst = std::max(worst, std::abs(have[i] - want[i]));
  }
  return worst;
}

std::vector<uint8_t> file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

class ReadImageErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lisa_image_read_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                                        "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::vector<uint8_t>& bytes) {
    const fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return path;
  }

  // The message names the file and says `what`.
  static void expect_error(const fs::path& path, const std::string& what, const ReadImageOptions& options = {}) {
    try {
      read_image(path, options);
      ADD_FAILURE() << path << " was read";
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find(path.string()), std::string::npos) << message;
      EXPECT_NE(message.find(what), std::string::npos) << message;
    }
  }

  fs::path dir_;
};

TEST(ReadImage, OddKindsDecodeLikeOpenCvPython) {
  const auto manifest = io::read_json_file(fixture("decode/manifest.json"));
  ASSERT_GE(manifest["cases"].size(), 10u);
  for (const auto& c : manifest["cases"]) {
    const Image got = read_image(fixture("decode/" + c["file"].get<std::string>()));
    EXPECT_EQ(max_abs_diff(got, expected_rgb(c["expected"].get<std::string>())), 0) << c["file"];
  }
}

TEST(ReadImage, ExifOrientationTurnsThePictureUpright) {
  EXPECT_EQ(read_image(fixture("decode/plain.jpg")).size(), (ImageSize{20, 30}));
  EXPECT_EQ(read_image(fixture("decode/exif_rotate90.jpg")).size(), (ImageSize{30, 20}));
  EXPECT_EQ(read_image(fixture("decode/exif_rotate90.png")).size(), (ImageSize{30, 20}));
}

TEST_F(ReadImageErrors, BytesAfterTheEndOfImageMarkerAreNotAnError) {
  auto bytes = file_bytes(fixture("decode/plain.jpg"));
  bytes.insert(bytes.end(), {'t', 'r', 'a', 'i', 'l', 'e', 'r'});
  EXPECT_EQ(max_abs_diff(read_image(write("trailer.jpg", bytes)), expected_rgb("plain_jpg_rgb.png")), 0);
}

TEST_F(ReadImageErrors, MissingFile) { expect_error(dir_ / "nothing_here.jpg", "no such file"); }

TEST_F(ReadImageErrors, Directory) { expect_error(dir_, "not a regular file (a directory)"); }

TEST_F(ReadImageErrors, EmptyFile) { expect_error(write("empty.jpg", {}), "empty file"); }

TEST_F(ReadImageErrors, NotAnImage) {
  const std::string text = "hello, this is text\n";
  expect_error(write("text.jpg", {text.begin(), text.end()}), "not a JPEG, PNG or BMP image");
}

TEST_F(ReadImageErrors, TruncatedJpeg) {
  for (const char* name : {"plain.jpg", "progressive.jpg"}) {
    const auto bytes = file_bytes(fixture(std::string("decode/") + name));
    // Cut in the middle, and cut only the end-of-image marker.
    for (size_t keep : {bytes.size() * 2 / 3, bytes.size() - 2}) {
      const fs::path path = write(std::string("cut_") + std::to_string(keep) + "_" + name,
                                  std::vector<uint8_t>(bytes.begin(), bytes.begin() + keep));
      expect_error(path, "truncated JPEG");
    }
  }
}

TEST_F(ReadImageErrors, TruncatedJpegWithAnEmbeddedCompleteJpeg) {
  // A thumbnail inside an APP segment carries its own end-of-image marker; the walk must skip it.
  auto bytes = file_bytes(fixture("decode/plain.jpg"));
  const std::vector<uint8_t> thumbnail = {0xFF, 0xEF, 0x00, 0x08, 0xFF, 0xD8, 0x00, 0x00, 0xFF, 0xD9};
  bytes.insert(bytes.begin() + 2, thumbnail.begin(), thumbnail.end());
  ASSERT_EQ(read_image(write("with_app15.jpg", bytes)).size(), (ImageSize{20, 30}));
  bytes.resize(bytes.size() - 100);
  expect_error(write("with_app15_cut.jpg", bytes), "truncated JPEG");
}

TEST_F(ReadImageErrors, TruncatedPng) {
  const auto bytes = file_bytes(fixture("decode/plain.png"));
  expect_error(write("cut.png", std::vector<uint8_t>(bytes.begin(), bytes.begin() + bytes.size() / 2)),
               "could not decode");
  expect_error(write("header_cut.png", std::vector<uint8_t>(bytes.begin(), bytes.begin() + 12)), "truncated PNG");
}

TEST_F(ReadImageErrors, TooManyPixels) {
  ReadImageOptions options;
  options.max_pixels = 599;  // the fixture has 20 x 30 = 600
  expect_error(fixture("decode/plain.jpg"), "larger than the limit of 599 pixels", options);
  options.max_pixels = 600;
  EXPECT_EQ(read_image(fixture("decode/plain.jpg"), options).size(), (ImageSize{20, 30}));
}

TEST_F(ReadImageErrors, HugeHeaderIsRefusedBeforeDecoding) {
  // Frame header (SOF0 of the fixture) rewritten to claim 60000 x 60000 pixels.
  auto bytes = file_bytes(fixture("decode/plain.jpg"));
  size_t sof = 2;
  while (!(bytes[sof] == 0xFF && bytes[sof + 1] == 0xC0)) sof += 2 + ((bytes[sof + 2] << 8) | bytes[sof + 3]);
  for (size_t i : {sof + 5, sof + 7}) bytes[i] = 0xEA, bytes[i + 1] = 0x60;
  expect_error(write("huge.jpg", bytes), "JPEG of 60000x60000 pixels is larger than the limit of 100000000 pixels");
}

TEST_F(ReadImageErrors, FileLargerThanTheLimit) {
  ReadImageOptions options;
  options.max_file_bytes = 100;
  expect_error(fixture("decode/plain.jpg"), "larger than the limit of 100 bytes", options);
}

TEST_F(ReadImageErrors, CorruptJpegData) {
  auto bytes = file_bytes(fixture("decode/plain.jpg"));
  // Keep SOI and the segment structure but wipe the Huffman tables' contents.
  size_t pos = 2;
  while (!(bytes[pos] == 0xFF && bytes[pos + 1] == 0xC4)) pos += 2 + ((bytes[pos + 2] << 8) | bytes[pos + 3]);
  std::fill(bytes.begin() + pos + 4, bytes.begin() + pos + 2 + ((bytes[pos + 2] << 8) | bytes[pos + 3]), 0xEE);
  expect_error(write("corrupt.jpg", bytes), "could not decode");
}

}  // namespace
}  // namespace lisa::image
