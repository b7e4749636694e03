// pil_resize against Pillow 9.4.0 (fixtures from scripts/fixtures/make_image_fixtures.py): every
// resized picture must be identical, not merely close.
#include <gtest/gtest.h>

#include "lisa/error.h"
#include "lisa/image/pil_resize.h"
#include "lisa/image/read_image.h"
#include "lisa/io/json_file.h"
#include "test_image_support.h"

namespace lisa::image {
namespace {

using testing::fixture;
using testing::max_abs_diff;

ResampleFilter filter_named(const std::string& name) {
  if (name == "bilinear") return ResampleFilter::Bilinear;
  if (name == "bicubic") return ResampleFilter::Bicubic;
  throw std::runtime_error("unknown filter " + name);
}

TEST(PilResize, MatchesPillowExactly) {
  const auto manifest = io::read_json_file(fixture("resample/manifest.json"));
  ASSERT_GT(manifest["cases"].size(), 100u);
  int worst = 0, failures = 0;
  for (const auto& c : manifest["cases"]) {
    const Image input = read_image(fixture("resample/" + c["input"].get<std::string>()));
    const Image expected = read_image(fixture("resample/" + c["expected"].get<std::string>()));
    const ImageSize size{c["height"].get<int>(), c["width"].get<int>()};
    const Image got = pil_resize(input, size, filter_named(c["filter"]));
    const int diff = max_abs_diff(got, expected);
    if (diff != 0) {
      ++failures;
      ADD_FAILURE() << c["expected"].get<std::string>() << ": max abs diff " << diff << " (-1: size differs)";
    }
    worst = std::max(worst, diff);
  }
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(worst, 0);
}

TEST(PilResize, WindowEqualsCropOfFullResize) {
  const Image input = read_image(fixture("resample/noise_37x23.png"));
  for (auto filter : {ResampleFilter::Bilinear, ResampleFilter::Bicubic}) {
    for (ImageSize size : {ImageSize{80, 50}, ImageSize{11, 7}, ImageSize{37, 9}, ImageSize{12, 23}}) {
      const Image full = pil_resize(input, size, filter);
      const Window window{size.height / 3, size.width / 4, ImageSize{size.height / 2 + 1, size.width / 2}};
      const Image part = pil_resize_window(input, size, window, filter);
      ASSERT_EQ(part.size(), window.size);
      for (int y = 0; y < window.size.height; ++y)
        for (size_t i = 0; i < part.row_bytes(); ++i)
          ASSERT_EQ(part.row(y)[i], full.row(window.top + y)[window.left * Image::kChannels + i])
              << size.height << "x" << size.width << " row " << y;
    }
  }
}

TEST(PilResize, SameSizeIsACopy) {
  const Image input = read_image(fixture("resample/noise_5x7.png"));
  EXPECT_EQ(max_abs_diff(pil_resize(input, input.size(), ResampleFilter::Bicubic), input), 0);
}

TEST(PilResize, RejectsEmptyTargetsAndWindowsOutside) {
  const Image input(ImageSize{4, 4});
  EXPECT_THROW(pil_resize(input, ImageSize{0, 3}, ResampleFilter::Bilinear), InternalError);
  EXPECT_THROW(pil_resize_window(input, ImageSize{8, 8}, Window{5, 0, ImageSize{4, 4}}, ResampleFilter::Bilinear),
               InternalError);
  EXPECT_THROW(pil_resize(Image(), ImageSize{3, 3}, ResampleFilter::Bilinear), InternalError);
}

TEST(PilResize, FilterFromPilCode) {
  EXPECT_EQ(resample_filter_from_pil_code(2), ResampleFilter::Bilinear);
  EXPECT_EQ(resample_filter_from_pil_code(3), ResampleFilter::Bicubic);
  try {
    resample_filter_from_pil_code(1);
    FAIL() << "LANCZOS accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("filter 1"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace lisa::image
