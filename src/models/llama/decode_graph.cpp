#include "lisa/models/decode_graph.h"

#include <string>

#include "lisa/error.h"

#ifdef LISA_WITH_CUDA
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace lisa::models {

#ifdef LISA_WITH_CUDA
struct DecodeGraph::Recording {
  at::cuda::CUDAGraph graph;
  at::Tensor hidden;  // [H], the recorded step's output, rewritten by every replay
  const void* cache_storage = nullptr;
  int64_t cache_capacity = 0;
};
#else
struct DecodeGraph::Recording {};
#endif

bool DecodeGraph::supported() {
#ifdef LISA_WITH_CUDA
  return at::hasCUDA();
#else
  return false;
#endif
}

DecodeGraph::DecodeGraph(const LlamaModel& model) : model_(&model) {
  // Made only where supported() and the engine runs on CUDA.
  LISA_INTERNAL_ASSERT(model.device().is_cuda(), "decode graph: the model is on ", model.device().str(), ", not CUDA");
  const auto on_device = at::TensorOptions(model.device()).dtype(at::kLong);
  token_ = at::zeros({1}, on_device);
  position_ = at::zeros({1}, on_device);
}

DecodeGraph::~DecodeGraph() = default;

int64_t DecodeGraph::recordings() const { return recordings_; }

at::Tensor DecodeGraph::step(const at::Tensor& token, KvCache& cache) {
#ifdef LISA_WITH_CUDA
  LISA_INTERNAL_ASSERT(cache.length() < cache.capacity(), "decode graph: the KV cache is full (", cache.capacity(),
                       " positions)");
  token_.copy_(token.view({1}), /*non_blocking=*/true);
  position_.fill_(cache.length());
  if (!recording_ || recording_->cache_storage != cache.storage_address() ||
      recording_->cache_capacity != cache.capacity())
    record(cache);
  recording_->graph.replay();
  cache.advance(1);
  return recording_->hidden.clone();
#else
  (void)token;
  (void)cache;
  LISA_INTERNAL_ASSERT(false, "decode graph: this build of lisa has no CUDA support");
  return {};
#endif
}

void DecodeGraph::record(KvCache& cache) {
#ifdef LISA_WITH_CUDA
  LISA_INTERNAL_ASSERT(cache.zero_filled(), "decode graph: the KV cache must be zero-filled (KvCache::Fill::kZeros)");
  recording_.reset();
  auto recording = std::make_unique<Recording>();
  const c10::DeviceIndex index = model_->device().index();
  const c10::cuda::CUDAStream main = c10::cuda::getCurrentCUDAStream(index);
  // CUDA graphs are recorded on a stream other than the default one. It comes from the high-priority
  // pool: the SAM encoder's stream (pipeline/sam_encoding) is from the other pool, so the two can never
  // be the same stream, whose SAM kernels this recording would then capture. (Replays run on the
  // caller's stream; the priority only concerns the recording.)
  const c10::cuda::CUDAStream side = c10::cuda::getStreamFromPool(/*isHighPriority=*/true, index);
  at::cuda::CUDAEvent inputs_ready;
  inputs_ready.record(main);
  inputs_ready.block(side);
  {
    const c10::cuda::CUDAStreamGuard on_side(side);
    // One eager step first: lazy initialisations (cuBLAS handles and workspaces) cannot happen while
    // recording. It writes the same keys/values the replay below writes again.
    model_->step_at(token_, position_, cache);
    // Thread-local capture: the SAM encoder's worker thread keeps allocating and launching on its own
    // stream meanwhile, which the default (global) mode would forbid.
    recording->graph.capture_begin({0, 0}, cudaStreamCaptureModeThreadLocal);
    recording->hidden = model_->step_at(token_, position_, cache)[0][0];
    recording->graph.capture_end();
  }
  at::cuda::CUDAEvent recorded;
  recorded.record(side);
  recorded.block(main);
  recording->cache_storage = cache.storage_address();
  recording->cache_capacity = cache.capacity();
  recording_ = std::move(recording);
  ++recordings_;
#else
  (void)cache;
#endif
}

}  // namespace lisa::models
