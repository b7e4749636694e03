// The safetensors reader: header length, JSON header, tensor extents; every accepted tensor is read.
#include "fuzz_target.h"
#include "io/safetensors_file.h"
#include "read_every_tensor.h"

LISA_FUZZ_TARGET(safetensors) {
  const auto path = lisa::fuzz::write_scratch_file("model.safetensors", data, size);
  lisa::fuzz::rejecting_user_errors([&] { lisa::fuzz::read_every_tensor(*lisa::io::SafetensorsFile::open(path)); });
}
