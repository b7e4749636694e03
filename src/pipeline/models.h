#pragma once
// The networks an Engine holds, bound from the LISA checkpoint and the CLIP vision tower.
#include <optional>

#include "lisa/models/clip.h"
#include "lisa/models/llama.h"
#include "lisa/models/projector.h"
#include "lisa/models/sam/sam.h"
#include "lisa/models/text_hidden_fcs.h"

namespace lisa::pipeline {

struct Models {
  models::ClipVisionTower clip;
  models::MultimodalProjector projector;
  models::LlamaModel llama;
  models::TextHiddenFcs text_hidden_fcs;
  models::sam::Sam sam;
};

}  // namespace lisa::pipeline
