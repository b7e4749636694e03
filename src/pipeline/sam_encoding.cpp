#include "sam_encoding.h"

#include <c10/core/StreamGuard.h>
#include <c10/core/impl/VirtualGuardImpl.h>

#include <chrono>
#include <map>
#include <mutex>

#include "lisa/pipeline/engine.h"
#include "models.h"

namespace lisa::pipeline {

namespace {
// One stream per device for every SAM encoding: the caching allocator reuses freed memory only on
// the stream that allocated it, so a new stream per image would keep growing the reserved memory.
c10::Stream side_stream(const at::Device& device) {
  static std::mutex mutex;
  static std::map<c10::DeviceIndex, c10::Stream> streams;
  const std::lock_guard<std::mutex> lock(mutex);
  const auto found = streams.find(device.index());
  if (found != streams.end()) return found->second;
  // From the low-priority pool, never the one a decode graph is recorded on (models/decode_graph).
  const c10::Stream stream =
      c10::impl::VirtualGuardImpl(device.type()).getStreamFromGlobalPool(device, /*isHighPriority=*/false);
  streams.emplace(device.index(), stream);
  return stream;
}

double ms_since(std::chrono::steady_clock::time_point& start) {
  const auto now = std::chrono::steady_clock::now();
  const double ms = std::chrono::duration<double, std::milli>(now - start).count();
  start = now;
  return ms;
}
}  // namespace

SamEncoding::SamEncoding(const Engine& engine, std::shared_ptr<const image::Image> image)
    : engine_(&engine), image_(std::move(image)) {}

SamEncoding::~SamEncoding() {
  if (pending_.valid()) pending_.wait();
}

void SamEncoding::start() {
  if (result_ || pending_.valid() || !engine_->device().is_cuda()) return;
  pending_ = std::async(std::launch::async, [this] { return compute(); });
}

const SamEncoding::Result& SamEncoding::get() {
  if (!result_) result_ = pending_.valid() ? pending_.get() : compute();
  return *result_;
}

size_t SamEncoding::memory_bytes() const {
  if (!result_) return 0;
  const auto& input = result_->input;
  return result_->embedding.nbytes() + (input.pixels.defined() ? input.pixels.nbytes() : 0) + input.resized.size_bytes();
}

SamEncoding::Result SamEncoding::compute() const {
  const at::Device device = engine_->device();
  auto clock = std::chrono::steady_clock::now();
  Result result;
  result.input = image::sam_preprocess(*image_);
  result.preprocess_ms = ms_since(clock);
  std::optional<c10::StreamGuard> on_side;
  if (device.is_cuda()) on_side.emplace(side_stream(device));
  result.embedding =
      engine_->models().sam.encode_image(result.input.pixels.to(device, engine_->models().sam.dtype()));
  if (on_side) {
    // The mask decoder reads the embedding on the default stream: its memory must not be reused by
    // this stream's later allocations before that work is done.
    const c10::impl::VirtualGuardImpl guard(device.type());
    result.embedding.record_stream(guard.getDefaultStream(device));
    on_side->current_stream().synchronize();
  }
  result.encoder_ms = ms_since(clock);
  return result;
}

}  // namespace lisa::pipeline
