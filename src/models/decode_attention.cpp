#include "lisa/models/decode_attention.h"

#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "avx2_vectors.h"
#include "lisa/error.h"

namespace lisa::models {

namespace {

std::atomic<bool> g_attention_enabled{true};

// Where one (sequence, head) task reads and writes.
template <typename T>
struct HeadTask {
  const float* query;  // [D]
  const T* keys;       // [span, D], rows D apart
  const T* values;     // [span, D], rows D apart
  int64_t span;
  float* out;  // [D]
};

#ifdef LISA_AVX2_KERNELS

using avx2::horizontal_sum;
using avx2::load8;

constexpr int kKeysPerBlock = 4;        // independent FMA chains while the keys stream in
constexpr int kValueRegisters = 8;      // output lanes held while the values stream: 64 dimensions
constexpr int64_t kValueChunk = 8 * kValueRegisters;

// scores[t] = (q . k_t) * scale for NK keys from `first`: per key, 8 lane sums over d in steps of 8,
// one horizontal sum, the d % 8 tail in order, then the scale; the same for every NK.
template <int NK, typename T>
LISA_AVX2_FMA void score_keys(const float* q, const T* keys, int64_t first, int64_t D, float scale, float* scores) {
  const int64_t d8 = D - D % 8;
  __m256 acc[NK];
  LISA_UNROLL
  for (int j = 0; j < NK; ++j) acc[j] = _mm256_setzero_ps();
  for (int64_t d = 0; d < d8; d += 8) {
    const __m256 qv = _mm256_loadu_ps(q + d);
    LISA_UNROLL
    for (int j = 0; j < NK; ++j) acc[j] = _mm256_fmadd_ps(qv, load8(keys + (first + j) * D + d), acc[j]);
  }
  LISA_UNROLL
  for (int j = 0; j < NK; ++j) {
    float sum = horizontal_sum(acc[j]);
    for (int64_t d = d8; d < D; ++d) sum = std::fma(q[d], avx2::scalar_at(keys + (first + j) * D + d), sum);
    scores[first + j] = sum * scale;
  }
}

// out[d0, d0 + 8R) = sum_t weights[t] * v_t[d0, d0 + 8R) / total, t in order.
template <int R, typename T>
LISA_AVX2_FMA void weigh_values(const float* weights, const T* values, int64_t span, int64_t D, int64_t d0,
                                float total, float* out) {
  __m256 acc[R];
  LISA_UNROLL
  for (int r = 0; r < R; ++r) acc[r] = _mm256_setzero_ps();
  for (int64_t t = 0; t < span; ++t) {
    const __m256 weight = _mm256_set1_ps(weights[t]);
    LISA_UNROLL
    for (int r = 0; r < R; ++r) acc[r] = _mm256_fmadd_ps(weight, load8(values + t * D + d0 + 8 * r), acc[r]);
  }
  const __m256 divisor = _mm256_set1_ps(total);
  LISA_UNROLL
  for (int r = 0; r < R; ++r) _mm256_storeu_ps(out + d0 + 8 * r, _mm256_div_ps(acc[r], divisor));
}

template <typename T>
LISA_AVX2_FMA void attend(const HeadTask<T>& task, int64_t D, float scale, float* scores) {
  const int64_t span = task.span;
  int64_t t = 0;
  for (; t + kKeysPerBlock <= span; t += kKeysPerBlock)
    score_keys<kKeysPerBlock>(task.query, task.keys, t, D, scale, scores);
  for (; t < span; ++t) score_keys<1>(task.query, task.keys, t, D, scale, scores);

  float maximum = -std::numeric_limits<float>::infinity();
  for (t = 0; t < span; ++t) maximum = std::max(maximum, scores[t]);
  float total = 0.0f;
  for (t = 0; t < span; ++t) {
    scores[t] = std::exp(scores[t] - maximum);
    total += scores[t];
  }

  const int64_t d8 = D - D % 8;
  int64_t d0 = 0;
  for (; d0 + kValueChunk <= d8; d0 += kValueChunk)
    weigh_values<kValueRegisters>(scores, task.values, span, D, d0, total, task.out);
  for (; d0 < d8; d0 += 8) weigh_values<1>(scores, task.values, span, D, d0, total, task.out);
  for (; d0 < D; ++d0) {
    float sum = 0.0f;
    for (t = 0; t < span; ++t) sum = std::fma(scores[t], avx2::scalar_at(task.values + t * D + d0), sum);
    task.out[d0] = sum / total;
  }
}

#else

template <typename T>
void attend(const HeadTask<T>&, int64_t, float, float*) {}

#endif

template <typename T>
const T* first_element(const at::Tensor& t) {
  return static_cast<const T*>(t.data_ptr());
}

template <typename T>
void attend_all(const at::Tensor& queries, const std::vector<at::Tensor>& keys, const std::vector<at::Tensor>& values,
                at::Tensor& out) {
  const int64_t batch = queries.size(0), heads = queries.size(1), D = queries.size(3);
  const int64_t heads_per_kv = heads / keys.front().size(1);
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(D)));
  const float* q = queries.data_ptr<float>();
  float* o = out.data_ptr<float>();
  at::parallel_for(0, batch * heads, 1, [&](int64_t begin, int64_t end) {
    thread_local std::vector<float> scores;
    for (int64_t task = begin; task < end; ++task) {
      const int64_t b = task / heads, h = task % heads, kv = h / heads_per_kv;
      const at::Tensor& k = keys[b];
      const at::Tensor& v = values[b];
      const int64_t span = k.size(2);
      scores.resize(static_cast<size_t>(span));
      const HeadTask<T> head{q + task * D, first_element<T>(k) + kv * k.stride(1),
                             first_element<T>(v) + kv * v.stride(1), span, o + task * D};
      attend(head, D, scale, scores.data());
    }
  });
}

bool is_cache_view(const at::Tensor& t, int64_t kv_heads, int64_t D, const at::Tensor& queries) {
  return t.defined() && t.dim() == 4 && t.size(0) == 1 && t.size(1) == kv_heads && t.size(2) >= 1 &&
         t.size(3) == D && t.stride(3) == 1 && t.stride(2) == D && t.device().is_cpu() &&
         t.scalar_type() == queries.scalar_type() && !t.requires_grad();
}

bool is_new_position(const at::Tensor& t, int64_t batch, int64_t kv_heads, int64_t D, const at::Tensor& queries) {
  return t.defined() && t.dim() == 4 && t.size(0) == batch && t.size(1) == kv_heads && t.size(2) == 1 &&
         t.size(3) == D && t.stride(3) == 1 && t.device().is_cpu() && t.scalar_type() == queries.scalar_type() &&
         !t.requires_grad();
}

// Row [b, head, 0, :] of `from` into the last position of head `head` of `into` (a cache view).
void copy_last_positions(const at::Tensor& from, const std::vector<at::Tensor>& into) {
  const int64_t kv_heads = from.size(1), D = from.size(3);
  const size_t row_bytes = static_cast<size_t>(D) * from.element_size();
  const auto* source = static_cast<const char*>(from.data_ptr());
  for (size_t b = 0; b < into.size(); ++b) {
    const at::Tensor& view = into[b];
    auto* target = static_cast<char*>(view.data_ptr()) + (view.size(2) - 1) * D * view.element_size();
    for (int64_t head = 0; head < kv_heads; ++head)
      std::memcpy(target + head * view.stride(1) * view.element_size(),
                  source + (static_cast<int64_t>(b) * from.stride(0) + head * from.stride(1)) * from.element_size(),
                  row_bytes);
  }
}

}  // namespace

bool decode_attention_applies(const at::Tensor& queries, const std::vector<at::Tensor>& keys,
                              const std::vector<at::Tensor>& values, const std::optional<NewPositions>& append) {
  if (!decode_attention_available()) return false;
  if (!queries.defined() || queries.dim() != 4 || !queries.device().is_cpu() || queries.size(2) != 1) return false;
  const at::ScalarType dtype = queries.scalar_type();
  if (dtype != at::kFloat && dtype != at::kBFloat16) return false;
  const int64_t batch = queries.size(0), heads = queries.size(1), D = queries.size(3);
  if (batch < 1 || D < 1 || static_cast<int64_t>(keys.size()) != batch || values.size() != keys.size()) return false;
  const int64_t kv_heads = keys.front().defined() && keys.front().dim() == 4 ? keys.front().size(1) : 0;
  if (kv_heads < 1 || heads % kv_heads != 0) return false;
  for (size_t b = 0; b < keys.size(); ++b) {
    if (!is_cache_view(keys[b], kv_heads, D, queries) || !is_cache_view(values[b], kv_heads, D, queries)) return false;
    if (keys[b].size(2) != values[b].size(2)) return false;
  }
  if (append && (!is_new_position(append->keys, batch, kv_heads, D, queries) ||
                 !is_new_position(append->values, batch, kv_heads, D, queries)))
    return false;
  return !(c10::GradMode::is_enabled() && queries.requires_grad());
}

at::Tensor decode_attention(const at::Tensor& queries, const std::vector<at::Tensor>& keys,
                            const std::vector<at::Tensor>& values, const std::optional<NewPositions>& append) {
  LISA_INTERNAL_ASSERT(decode_attention_applies(queries, keys, values, append), "decode_attention on queries ",
                       queries.sizes(), " ", queries.scalar_type(), " with ", keys.size(), " caches");
  if (append) {
    copy_last_positions(append->keys, keys);
    copy_last_positions(append->values, values);
  }
  // Queries widened to fp32 once; each task reads its [D] row.
  const at::Tensor q = queries.to(at::kFloat).contiguous();
  at::Tensor out = at::empty(q.sizes(), q.options());
  if (queries.scalar_type() == at::kFloat) {
    attend_all<float>(q, keys, values, out);
  } else {
    attend_all<uint16_t>(q, keys, values, out);
  }
  return out.to(queries.scalar_type());
}

void set_decode_attention_enabled(bool enabled) { g_attention_enabled.store(enabled, std::memory_order_relaxed); }
bool decode_attention_enabled() { return g_attention_enabled.load(std::memory_order_relaxed); }
bool decode_attention_available() { return decode_attention_enabled() && avx2::cpu_has_avx2_and_fma(); }

}  // namespace lisa::models
