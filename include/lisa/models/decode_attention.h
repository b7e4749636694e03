#pragma once
// The attention of a decoding step on the CPU: one query per sequence against that sequence's own KV
// cache, for every sequence of a batched step in one call, fp32 or bf16.
//
// Why not at::scaled_dot_product_attention: with one query, SDPA on this project's 2-core AVX2 CPU
// multiplies through MKL's sgemv and reads the cached keys and values at about 6.5 GB/s
// (docs/benchmarks.md, "Batched answering"); a step of 8 sequences of the mid preset spent 20 to 27 ms
// there, a third of the step. This kernel streams each head's keys, then its values, once, with every
// (sequence, head) pair an independent task over the threads.
//
// Arithmetic: scores q.k in fp32 (8 lanes, then one horizontal sum), times the softmax scale
// 1/sqrt(D); the softmax in fp32 with its maximum subtracted; the weighted sum of values in fp32,
// divided by the sum of the weights at the end. bf16 keys and values are widened to fp32 and the
// result is rounded to bf16 once. Each (sequence, head) is computed by the same operations whatever
// the batch, so a batched step gives each sequence the bits of its step alone.
#include <ATen/ATen.h>

#include <optional>
#include <vector>

namespace lisa::models {

// The step's own keys and values, [B, kv_heads, 1, D] each (last dimension contiguous), which
// decode_attention stores as the last position of every sequence's cache views before it attends:
// one pass over the batch instead of two copies per sequence and layer.
struct NewPositions {
  at::Tensor keys, values;
};

// True where decode_attention may run: queries [B, heads, 1, D], keys[b] / values[b] [1, kv_heads,
// span_b, D] (span_b >= 1, the last two dimensions contiguous, as KvCache's views are), `append`'s
// tensors shaped as above, all on the CPU in one dtype, fp32 or bf16, heads a multiple of kv_heads,
// no autograd, a CPU with AVX2 and FMA, and the kernel enabled.
bool decode_attention_applies(const at::Tensor& queries, const std::vector<at::Tensor>& keys,
                              const std::vector<at::Tensor>& values,
                              const std::optional<NewPositions>& append = std::nullopt);

// With `append`, first writes its keys / values of sequence b at position span_b - 1 of keys[b] /
// values[b] (through the views, into the cache's storage). Then softmax(q k^T / sqrt(D)) v for each
// sequence b and head h, head h reading kv head h / (heads / kv_heads) (grouped-query attention)
// -> [B, heads, 1, D] in the queries' dtype. Internal error where decode_attention_applies is false.
at::Tensor decode_attention(const at::Tensor& queries, const std::vector<at::Tensor>& keys,
                            const std::vector<at::Tensor>& values,
                            const std::optional<NewPositions>& append = std::nullopt);

// Process-wide switch (default on), for benchmarks and tests that compare with SDPA.
void set_decode_attention_enabled(bool enabled);
bool decode_attention_enabled();
// Enabled, and this CPU has AVX2 and FMA: single-query attention on the CPU uses the kernel.
bool decode_attention_available();

}  // namespace lisa::models
