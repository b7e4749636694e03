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
  // User errors: the ids come from the user's prompt (which may spell "<image>" twice) through a
  // tokenizer whose added tokens may reach past the checkpoint's vocab_size.
  LISA_CHECK(!ids.empty(), "prompt: no token ids");
  for (const int64_t id : ids)
    LISA_CHECK(id == kImagePlaceholderId || (id >= 0 && id < vocab), "prompt: token id ", id,
               " is outside the vocabulary [0, ", vocab, ")");
  const auto placeholders = std::count(ids.begin(), ids.end(), kImagePlaceholderId);
  LISA_CHECK(placeholders <= 1, "prompt: ", placeholders, " image placeholders, expected one");
  LISA_CHECK((placeholders == 1) == image_rows.defined(),
             placeholders == 1 ? "prompt: has an image placeholder but no image features were given"
                               : "prompt: image features were given but the ids have no image placeholder");

  MultimodalSequence sequence;
  auto embed = [&](std::vector<int64_t>::const_iterator first, std::vector<int64_t>::const_iterator last) {
    const std::vector<int64_t> part(first, last);
    return model.embed(at::tensor(part, at::kLong));  // [t, H]
  };
  if (placeholders == 0) {
    sequence.embeds = embed(ids.begin(), ids.end()).unsqueeze(0);
  } else {
    LISA_CHECK(image_rows.dim() == 2 && image_rows.size(1) == hidden, "prompt: image features have shape ",
               image_rows.sizes(), ", expected [N, ", hidden, "]");
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
