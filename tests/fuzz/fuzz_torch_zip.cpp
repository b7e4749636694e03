// torch.save archives: the zip reader (end of central directory, zip64 records, entries, local
// headers), then the pickle and each tensor's extent in its storage record; every accepted tensor
// is read.
#include "fuzz_target.h"
#include "io/torch_zip_file.h"
#include "read_every_tensor.h"

LISA_FUZZ_TARGET(torch_zip) {
  const auto path = lisa::fuzz::write_scratch_file("pytorch_model.bin", data, size);
  lisa::fuzz::rejecting_user_errors([&] { lisa::fuzz::read_every_tensor(*lisa::io::TorchZipFile::open(path)); });
}
