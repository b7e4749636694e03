#include "models/host_token.h"

#include <c10/core/impl/VirtualGuardImpl.h>

namespace lisa::models {

HostToken::HostToken(const at::Device& device) : device_(device) {
  if (device_.is_cpu()) return;
  pending_ = at::empty({1}, at::TensorOptions().dtype(at::kLong).pinned_memory(true));
  copied_.emplace(device_.type());
}

void HostToken::start(const at::Tensor& token) {
  if (device_.is_cpu()) {
    pending_ = token;
    return;
  }
  pending_.copy_(token.view({1}), /*non_blocking=*/true);
  copied_->record(c10::impl::VirtualGuardImpl(device_.type()).getStream(device_));
}

int64_t HostToken::wait() {
  if (copied_) copied_->synchronize();
  return pending_.item<int64_t>();
}

}  // namespace lisa::models
