#pragma once
// A worker's mutable state for answering with an Engine: the LLM's KV cache, reused and grown across
// questions, and on CUDA the decoding step's graph recorded over it (see src/pipeline/decoder.h).
// The Engine is immutable and may be shared by any number of threads; each thread answers through a
// Context of its own. A Context answers one question at a time and must outlive its sessions.
//
//   auto engine = Engine::load(options);              // once, shared
//   Context context(*engine);                          // one per worker thread
//   Session session = context.open(read_image(path));  // CLIP features computed here
//   Answer answer = session.ask("What is the dog?", {});
#include <memory>
#include <vector>

#include "lisa/image/image.h"
#include "lisa/pipeline/batch.h"

namespace lisa::pipeline {

class Decoder;
class Engine;
class Session;

class Context {
 public:
  explicit Context(const Engine& engine);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // Prepares an image for questions answered through this context: CLIP features now, the SAM
  // embedding when the first mask needs it (on CUDA: in the background from the first question).
  Session open(image::Image image);

  // Answers the questions together (lisa/pipeline/batch.h), each continuing its session's
  // conversation as Session::ask would; results in the order of `questions`.
  std::vector<BatchAnswer> ask_batch(const std::vector<BatchQuestion>& questions, const BatchOptions& options = {});

  const Engine& engine() const { return *engine_; }
  // Whether decoding steps replay a recorded CUDA graph (CUDA, EngineOptions::cuda_graphs).
  bool uses_cuda_graphs() const;

 private:
  friend class Session;
  Decoder& decoder() { return *decoder_; }

  const Engine* engine_;
  std::unique_ptr<Decoder> decoder_;
};

}  // namespace lisa::pipeline
