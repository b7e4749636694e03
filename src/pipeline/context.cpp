#include "lisa/pipeline/context.h"

#include "lisa/pipeline/engine.h"
#include "lisa/pipeline/session.h"
#include "decoder.h"
#include "models.h"

namespace lisa::pipeline {

Context::Context(const Engine& engine)
    : engine_(&engine), decoder_(std::make_unique<Decoder>(engine.models().llama, engine.cuda_graphs_requested())) {}

Context::~Context() = default;

Session Context::open(image::Image image) { return Session(*this, std::move(image)); }

bool Context::uses_cuda_graphs() const { return decoder_->uses_cuda_graphs(); }

}  // namespace lisa::pipeline
