#pragma once
// Strict binding of checkpoint tensors to model parameters, in one place: a model asks for each
// tensor by name with the shape it expects; a missing key, a wrong shape, or (at finish()) a key
// that nobody asked for and nobody declared as ignorable is an error naming the key.
#include <ATen/ATen.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lisa/io/checkpoint.h"

namespace lisa::models {

class WeightBinder {
 public:
  WeightBinder(const io::Checkpoint& checkpoint, at::Device device, at::ScalarType dtype);

  // Loads `name`, checks its shape, converts to the binder's dtype (or `dtype` when given).
  at::Tensor bind(const std::string& name, at::IntArrayRef expected_shape,
                  std::optional<at::ScalarType> dtype = std::nullopt);
  // Shape as stored, for dimensions that a model infers from its weights (e.g. SAM has no config).
  std::vector<int64_t> shape_of(const std::string& name) const;
  bool contains(const std::string& name) const;

  // Keys with this prefix are deliberately unused (e.g. CLIP's text_model.) or are bound elsewhere.
  void ignore_prefix(const std::string& prefix);
  // Keys ending with this suffix are deliberately unused (e.g. rotary_emb.inv_freq buffers).
  void ignore_suffix(const std::string& suffix);
  // Fails on the checkpoint keys under `prefix` that were neither bound nor ignored.
  void finish(const std::string& prefix = "") const;

  at::Device device() const { return device_; }
  at::ScalarType dtype() const { return dtype_; }
  const io::Checkpoint& checkpoint() const { return checkpoint_; }

 private:
  bool ignored(const std::string& name) const;

  const io::Checkpoint& checkpoint_;
  at::Device device_;
  at::ScalarType dtype_;
  std::set<std::string> bound_;
  std::vector<std::string> ignored_prefixes_;
  std::vector<std::string> ignored_suffixes_;
};

// A view of a binder under a name prefix, so blocks bind their own relative names.
class WeightScope {
 public:
  WeightScope(WeightBinder& binder, std::string prefix) : binder_(binder), prefix_(std::move(prefix)) {}
  at::Tensor bind(const std::string& name, at::IntArrayRef expected_shape,
                  std::optional<at::ScalarType> dtype = std::nullopt) const {
    return binder_.bind(prefix_ + name, expected_shape, dtype);
  }
  std::vector<int64_t> shape_of(const std::string& name) const { return binder_.shape_of(prefix_ + name); }
  bool contains(const std::string& name) const { return binder_.contains(prefix_ + name); }
  WeightScope sub(const std::string& name) const { return WeightScope(binder_, prefix_ + name + "."); }
  const std::string& prefix() const { return prefix_; }
  WeightBinder& binder() const { return binder_; }

 private:
  WeightBinder& binder_;
  std::string prefix_;
};

}  // namespace lisa::models
