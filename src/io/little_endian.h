#pragma once
// Unaligned little-endian loads from file bytes (the readers refuse to build on big-endian hosts).
#include <cstdint>
#include <cstring>

namespace lisa::io {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the checkpoint readers assume a little-endian host");

template <typename T>
T load_le(const uint8_t* bytes) {
  T value;
  std::memcpy(&value, bytes, sizeof(T));
  return value;
}

}  // namespace lisa::io
