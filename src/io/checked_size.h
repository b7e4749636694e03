#pragma once
// Overflow-checked size arithmetic for sizes read from untrusted files.
#include <c10/core/ScalarType.h>
#include <c10/util/ArrayRef.h>

#include <cstdint>
#include <optional>


namespace lisa::io {

inline std::optional<uint64_t> checked_mul(uint64_t a, uint64_t b) {
  uint64_t product = 0;
  if (__builtin_mul_overflow(a, b, &product)) return std::nullopt;
  return product;
}

inline std::optional<uint64_t> checked_add(uint64_t a, uint64_t b) {
  uint64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return std::nullopt;
  return sum;
}

// Element count of `shape`, or nullopt for a negative dimension or an overflowing product
// (the count must also fit int64_t, the type ATen sizes use).
inline std::optional<uint64_t> checked_numel(c10::ArrayRef<int64_t> shape) {
  uint64_t numel = 1;
  for (int64_t dim : shape) {
    if (dim < 0) return std::nullopt;
    auto next = checked_mul(numel, static_cast<uint64_t>(dim));
    if (!next || *next > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    numel = *next;
  }
  return numel;
}

inline std::optional<uint64_t> checked_nbytes(c10::ArrayRef<int64_t> shape, c10::ScalarType dtype) {
  auto numel = checked_numel(shape);
  if (!numel) return std::nullopt;
  return checked_mul(*numel, c10::elementSize(dtype));
}

}  // namespace lisa::io
