#include "image/image_probe.h"

#include <cstring>

#include "lisa/error.h"

namespace lisa::image {

namespace {

uint32_t big_endian_u16(const uint8_t* p) { return (uint32_t{p[0]} << 8) | p[1]; }
uint32_t big_endian_u32(const uint8_t* p) { return (big_endian_u16(p) << 16) | big_endian_u16(p + 2); }
uint32_t little_endian_u16(const uint8_t* p) { return (uint32_t{p[1]} << 8) | p[0]; }
uint32_t little_endian_u32(const uint8_t* p) { return (little_endian_u16(p + 2) << 16) | little_endian_u16(p); }

bool starts_with(const std::vector<uint8_t>& bytes, const char* magic, size_t length) {
  return bytes.size() >= length && std::memcmp(bytes.data(), magic, length) == 0;
}

// Start-of-frame markers carry the image size: SOF0..SOF15 except DHT (C4), JPG (C8), DAC (CC).
bool is_start_of_frame(uint8_t marker) {
  return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

// Markers without a length field: TEM, RST0..7 (SOI and EOI are handled by the caller).
bool is_standalone(uint8_t marker) { return marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7); }

ImageHeader probe_jpeg(const std::vector<uint8_t>& bytes, const std::string& name) {
  const size_t n = bytes.size();
  const std::string truncated = name + ": truncated JPEG (the file ends before its end-of-image marker)";
  bool have_frame = false;
  ImageHeader header{ImageFormat::Jpeg, 0, 0};
  size_t pos = 2;  // after SOI
  for (;;) {
    // libjpeg skips stray bytes before a marker (with a warning); so do we.
    while (pos < n && bytes[pos] != 0xFF) ++pos;
    while (pos < n && bytes[pos] == 0xFF) ++pos;  // fill bytes
    LISA_CHECK(pos < n, truncated);
    const uint8_t marker = bytes[pos++];
    if (marker == 0xD9) break;  // EOI
    if (marker == 0x00 || is_standalone(marker)) continue;
    LISA_CHECK(pos + 2 <= n, truncated);
    const size_t length = big_endian_u16(&bytes[pos]);
    LISA_CHECK(length >= 2, name, ": corrupt JPEG (marker segment of length ", length, ")");
    LISA_CHECK(pos + length <= n, truncated);
    if (is_start_of_frame(marker) && !have_frame) {
      LISA_CHECK(length >= 7, name, ": corrupt JPEG (frame header too short)");
      header.height = big_endian_u16(&bytes[pos + 3]);
      header.width = big_endian_u16(&bytes[pos + 5]);
      have_frame = true;
    }
    pos += length;
    if (marker == 0xDA) {
      // Entropy-coded data: a 0xFF byte in it is followed by 0x00 (stuffing), a restart marker
      // or more 0xFF fill; anything else is the next marker.
      for (; pos + 1 < n; ++pos) {
        if (bytes[pos] != 0xFF) continue;
        const uint8_t next = bytes[pos + 1];
        if (next != 0x00 && next != 0xFF && !(next >= 0xD0 && next <= 0xD7)) break;
      }
      LISA_CHECK(pos + 1 < n, truncated);
    }
  }
  LISA_CHECK(have_frame, name, ": corrupt JPEG (no frame header before the end-of-image marker)");
  return header;
}

ImageHeader probe_png(const std::vector<uint8_t>& bytes, const std::string& name) {
  // signature (8), IHDR length (4), "IHDR" (4), width (4), height (4)
  LISA_CHECK(bytes.size() >= 24, name, ": truncated PNG (the file ends inside its header)");
  LISA_CHECK(std::memcmp(&bytes[12], "IHDR", 4) == 0, name, ": corrupt PNG (the first chunk is not IHDR)");
  return {ImageFormat::Png, big_endian_u32(&bytes[16]), big_endian_u32(&bytes[20])};
}

ImageHeader probe_bmp(const std::vector<uint8_t>& bytes, const std::string& name) {
  // file header (14), DIB header size (4), then width/height: 16-bit for the old OS/2 core
  // header, signed 32-bit otherwise (a negative height means top-down rows).
  LISA_CHECK(bytes.size() >= 26, name, ": truncated BMP (the file ends inside its header)");
  if (little_endian_u32(&bytes[14]) == 12)
    return {ImageFormat::Bmp, little_endian_u16(&bytes[18]), little_endian_u16(&bytes[20])};
  const auto width = static_cast<int32_t>(little_endian_u32(&bytes[18]));
  const auto height = static_cast<int32_t>(little_endian_u32(&bytes[22]));
  return {ImageFormat::Bmp, width, height < 0 ? -static_cast<int64_t>(height) : height};
}

}  // namespace

const char* format_name(ImageFormat format) {
  switch (format) {
    case ImageFormat::Jpeg: return "JPEG";
    case ImageFormat::Png: return "PNG";
    case ImageFormat::Bmp: return "BMP";
  }
  return "image";
}

ImageHeader probe_image(const std::vector<uint8_t>& bytes, const std::string& name) {
  ImageHeader header;
  if (starts_with(bytes, "\xFF\xD8\xFF", 3))
    header = probe_jpeg(bytes, name);
  else if (starts_with(bytes, "\x89PNG\r\n\x1A\n", 8))
    header = probe_png(bytes, name);
  else if (starts_with(bytes, "BM", 2))
    header = probe_bmp(bytes, name);
  else
    throw Error(detail::concat(name, ": not a JPEG, PNG or BMP image"));
  LISA_CHECK(header.width > 0 && header.height > 0, name, ": ", format_name(header.format),
             " header gives an empty size ", header.width, "x", header.height);
  return header;
}

}  // namespace lisa::image
