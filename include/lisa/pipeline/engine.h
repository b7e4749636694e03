#pragma once
// The LISA engine: a checkpoint loaded once, immutable afterwards (weights, tokenizer, configs), so
// one Engine can be shared by every thread of a process. Questions are answered through a Context
// (per worker: the KV cache and decoding graph) and a Session (per image). Every workflow (chat,
// segment, eval, bench) goes through Engine + Context + Session, so there is one path to make fast.
//
//   auto engine = Engine::load(options);
//   Context context(*engine);
//   Session session = context.open(lisa::image::read_image(path));  // CLIP features computed here
//   Answer answer = session.ask("What is the dog?", {});              // SAM encoder runs on first [SEG]
//   Answer next = session.ask("And the cat?", {});                    // same image, history kept
//
// Loading changes no process-wide setting: see pipeline/runtime.h for those.
#include <memory>
#include <string>
#include <vector>

#include "lisa/image/clip_preprocess.h"
#include "lisa/image/image.h"
#include "lisa/image/sam_preprocess.h"
#include "lisa/pipeline/answer.h"
#include "lisa/pipeline/options.h"

namespace lisa::tokenizer {
class Tokenizer;
struct ConversationTemplate;
}  // namespace lisa::tokenizer

namespace lisa::pipeline {

struct Models;

class Engine {
 public:
  static std::unique_ptr<Engine> load(const EngineOptions& options);
  ~Engine();

  const tokenizer::Tokenizer& tokenizer() const;
  const tokenizer::ConversationTemplate& conversation_template() const;
  bool use_mm_start_end() const { return use_mm_start_end_; }
  at::Device device() const { return device_; }
  Precision precision() const { return precision_; }
  const std::filesystem::path& model_dir() const { return model_dir_; }
  const Models& models() const { return *models_; }
  const image::ClipPreprocessConfig& clip_preprocess_config() const { return clip_preprocess_; }
  const std::vector<int64_t>& eos_token_ids() const { return eos_token_ids_; }
  int64_t max_positions() const;
  // Whether contexts should replay their decoding step as a CUDA graph where they can.
  bool cuda_graphs_requested() const { return cuda_graphs_; }

 private:
  Engine() = default;

  std::filesystem::path model_dir_;
  at::Device device_ = at::kCPU;
  Precision precision_ = Precision::kFp32;
  bool use_mm_start_end_ = true;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer_;
  const tokenizer::ConversationTemplate* conversation_template_ = nullptr;
  std::unique_ptr<Models> models_;
  bool cuda_graphs_ = true;
  image::ClipPreprocessConfig clip_preprocess_;
  std::vector<int64_t> eos_token_ids_;
};

}  // namespace lisa::pipeline
