#pragma once
// The LLaMA decoder of a LLaVA/LISA checkpoint (transformers 4.31 LlamaForCausalLM semantics):
// embeddings in, post-norm hidden states out, logits on demand, keys/values kept in a KvCache.
// Batch size is 1 except in step_batch (B sequences, one KV cache each, one token each). Tensors live
// on the weights' device in the weights' dtype.
#include <ATen/ATen.h>

#include <optional>
#include <string>
#include <vector>

#include "lisa/config.h"
#include "lisa/models/kv_cache.h"
#include "lisa/models/linear.h"
#include "lisa/models/quantization.h"
#include "lisa/models/rotary_embedding.h"
#include "lisa/models/weights.h"

namespace lisa::models {

// The decoder's sizes; from_config() fills them from a LISA config.json.
struct LlamaOptions {
  int64_t vocab_size = 0;         // V (32003 for LISA)
  int64_t hidden_size = 0;        // H
  int64_t intermediate_size = 0;  // F
  int64_t num_layers = 0;
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;  // `num_key_value_heads`, = num_heads when absent
  double rms_norm_eps = 1e-6;
  // transformers 4.31 has no `rope_theta` and always uses 10000; later configs may set it.
  double rope_theta = 10000.0;
  int64_t max_position_embeddings = 2048;

  int64_t head_dim() const { return hidden_size / num_heads; }
  // Throws lisa::Error naming the inconsistent field.
  void validate() const;
  // Validated.
  static LlamaOptions from_config(const LisaConfig& config);
};

struct LlamaLayerWeights {
  at::Tensor input_layernorm;           // [H]
  at::Tensor q_proj, k_proj, v_proj;    // [heads*D, H], [kv*D, H], [kv*D, H]
  at::Tensor o_proj;                    // [H, heads*D]
  at::Tensor post_attention_layernorm;  // [H]
  at::Tensor gate_proj, up_proj;        // [F, H]
  at::Tensor down_proj;                 // [H, F]
};

// A layer's projections as a checkpoint of `lisa quantize` stores them (quantized_checkpoint.h).
struct QuantizedLlamaLayerWeights {
  QuantizedWeight q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj;
};

struct LlamaWeights {
  at::Tensor embed_tokens;  // [V, H]
  // The projections of LlamaLayerWeights are undefined when the checkpoint stores them quantized.
  std::vector<LlamaLayerWeights> layers;
  at::Tensor norm;     // [H]
  at::Tensor lm_head;  // [V, H]; undefined when stored quantized

  // A checkpoint written by `lisa quantize`: its mode, and the projections and lm_head as stored.
  QuantizationOptions stored_quantization;
  std::vector<QuantizedLlamaLayerWeights> quantized_layers;
  QuantizedWeight quantized_lm_head;

  // Binds model.embed_tokens, model.layers.i.*, model.norm and lm_head (in their stored form when
  // `stored` is a quantization: see quantized_checkpoint.h); declares the per-layer
  // `rotary_emb.inv_freq` buffers ignored (the tables are recomputed, as the reference does).
  static LlamaWeights bind(WeightBinder& binder, const LlamaOptions& options, const QuantizationOptions& stored = {});
};

class LlamaModel {
 public:
  // `weights` must have the shapes `options` implies (LlamaWeights::bind checks them).
  // `quantization` applies to the projections of every layer (q/k/v, o, gate/up, down; the fused
  // q/k/v and gate/up weights are quantized as one matrix, which gives the same numbers per row)
  // and to lm_head, which is int8 in both int8 and int4 modes: its logits pick every token, it is
  // 2% of LLaMA-7B's weights, and int4 would need its 32003 rows padded for the kernels. The
  // embeddings and norms stay in the weights' dtype.
  // Weights stored quantized (weights.stored_quantization) are used as they are: `quantization` must
  // then be kNone or the same mode and group size (lisa::Error otherwise: they cannot be re-quantized).
  LlamaModel(const LlamaOptions& options, LlamaWeights weights, const QuantizationOptions& quantization = {});
  static LlamaModel bind(WeightBinder& binder, const LlamaOptions& options, const QuantizationOptions& quantization = {},
                         const QuantizationOptions& stored = {}) {
    return LlamaModel(options, LlamaWeights::bind(binder, options, stored), quantization);
  }

  const LlamaOptions& options() const { return options_; }
  at::Device device() const { return embed_tokens_.device(); }
  at::ScalarType dtype() const { return embed_tokens_.scalar_type(); }

  // A cache for up to `capacity` positions (<= max_position_embeddings).
  KvCache make_cache(int64_t capacity, KvCache::Fill fill = KvCache::Fill::kUninitialized) const;

  // ids [T] int64 on any device -> [T, H]. Ids must lie in [0, V) (checked by the caller when they
  // come from a user: see multimodal.h).
  at::Tensor embed(const at::Tensor& ids) const;
  // embeds [1, T, H] for positions [cache.length(), cache.length() + T) -> post-norm hidden states
  // [1, T, H]; their keys/values are appended to the cache. Causal over the cached prefix and itself.
  at::Tensor forward(const at::Tensor& embeds, KvCache& cache) const;
  // One decoding step whose shapes do not depend on the position, so that a CUDA graph can replay
  // it: `token` and `position` are int64 [1] tensors on the model's device; its keys/values go to
  // `position` of `cache` (which must be zero-filled: see KvCache::Fill) and the query attends to
  // the whole capacity with the positions after its own masked. Returns the post-norm hidden state
  // [1, 1, H]. The position is not committed: the caller calls cache.advance(1).
  at::Tensor step_at(const at::Tensor& token, const at::Tensor& position, KvCache& cache) const;
  // One decoding step of B sequences at once: tokens int64 [B] (any device), caches[b] the cache of
  // sequence b (distinct caches, any lengths: each row attends to its own cache only, so there is
  // no padding and nothing to mask). The linear layers run once on the B rows (the weights are
  // streamed once per step, which is what batching buys); rotary, the cache write and attention
  // give each row what forward() gives one token (on the CPU one elementwise rotation and one
  // attention call for all rows: attend_one_query_each). Appends each row's key/value to its cache
  // and commits it. Returns the post-norm hidden states [B, H]. With B = 1 it computes what forward()
  // computes on that token's embedding, bit for bit; with B > 1 the GEMMs see B rows, which rounds
  // differently from B single-row products, except on the CPU in fp32 and bf16, where the few-rows
  // product and the attention kernel give every row its single-row bits (docs/batching.md).
  at::Tensor step_batch(const at::Tensor& tokens, const std::vector<KvCache*>& caches) const;
  // hidden [..., H] -> logits [..., V] in the model dtype (LLaVA does not upcast them).
  at::Tensor logits(const at::Tensor& hidden) const;

  const QuantizationOptions& quantization() const { return quantization_; }
  // One line saying which weights are quantized and how, which are kept, which were padded, and
  // the bytes of the projections and lm_head against their size unquantized.
  std::string quantization_summary() const;

 private:
  // A layer's projections concatenated once at construction, so that a step runs one matmul for
  // q, k and v and one for gate and up (fewer kernel launches per token; the same dot products).
  struct Layer {
    at::Tensor input_layernorm;           // [H]
    Linear qkv_proj;                      // [(heads + 2 kv) * D, H]: q_proj, k_proj, v_proj rows
    Linear o_proj;                        // [H, heads*D]
    at::Tensor post_attention_layernorm;  // [H]
    Linear gate_up_proj;                  // [2F, H]: gate_proj, up_proj rows
    Linear down_proj;                     // [H, F]
  };

  // Where a pass's rows sit and what they attend to; worked out once per pass for all layers.
  struct Pass {
    RotaryEmbedding::Rows rotary;     // of the new rows' positions
    // step_at: the new rows' positions (device int64 [T]), written by index; otherwise they are
    // appended to the cache.
    std::optional<at::Tensor> positions;
    int64_t span = 0;                 // keys [0, span) are attended
    std::optional<at::Tensor> mask;   // [T, span] bool, true = attended
    bool is_causal = false;           // SDPA's top-left causal mask instead
  };

  // One forward pass of the B = embeds.size(0) rows of `embeds` [B, T, H]; row b is placed and
  // cached by passes[b] and caches[b].
  at::Tensor run_layers(const at::Tensor& embeds, const std::vector<Pass>& passes,
                        const std::vector<KvCache*>& caches) const;
  at::Tensor attention(const Layer& layer, int64_t index, const at::Tensor& x, const std::vector<Pass>& passes,
                       const std::vector<KvCache*>& caches) const;
  // The attention of B rows of one new position each, appended to their caches, through
  // models/decode_attention.h in one call; nullopt where that kernel is not available (another
  // device, the kernel switched off, a masked or indexed pass), before anything is written.
  // qkv: [B, heads + 2 kv_heads, 1, D] -> context [B, heads, 1, D].
  std::optional<at::Tensor> attend_one_query_each(int64_t index, const at::Tensor& qkv, const std::vector<Pass>& passes,
                                                  const std::vector<KvCache*>& caches) const;
  // forward()'s placement of `length` new rows after what `cache` holds (throws when they do not fit).
  Pass appending_pass(int64_t length, const KvCache& cache) const;

  LlamaOptions options_;
  QuantizationOptions quantization_;
  at::Tensor embed_tokens_, norm_;
  Linear lm_head_;
  std::vector<Layer> layers_;
  RotaryEmbedding rotary_;
};

}  // namespace lisa::models
