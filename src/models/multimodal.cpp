#include "lisa/models/multimodal.h"

#include <algorithm>
#include <string>

#include "lisa/error.h"

namespace lisa::models {

int64_t MultimodalSequence::predicting_row(size_t k) const {
  const auto index = static_cast<int64_t>(k);
  if (image_rows == 0) return index - 1;
  // Reference quirk (LISA evaluate/model_forward): the row is found by shifting every id index by the
  // fixed image width (ids[1:] == SEG, prefixed with 255 = image_rows - 1 false entries), which assumes
  // the image precedes the token. That holds for every id after the placeholder; for an id before it
  // (never [SEG]: only the fixed system text precedes the image) it would name an image row. Reproduced.
  return index + image_rows - 2;
}

MultimodalSequence splice_image(const LlamaModel& model, std::vector<int64_t> ids, const at::Tensor& image_rows) {
  const int64_t vocab = model.options().vocab_size, hidden = model.options().hidden_size;
  if (ids.empty()) throw Error("prompt: no token ids");
  for (const int64_t id : ids)
    if (id != kImagePlaceholderId && (id < 0 || id >= vocab))
      throw Error("prompt: token id " + std::to_string(id) + " is outside the vocabulary [0, " +
                  std::to_string(vocab) + ")");
  const auto placeholders = std::count(ids.begin(), ids.end(), kImagePlaceholderId);
  if (placeholders > 1) throw Error("prompt: " + std::to_string(placeholders) + " image placeholders, expected one");
  if ((placeholders == 1) != image_rows.defined())
    throw Error(placeholders == 1 ? "prompt: has an image placeholder but no image features were given"
                                  : "prompt: image features were given but the ids have no image placeholder");

  MultimodalSequence sequence;
  auto embed = [&](std::vector<int64_t>::const_iterator first, std::vector<int64_t>::const_iterator last) {
    const std::vector<int64_t> part(first, last);
    return model.embed(at::tensor(part, at::kLong));  // [t, H]
  };
  if (placeholders == 0) {
    sequence.embeds = embed(ids.begin(), ids.end()).unsqueeze(0);
  } else {
    if (image_rows.dim() != 2 || image_rows.size(1) != hidden)
      throw Error("prompt: image features have shape " + std::string(c10::str(image_rows.sizes())) + ", expected [N, " +
                  std::to_string(hidden) + "]");
    const auto slot = std::find(ids.begin(), ids.end(), kImagePlaceholderId);
    sequence.image_rows = image_rows.size(0);
    sequence.embeds = at::cat({embed(ids.begin(), slot), image_rows.to(model.device(), model.dtype()),
                               embed(slot + 1, ids.end())})
                          .unsqueeze(0);
  }
  sequence.ids = std::move(ids);
  return sequence;
}

}  // namespace lisa::models
