#pragma once
// Giving back the resident pages of checkpoint bytes that a loader has consumed.
//
// Checkpoint::load returns views of memory-mapped files (checkpoint.h). Pages of a mapping that a
// process has touched stay in its resident set as long as the mapping lives, which is as long as any
// tensor of that file does. A loader that copies a weight (a dtype conversion, the fused q/k/v and
// gate/up matrices, quantization, int4 packing) would otherwise keep both copies resident: on
// LLaMA-7B in bf16 the fused matrices alone left 8.6 GB of touched file pages behind, and quantizing
// at load left the whole 13.5 GB bf16 file resident beside its int4 copy.
#include <ATen/ATen.h>

#include <cstdint>

namespace lisa::io {

// Drops from this process's resident set the pages of a memory-mapped checkpoint file that lie
// wholly inside `tensor`'s bytes (from its first to its last element; madvise MADV_DONTNEED; pages
// shared with a neighbouring tensor stay, and so do the rest of a storage it shares). The tensor stays valid: a later read faults its bytes in again from the file. Writes made
// through any view of those pages are lost, so call it only for bytes nobody wrote, i.e. a source
// the loader has just read. Returns the bytes given back; 0 when those bytes are not inside a live
// mapping (heap memory, an accelerator tensor, an undefined or empty tensor), left untouched then.
int64_t release_mapped_pages(const at::Tensor& tensor);

}  // namespace lisa::io
