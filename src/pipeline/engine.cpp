#include "lisa/pipeline/engine.h"

#include <iostream>

#include "lisa/config.h"
#include "lisa/error.h"
#include "lisa/io/checkpoint.h"
#include "lisa/io/hf_cache.h"
#include "lisa/io/json_file.h"
#include "lisa/models/quantized_checkpoint.h"
#include "lisa/models/weights.h"
#include "lisa/pipeline/cpu_block_cache.h"
#include "lisa/tokenizer/conversation.h"
#include "lisa/tokenizer/tokenizer.h"
#include "models.h"
#include "sam_precision.h"

namespace lisa::pipeline {

namespace {

// generation_config.json's eos_token_id (an id or a list), else the tokenizer's EOS.
std::vector<int64_t> eos_ids(const std::filesystem::path& model_dir, const tokenizer::Tokenizer& tok) {
  const auto path = model_dir / "generation_config.json";
  if (std::filesystem::exists(path)) {
    const auto json = io::read_json_file(path);
    if (json.contains("eos_token_id")) {
      const auto& eos = json.at("eos_token_id");
      if (eos.is_number_integer()) return {eos.get<int64_t>()};
      if (eos.is_array()) return eos.get<std::vector<int64_t>>();  // LisaConfig::load checked each id
      throw Error(detail::concat(path.string(), ": eos_token_id must be an integer or a list of integers"));
    }
  }
  return {tok.eos_id()};
}

}  // namespace

Engine::~Engine() = default;

std::unique_ptr<Engine> Engine::load(const EngineOptions& options) {
  std::unique_ptr<Engine> engine(new Engine());
  engine->device_ = resolve_device(options.device);
  engine->precision_ = options.precision.value_or(engine->device_.is_cuda() ? Precision::kBf16 : Precision::kFp32);
  engine->cuda_graphs_ = options.cuda_graphs;
  const at::ScalarType dtype = scalar_type(engine->precision_);

  engine->model_dir_ = io::resolve_model_dir(options.model.string());
  const auto config = LisaConfig::load(engine->model_dir_);
  engine->tokenizer_ = std::make_unique<tokenizer::Tokenizer>(tokenizer::Tokenizer::load(engine->model_dir_));
  engine->conversation_template_ = &tokenizer::conversation_template(options.conv_type);
  engine->use_mm_start_end_ = config.mm_use_im_start_end;
  engine->eos_token_ids_ = eos_ids(engine->model_dir_, *engine->tokenizer_);

  // The vision tower is not part of a merged LISA checkpoint: like the reference, load it from the
  // directory (or hub cache entry) that the config names, unless the user gives one.
  const std::string tower = options.vision_tower.empty() ? config.vision_tower : options.vision_tower;
  LISA_CHECK(!tower.empty(), (engine->model_dir_ / "config.json").string(),
             ": no vision_tower / mm_vision_tower given; pass --vision-tower DIR|REPO_ID");
  const auto clip_dir = io::resolve_model_dir(tower);
  const auto clip_config = ClipVisionConfig::load(clip_dir);
  engine->clip_preprocess_ = load_clip_preprocess_config(clip_dir / "preprocessor_config.json");
  const auto clip_checkpoint = io::Checkpoint::open(clip_dir);
  models::WeightBinder clip_binder(clip_checkpoint, engine->device_, dtype);
  auto clip = models::ClipVisionTower::bind(
      clip_binder, models::ClipVisionOptions::from_config(clip_config, config.mm_vision_select_layer));
  clip_binder.finish();
  const auto crop = engine->clip_preprocess_.crop_size;
  LISA_CHECK(crop.height == clip.image_size() && crop.width == clip.image_size(), (clip_dir / "preprocessor_config.json").string(),
             ": crop_size ", crop.width, "x", crop.height, " does not fit the vision tower, whose input is ",
             clip.image_size(), "x", clip.image_size());

  const auto checkpoint = io::Checkpoint::open(engine->model_dir_);
  models::WeightBinder binder(checkpoint, engine->device_, dtype);
  // A checkpoint saved without LISA's merge step may still hold the CLIP tower; the reference
  // replaces it with the one it loads from the vision_tower path, and so do we.
  binder.ignore_prefix("model.vision_tower.");
  // A checkpoint written by `lisa quantize` is used in its stored mode (quantized_checkpoint.h).
  const auto config_path = engine->model_dir_ / "config.json";
  const auto stored = models::stored_quantization(io::read_json_file(config_path), config_path.string());
  const auto quantization = models::effective_quantization(options.quantization, stored, engine->model_dir_.string());
  auto llama = models::LlamaModel::bind(binder, models::LlamaOptions::from_config(config), quantization, stored);
  if (quantization.mode != models::QuantMode::kNone) std::cerr << llama.quantization_summary() << "\n";
  auto projector = models::MultimodalProjector::bind(binder, clip.hidden_size(), config.hidden_size);
  auto text_hidden_fcs = models::TextHiddenFcs::bind(binder, config.hidden_size, config.out_dim);
  // SAM may run in another dtype than the rest (sam_precision.h); its own binder checks every
  // model.visual_model. key.
  models::WeightBinder sam_binder(checkpoint, engine->device_, sam_dtype(engine->device_, dtype));
  auto sam = models::sam::Sam::load(sam_binder);
  binder.ignore_prefix("model.visual_model.");
  binder.finish();

  engine->models_ = std::unique_ptr<Models>(new Models{std::move(clip), std::move(projector), std::move(llama),
                                                       std::move(text_hidden_fcs), std::move(sam)});
  release_cached_cpu_blocks();  // loading's temporaries (cpu_block_cache.h)
  return engine;
}

const tokenizer::Tokenizer& Engine::tokenizer() const { return *tokenizer_; }

const tokenizer::ConversationTemplate& Engine::conversation_template() const { return *conversation_template_; }

int64_t Engine::max_positions() const { return models_->llama.options().max_position_embeddings; }

}  // namespace lisa::pipeline
