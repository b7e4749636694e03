#pragma once
// Reads a token id chosen on the device back to the host without holding up the device's queue.
// A plain .item() copies on the current stream, behind everything queued so far; this queues the
// copy (into pinned memory) right after the token is chosen and waits only for that copy, so work
// queued later keeps the device busy meanwhile. On the CPU there is no queue: it reads directly.
#include <ATen/ATen.h>
#include <c10/core/Event.h>

#include <optional>

namespace lisa::models {

class HostToken {
 public:
  explicit HostToken(const at::Device& device);
  // Queues the copy of `token` (a one-element integer tensor on the device).
  void start(const at::Tensor& token);
  // Waits for the copy queued by the last start() and returns the id.
  int64_t wait();

 private:
  at::Device device_;
  at::Tensor pending_;                // CPU: the token itself; accelerator: the pinned host copy
  std::optional<c10::Event> copied_;  // accelerator only
};

}  // namespace lisa::models
