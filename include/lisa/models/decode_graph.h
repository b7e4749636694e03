#pragma once
// A decoding step launches about thirty kernels per layer; on a GPU the host's launch cost, not the
// GPU, then bounds the tokens per second. DecodeGraph records LlamaModel::step_at over one KV cache
// as a CUDA graph at the first step and replays it for every later one, so a token costs a handful
// of launches. Another cache (or one reallocated elsewhere) is recorded again. Only CUDA builds on a
// GPU can use it (supported()); elsewhere step() throws.
#include <ATen/ATen.h>

#include <memory>

#include "lisa/models/kv_cache.h"
#include "lisa/models/llama.h"

namespace lisa::models {

class DecodeGraph {
 public:
  // This build has CUDA graphs (a CUDA-enabled libtorch) and a CUDA device is present.
  static bool supported();

  // `model` must outlive the graph and live on a CUDA device.
  explicit DecodeGraph(const LlamaModel& model);
  ~DecodeGraph();
  DecodeGraph(const DecodeGraph&) = delete;
  DecodeGraph& operator=(const DecodeGraph&) = delete;

  // Feeds `token` (int64, one element, on the model's device) at position cache.length() of a
  // zero-filled cache, commits that position, and returns the post-norm hidden state [H] (a tensor
  // of its own). Queued on the current stream without host synchronisation.
  at::Tensor step(const at::Tensor& token, KvCache& cache);

  // How many times a step was recorded (once per cache it ran on).
  int64_t recordings() const;

 private:
  struct Recording;
  void record(KvCache& cache);

  const LlamaModel* model_;
  at::Tensor token_, position_;  // the recorded step's inputs, refilled before every replay
  std::unique_ptr<Recording> recording_;
  int64_t recordings_ = 0;
};

}  // namespace lisa::models
