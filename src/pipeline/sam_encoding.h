#pragma once
// The SAM image embedding of one picture, computed once per session. On CUDA it starts when a
// question is asked, on a worker thread and a stream of its own, so that SAM's preprocessing and
// image encoder run while the LLM prefills and decodes (only the mask decoder, at the end, needs
// the embedding). On the CPU the two would only compete for the same cores: there it is computed
// when the first mask needs it.
#include <ATen/ATen.h>

#include <future>
#include <memory>
#include <optional>

#include "lisa/image/image.h"
#include "lisa/image/sam_preprocess.h"

namespace lisa::pipeline {

class Engine;

class SamEncoding {
 public:
  struct Result {
    image::SamInput input;
    at::Tensor embedding;  // [1, 256, 64, 64], model dtype, on the engine's device
    double preprocess_ms = 0, encoder_ms = 0;  // wall time of each part (overlapping the LLM on CUDA)
  };

  SamEncoding(const Engine& engine, std::shared_ptr<const image::Image> image);
  ~SamEncoding();  // waits for a running encoding
  SamEncoding(const SamEncoding&) = delete;
  SamEncoding& operator=(const SamEncoding&) = delete;

  // CUDA: starts the encoding in the background unless it started already. CPU: nothing.
  void start();
  // The result, computing it or waiting for it (a failure in the background is rethrown here).
  const Result& get();
  // Bytes of the embedding and SAM input once computed (0 before).
  size_t memory_bytes() const;

 private:
  Result compute() const;

  const Engine* engine_;
  std::shared_ptr<const image::Image> image_;
  std::future<Result> pending_;
  std::optional<Result> result_;
};

}  // namespace lisa::pipeline
