#pragma once
// CPU memory for tensors materialised from a checkpoint, and read-ahead of mapped file bytes.
// Large tensors get 2 MiB-aligned memory advised for transparent huge pages: filling fresh
// memory costs a page fault per page, and at 4 KiB pages those faults, not the copy, dominate
// the load time (measured: ~4.5x slower for a 2 GiB checkpoint).
#include <ATen/ATen.h>

namespace lisa::io {

// An uninitialised contiguous CPU tensor.
at::Tensor empty_cpu_tensor(at::IntArrayRef sizes, at::ScalarType dtype);

// Faults in the pages behind `tensor`'s storage in one call (they are about to be read), rather
// than one fault per page during the copy. A no-op where the kernel does not support it.
void prefault(const at::Tensor& tensor);

}  // namespace lisa::io
