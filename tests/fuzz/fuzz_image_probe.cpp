// The header probe that runs before any decoding: format, dimensions, and the JPEG marker walk to
// the end-of-image marker.
#include <vector>

#include "fuzz_target.h"
#include "image/image_probe.h"

LISA_FUZZ_TARGET(image_probe) {
  const std::vector<uint8_t> bytes(data, data + size);
  lisa::fuzz::rejecting_user_errors([&] { lisa::image::probe_image(bytes, "fuzz.jpg"); });
}
