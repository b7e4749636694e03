#pragma once
// Reads a picture the way the reference does: cv2.imread(path) (IMREAD_COLOR) followed by
// cv2.cvtColor(BGR2RGB). Measured to give identical pixels with Debian's OpenCV 4.6 (C++) and
// opencv-python 4.8.0 for each of these kinds:
//   JPEG            EXIF orientation applied (the picture is turned upright); grayscale copied
//                   into R = G = B; CMYK converted to RGB.
//   PNG             EXIF orientation (eXIf chunk) applied as well; grayscale copied into
//                   R = G = B; the alpha of RGBA / gray+alpha dropped (not composited on any
//                   background); palette images expanded to their colours (transparency ignored);
//                   16-bit samples reduced to their high byte (v >> 8, truncation, not rounding).
//   BMP             decoded by OpenCV's built-in reader.
// Differences from the reference, on purpose: a truncated JPEG (no end-of-image marker), which
// OpenCV would decode partly and fill with grey after a warning, is an error; formats other than
// JPEG, PNG and BMP (WebP, TIFF, ... which opencv-python also reads) are refused, because their
// size cannot be checked before decoding and the portable OpenCV build lacks them.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "lisa/image/image.h"

namespace lisa::image {

struct ReadImageOptions {
  // Refuse pictures with more pixels than this (checked from the header, before decoding).
  int64_t max_pixels = 100'000'000;
  // Refuse files larger than this before reading them.
  int64_t max_file_bytes = int64_t{1} << 30;
};

// Throws lisa::Error naming `path` when the file is missing, empty, not a JPEG/PNG/BMP picture,
// truncated, corrupt, or larger than the limits.
Image read_image(const std::filesystem::path& path, const ReadImageOptions& options = {});
// The same for a picture already in memory (a server's upload): `name` stands for it in messages.
// options.max_file_bytes is not checked here: the caller has the bytes already.
Image decode_image(std::vector<uint8_t> bytes, const std::string& name, const ReadImageOptions& options = {});

}  // namespace lisa::image
