#pragma once
// Recognises an encoded image and reads its pixel dimensions from the header, so that a
// too-large picture is refused before anything is decoded. A JPEG is walked marker by marker
// to its end-of-image marker, because libjpeg (and so OpenCV) silently decodes a truncated file
// into a partly grey picture.
#include <cstdint>
#include <string>
#include <vector>

namespace lisa::image {

enum class ImageFormat { Jpeg, Png, Bmp };

const char* format_name(ImageFormat format);

struct ImageHeader {
  ImageFormat format = ImageFormat::Jpeg;
  int64_t width = 0;  // as stored, before any EXIF rotation
  int64_t height = 0;
};

// Throws lisa::Error starting with `name` when the bytes are not a recognised format, the header
// is cut short, or (JPEG) the file ends before its end-of-image marker.
ImageHeader probe_image(const std::vector<uint8_t>& bytes, const std::string& name);

}  // namespace lisa::image
