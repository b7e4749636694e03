#pragma once
// Shared by the checkpoint-format targets.
#include "lisa/io/checkpoint.h"

namespace lisa::fuzz {

// Reads every tensor `file` accepted, to its last element: an extent that passed the reader's
// checks but lies outside the file would be a read out of bounds here.
void read_every_tensor(const io::TensorFile& file);

}  // namespace lisa::fuzz
