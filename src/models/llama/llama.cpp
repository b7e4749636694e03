#include "lisa/models/llama.h"

#include <algorithm>
#include <initializer_list>
#include <string>

#include "lisa/error.h"
#include "lisa/io/mapped_pages.h"
#include "lisa/models/decode_attention.h"
#include "lisa/models/quantized_checkpoint.h"
#include "lisa/models/rms_norm.h"

namespace lisa::models {

void LlamaOptions::validate() const {
  auto fail = [](const std::string& what) { throw Error(detail::concat("LLaMA config: ", what)); };
  if (vocab_size <= 0 || hidden_size <= 0 || intermediate_size <= 0 || num_layers <= 0 || num_heads <= 0 ||
      num_kv_heads <= 0 || max_position_embeddings <= 0)
    fail("vocab_size, hidden_size, intermediate_size, num_hidden_layers, num_attention_heads, "
         "num_key_value_heads and max_position_embeddings must all be positive");
  if (hidden_size % num_heads != 0)
    fail(detail::concat("hidden_size ", hidden_size, " is not divisible by num_attention_heads ", num_heads));
  if (head_dim() % 2 != 0) fail(detail::concat("head dimension ", head_dim(), " is odd; rotary needs pairs"));
  if (num_heads % num_kv_heads != 0)
    fail(detail::concat("num_attention_heads ", num_heads, " is not a multiple of num_key_value_heads ", num_kv_heads));
  if (!(rms_norm_eps > 0.0) || !(rope_theta > 0.0)) fail("rms_norm_eps and rope_theta must be positive");
}

LlamaOptions LlamaOptions::from_config(const LisaConfig& config) {
  LlamaOptions options;
  options.vocab_size = config.vocab_size;
  options.hidden_size = config.hidden_size;
  options.intermediate_size = config.intermediate_size;
  options.num_layers = config.num_hidden_layers;
  options.num_heads = config.num_attention_heads;
  options.num_kv_heads = config.num_key_value_heads;
  options.rms_norm_eps = config.rms_norm_eps;
  options.rope_theta = config.rope_theta;
  options.max_position_embeddings = config.max_position_embeddings;
  options.validate();
  return options;
}

LlamaWeights LlamaWeights::bind(WeightBinder& binder, const LlamaOptions& options, const QuantizationOptions& stored) {
  options.validate();
  const int64_t H = options.hidden_size, F = options.intermediate_size, V = options.vocab_size;
  const int64_t q_rows = options.num_heads * options.head_dim(), kv_rows = options.num_kv_heads * options.head_dim();
  const bool quantized = stored.mode != QuantMode::kNone;
  WeightScope model(binder, "model.");
  LlamaWeights weights;
  weights.stored_quantization = stored;
  weights.embed_tokens = model.bind("embed_tokens.weight", {V, H});
  for (int64_t i = 0; i < options.num_layers; ++i) {
    const WeightScope layer = model.sub("layers." + std::to_string(i));
    LlamaLayerWeights w;
    w.input_layernorm = layer.bind("input_layernorm.weight", {H});
    w.post_attention_layernorm = layer.bind("post_attention_layernorm.weight", {H});
    if (quantized) {
      auto projection = [&](const char* name, int64_t rows, int64_t columns) {
        return bind_quantized(layer.sub(name), rows, columns, stored.mode, stored.group_size);
      };
      weights.quantized_layers.push_back({projection("self_attn.q_proj", q_rows, H),
                                          projection("self_attn.k_proj", kv_rows, H),
                                          projection("self_attn.v_proj", kv_rows, H),
                                          projection("self_attn.o_proj", H, q_rows), projection("mlp.gate_proj", F, H),
                                          projection("mlp.up_proj", F, H), projection("mlp.down_proj", H, F)});
    } else {
      w.q_proj = layer.bind("self_attn.q_proj.weight", {q_rows, H});
      w.k_proj = layer.bind("self_attn.k_proj.weight", {kv_rows, H});
      w.v_proj = layer.bind("self_attn.v_proj.weight", {kv_rows, H});
      w.o_proj = layer.bind("self_attn.o_proj.weight", {H, q_rows});
      w.gate_proj = layer.bind("mlp.gate_proj.weight", {F, H});
      w.up_proj = layer.bind("mlp.up_proj.weight", {F, H});
      w.down_proj = layer.bind("mlp.down_proj.weight", {H, F});
    }
    weights.layers.push_back(std::move(w));
  }
  weights.norm = model.bind("norm.weight", {H});
  if (quantized)
    weights.quantized_lm_head = bind_quantized(WeightScope(binder, "lm_head."), V, H, QuantMode::kInt8, 0);
  else
    weights.lm_head = binder.bind("lm_head.weight", {V, H});
  binder.ignore_suffix(".self_attn.rotary_emb.inv_freq");
  return weights;
}

namespace {

// The file pages of stored quantized weights that the loader has copied (io/mapped_pages.h).
void release_file_pages(std::initializer_list<const QuantizedWeight*> sources) {
  for (const QuantizedWeight* source : sources)
    for (const at::Tensor* part : {&source->values, &source->scales, &source->zeros}) io::release_mapped_pages(*part);
}

}  // namespace

LlamaModel::LlamaModel(const LlamaOptions& options, LlamaWeights weights, const QuantizationOptions& quantization)
    : options_(options),
      quantization_(effective_quantization(quantization, weights.stored_quantization, "the LLaMA weights")),
      embed_tokens_(std::move(weights.embed_tokens)),
      norm_(std::move(weights.norm)) {
  options_.validate();
  if (quantization_.mode == QuantMode::kInt4) quantization_.validate();
  const QuantMode mode = quantization_.mode;
  const int64_t group = quantization_.group_size;
  const at::Device on = embed_tokens_.device();
  if (weights.stored_quantization.mode != QuantMode::kNone) {
    lm_head_ = Linear::from_quantized(weights.quantized_lm_head, on);
    for (size_t i = 0; i < weights.layers.size(); ++i) {
      const LlamaLayerWeights& w = weights.layers[i];
      const QuantizedLlamaLayerWeights& q = weights.quantized_layers.at(i);
      layers_.push_back(Layer{w.input_layernorm, Linear::from_quantized(concat_rows({&q.q_proj, &q.k_proj, &q.v_proj}), on),
                              Linear::from_quantized(q.o_proj, on), w.post_attention_layernorm,
                              Linear::from_quantized(concat_rows({&q.gate_proj, &q.up_proj}), on),
                              Linear::from_quantized(q.down_proj, on)});
      // Fused copies, int4 packed copies, int8 values copied for alignment; int8 o and down read in
      // place fault their pages in again when first used.
      release_file_pages({&q.q_proj, &q.k_proj, &q.v_proj, &q.o_proj, &q.gate_proj, &q.up_proj, &q.down_proj});
      weights.quantized_layers[i] = QuantizedLlamaLayerWeights();
    }
  } else {
    lm_head_ = Linear::quantize(weights.lm_head, mode == QuantMode::kNone ? mode : QuantMode::kInt8, group);
    if (mode != QuantMode::kNone) io::release_mapped_pages(weights.lm_head);
    weights.lm_head = at::Tensor();
    for (LlamaLayerWeights& w : weights.layers) {
      layers_.push_back(Layer{w.input_layernorm, Linear::quantize(at::cat({w.q_proj, w.k_proj, w.v_proj}), mode, group),
                              Linear::quantize(w.o_proj, mode, group), w.post_attention_layernorm,
                              Linear::quantize(at::cat({w.gate_proj, w.up_proj}), mode, group),
                              Linear::quantize(w.down_proj, mode, group)});
      // Fused (and quantized) copies; unquantized o and down are read in place.
      for (const at::Tensor* source : {&w.q_proj, &w.k_proj, &w.v_proj, &w.gate_proj, &w.up_proj})
        io::release_mapped_pages(*source);
      if (mode != QuantMode::kNone)
        for (const at::Tensor* source : {&w.o_proj, &w.down_proj}) io::release_mapped_pages(*source);
      w = LlamaLayerWeights();  // frees the separate projections layer by layer while loading
    }
  }
  rotary_ = RotaryEmbedding(options_.head_dim(), options_.max_position_embeddings, options_.rope_theta, device(),
                            dtype());
}

KvCache LlamaModel::make_cache(int64_t capacity, KvCache::Fill fill) const {
  LISA_CHECK(capacity <= options_.max_position_embeddings, "LLaMA: a context of ", capacity,
             " positions exceeds max_position_embeddings ", options_.max_position_embeddings);
  return KvCache(options_.num_layers, options_.num_kv_heads, capacity, options_.head_dim(), device(), dtype(), fill);
}

at::Tensor LlamaModel::embed(const at::Tensor& ids) const {
  return at::embedding(embed_tokens_, ids.to(device(), at::kLong));
}

at::Tensor LlamaModel::logits(const at::Tensor& hidden) const { return lm_head_(hidden); }

at::Tensor LlamaModel::attention(const Layer& layer, int64_t index, const at::Tensor& x,
                                 const std::vector<Pass>& passes, const std::vector<KvCache*>& caches) const {
  const int64_t rows = x.size(0), length = x.size(1);
  const int64_t heads = options_.num_heads, kv_heads = options_.num_kv_heads;
  // [B, T, (heads + 2 kv) * D] -> [B, heads + 2 kv, T, D]; q and k heads rotated together.
  const at::Tensor qkv =
      layer.qkv_proj(x).view({rows, length, heads + 2 * kv_heads, options_.head_dim()}).transpose(1, 2);
  if (length == 1) {
    if (auto context = attend_one_query_each(index, qkv, passes, caches))
      return layer.o_proj(context->transpose(1, 2).reshape({rows, length, options_.hidden_size}));
  }
  std::vector<at::Tensor> contexts;
  for (int64_t b = 0; b < rows; ++b) {  // each row against its own cache
    const Pass& pass = passes[b];
    KvCache& cache = *caches[b];
    const at::Tensor row = rows == 1 ? qkv : qkv.narrow(0, b, 1);
    const at::Tensor qk = RotaryEmbedding::rotate(row.slice(1, 0, heads + kv_heads), pass.rotary);
    const at::Tensor k = qk.slice(1, heads), v = row.slice(1, heads + kv_heads);
    if (pass.positions)
      cache.write_at(index, *pass.positions, k, v);
    else
      cache.write(index, k, v);
    contexts.push_back(at::scaled_dot_product_attention(
        qk.slice(1, 0, heads), cache.keys(index, pass.span), cache.values(index, pass.span), pass.mask, 0.0,
        pass.is_causal, std::nullopt, /*enable_gqa=*/kv_heads != heads));
  }
  const at::Tensor context = rows == 1 ? contexts.front() : at::cat(contexts);
  return layer.o_proj(context.transpose(1, 2).reshape({rows, length, options_.hidden_size}));
}

std::optional<at::Tensor> LlamaModel::attend_one_query_each(int64_t index, const at::Tensor& qkv,
                                                            const std::vector<Pass>& passes,
                                                            const std::vector<KvCache*>& caches) const {
  const bool appending = std::all_of(passes.begin(), passes.end(), [](const Pass& pass) {
    return !pass.positions && !pass.mask && !pass.is_causal;
  });
  if (!appending || !decode_attention_available()) return std::nullopt;
  const int64_t rows = qkv.size(0), heads = options_.num_heads, kv_heads = options_.num_kv_heads;
  // Views of the caches up to and including the new position, which decode_attention writes.
  std::vector<at::Tensor> keys, values;
  for (int64_t b = 0; b < rows; ++b) {
    keys.push_back(caches[b]->keys(index, passes[b].span));
    values.push_back(caches[b]->values(index, passes[b].span));
  }
  const NewPositions new_positions{qkv.slice(1, heads, heads + kv_heads), qkv.slice(1, heads + kv_heads)};
  if (!decode_attention_applies(qkv.slice(1, 0, heads), keys, values, new_positions)) return std::nullopt;
  // Every row's rotary table row stacked to [B, 1, 1, D]: one elementwise rotation for the batch,
  // the same products per element as a rotation row by row.
  std::vector<at::Tensor> cos, signed_sin;
  for (const Pass& pass : passes) {
    cos.push_back(pass.rotary.cos);
    signed_sin.push_back(pass.rotary.signed_sin);
  }
  const RotaryEmbedding::Rows stacked{at::stack(cos).unsqueeze(1), at::stack(signed_sin).unsqueeze(1)};
  const at::Tensor qk = RotaryEmbedding::rotate(qkv.slice(1, 0, heads + kv_heads), stacked);
  return decode_attention(qk.slice(1, 0, heads), keys, values, NewPositions{qk.slice(1, heads), new_positions.values});
}

at::Tensor LlamaModel::run_layers(const at::Tensor& embeds, const std::vector<Pass>& passes,
                                  const std::vector<KvCache*>& caches) const {
  LISA_INTERNAL_ASSERT(static_cast<int64_t>(passes.size()) == embeds.size(0) && passes.size() == caches.size(),
                       "a pass of ", embeds.size(0), " rows with ", passes.size(), " placements and ",
                       caches.size(), " caches");
  const double eps = options_.rms_norm_eps;
  const int64_t F = options_.intermediate_size;
  at::Tensor x = embeds.to(device(), dtype());
  for (size_t i = 0; i < layers_.size(); ++i) {
    const Layer& layer = layers_[i];
    x = x + attention(layer, static_cast<int64_t>(i), rms_norm(x, layer.input_layernorm, eps), passes, caches);
    const at::Tensor h = rms_norm(x, layer.post_attention_layernorm, eps);
    const at::Tensor gate_up = layer.gate_up_proj(h);
    x = x + layer.down_proj(at::silu(gate_up.slice(-1, 0, F)) * gate_up.slice(-1, F));
  }
  return rms_norm(x, norm_, eps);
}

LlamaModel::Pass LlamaModel::appending_pass(int64_t length, const KvCache& cache) const {
  const int64_t start = cache.length(), end = start + length;
  // Generation checks the room it needs before the first pass (check_generation_room and the batch's).
  LISA_INTERNAL_ASSERT(end <= cache.capacity(), "LLaMA: ", start, " cached + ", length,
                       " new positions exceed the KV cache capacity of ", cache.capacity());
  Pass pass;
  pass.rotary = rotary_.rows(start, length);
  pass.span = end;
  // Causal: query i (position start + i) sees keys [0, start + i]. A single query sees everything
  // cached; a block starting at 0 is SDPA's top-left causal case; otherwise an explicit mask.
  if (length > 1 && start == 0) {
    pass.is_causal = true;
  } else if (length > 1) {
    const auto on_device = at::TensorOptions(device()).dtype(at::kLong);
    pass.mask = at::arange(end, on_device).unsqueeze(0) <= at::arange(start, end, on_device).unsqueeze(1);
  }
  return pass;
}

at::Tensor LlamaModel::forward(const at::Tensor& embeds, KvCache& cache) const {
  // The embeddings come from splice_image, which checks the prompt and the image rows.
  LISA_INTERNAL_ASSERT(embeds.dim() == 3 && embeds.size(0) == 1 && embeds.size(2) == options_.hidden_size &&
                           embeds.size(1) != 0,
                       "LLaMA: input embeddings have shape ", embeds.sizes(), ", expected [1, T, ",
                       options_.hidden_size, "] with T > 0");
  const int64_t length = embeds.size(1);
  const at::Tensor hidden = run_layers(embeds, {appending_pass(length, cache)}, {&cache});
  cache.advance(length);
  return hidden;
}

at::Tensor LlamaModel::step_batch(const at::Tensor& tokens, const std::vector<KvCache*>& caches) const {
  LISA_CHECK(tokens.dim() == 1 && tokens.size(0) == static_cast<int64_t>(caches.size()) && !caches.empty(),
             "LLaMA: a batched step of ", tokens.sizes(), " tokens for ", caches.size(), " caches");
  std::vector<Pass> passes;
  for (size_t b = 0; b < caches.size(); ++b) {
    LISA_CHECK(std::count(caches.begin(), caches.end(), caches[b]) == 1, "LLaMA: a batched step given one KV cache twice");
    passes.push_back(appending_pass(1, *caches[b]));
  }
  const at::Tensor hidden = run_layers(embed(tokens).unsqueeze(1), passes, caches);  // [B, 1, H]
  for (KvCache* cache : caches) cache->advance(1);
  return hidden.select(1, 0);
}

at::Tensor LlamaModel::step_at(const at::Tensor& token, const at::Tensor& position, KvCache& cache) const {
  LISA_INTERNAL_ASSERT(cache.zero_filled(),
                       "LLaMA: the static decoding step needs a zero-filled KV cache (KvCache::Fill::kZeros)");
  Pass pass;
  pass.rotary = rotary_.rows_at(position);
  pass.positions = position;
  pass.span = cache.capacity();
  pass.mask = at::arange(cache.capacity(), position.options()).unsqueeze(0) <= position.unsqueeze(1);  // [1, span]
  return run_layers(embed(token).unsqueeze(0), {pass}, {&cache});
}

}  // namespace lisa::models
