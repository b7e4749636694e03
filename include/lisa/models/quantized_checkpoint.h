#pragma once
// The on-disk form of a checkpoint written by `lisa quantize`: device-independent (the integers,
// scales and zeros of QuantizedWeight, quantization.h), packed for a device's kernels only at load,
// because torch's packed int4 layouts differ between CPUs (AVX2, AVX-512) and GPUs.
//
// config.json gains
//   "quantization": {"format": "lisa-engine", "version": 1, "mode": "int8" | "int4",
//                    "group_size": G (int4 only), "lm_head": "int8"}
// and each LLaMA projection P (model.layers.i.self_attn.{q,k,v,o}_proj, model.layers.i.mlp.
// {gate,up,down}_proj) and lm_head is stored, instead of as P.weight [N, K], as
//   P.qweight  int8 [N, K]                   (int8)  |  uint8 [N, Kp / 2], two columns a byte  (int4)
//   P.scales   bf16 [N]                      (int8)  |  bf16 [N, Kp / G]                        (int4)
//   P.zeros                                          |  bf16 [N, Kp / G]                        (int4)
// lm_head is int8 in both modes (llama.h says why). Every other tensor is stored as it was.
#include <ATen/ATen.h>

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>
#include <vector>

#include "lisa/models/quantization.h"
#include "lisa/models/weights.h"

namespace lisa::models {

// The mode in which a checkpoint of `checkpoint_mode` stores the tensor named `weight_name`:
// nullopt for tensors stored as they are (everything but the LLaMA projections' and lm_head's
// `.weight`, and everything when checkpoint_mode is kNone).
std::optional<QuantMode> stored_mode(const std::string& weight_name, QuantMode checkpoint_mode);

// One tensor of the stored form: its name, dtype and shape.
struct StoredTensor {
  std::string name;
  at::ScalarType dtype;
  std::vector<int64_t> shape;
};

// The tensors that stand for `prefix` + "weight" ([N, K]) quantized to `mode` (prefix: "P.").
std::vector<StoredTensor> stored_tensors(const std::string& prefix, int64_t out_features, int64_t in_features,
                                         QuantMode mode, int64_t group_size);
// `weight`'s tensors in the order and with the names of stored_tensors().
std::vector<at::Tensor> stored_values(const QuantizedWeight& weight);

// Binds the stored form of `scope`'s layer (scope.prefix() is "P."), checking every tensor's dtype
// and shape (lisa::Error naming the tensor).
QuantizedWeight bind_quantized(const WeightScope& scope, int64_t out_features, int64_t in_features, QuantMode mode,
                               int64_t group_size);

// config.json's "quantization" entry: mode kNone when there is none; lisa::Error naming `source`
// and the field when it is not one this version writes.
QuantizationOptions stored_quantization(const nlohmann::json& config, const std::string& source);
// The quantization a model runs with: `requested` (--quantize), or `stored` when the checkpoint is
// stored quantized, which cannot be quantized again: lisa::Error naming `source` when `requested`
// asks for another mode or group size.
QuantizationOptions effective_quantization(const QuantizationOptions& requested, const QuantizationOptions& stored,
                                           const std::string& source);
// The entry written for `options` (mode int8 or int4).
nlohmann::json quantization_entry(const QuantizationOptions& options);

}  // namespace lisa::models
