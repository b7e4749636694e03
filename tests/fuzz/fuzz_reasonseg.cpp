// ReasonSeg annotations: UTF-8 JSON with the cp1252 fallback, texts, is_sentence, shapes.
#include "fuzz_target.h"
#include "lisa/eval/reasonseg.h"

LISA_FUZZ_TARGET(reasonseg) {
  const auto path = lisa::fuzz::write_scratch_file("annotation.json", data, size);
  lisa::fuzz::rejecting_user_errors([&] { lisa::eval::read_reasonseg_json(path); });
}
