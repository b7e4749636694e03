#include <cstdio>
#include <string>

#include "lisa/models/llama.h"

namespace lisa::models {

namespace {

std::string mib(int64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f MiB", static_cast<double>(bytes) / (1 << 20));
  return text;
}

}  // namespace

std::string LlamaModel::quantization_summary() const {
  const int64_t element = static_cast<int64_t>(c10::elementSize(dtype()));
  const std::string kept = "embed_tokens and norms kept " + std::string(c10::toString(dtype()));
  if (quantization_.mode == QuantMode::kNone) return "LLM weights: not quantized";
  int64_t bytes = lm_head_.bytes(), dense = options_.vocab_size * options_.hidden_size * element;
  std::string padded;
  for (const Layer& layer : layers_) {
    for (const Linear* linear : {&layer.qkv_proj, &layer.o_proj, &layer.gate_up_proj, &layer.down_proj}) {
      const QuantizedLinear& q = *linear->quantized;
      bytes += q.bytes();
      dense += q.out_features() * q.in_features() * element;
      if (q.padded_in_features() != q.in_features() && padded.empty())
        padded = "; input width " + std::to_string(q.in_features()) + " zero-padded to " +
                 std::to_string(q.padded_in_features()) + " for the groups";
    }
  }
  std::string mode = to_string(quantization_.mode);
  if (quantization_.mode == QuantMode::kInt4) mode += " (group " + std::to_string(quantization_.group_size) + ")";
  return "LLM weights: q/k/v, o, gate/up, down of " + std::to_string(layers_.size()) + " layers " + mode +
         ", lm_head int8" + padded + "; " + kept + "; quantized weights " + mib(bytes) + " (" + mib(dense) +
         " unquantized)";
}

}  // namespace lisa::models
