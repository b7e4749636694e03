#pragma once
// A restricted interpreter for the data.pkl record of a torch.save archive. It understands the
// protocol-2 opcodes that torch.save emits for a dict of tensors and resolves only an allow-list
// of globals (OrderedDict, the tensor/parameter rebuild functions, the typed storage classes);
// any other global, opcode or shape of data is an error. Nothing in the file can run code.
#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

namespace lisa::io {

struct PickledStorage {
  std::string key;  // record data/<key> holds its bytes
  at::ScalarType dtype;
  int64_t numel;
};

struct PickledTensor {
  std::string name;
  size_t storage;  // index into PickledStateDict::storages
  int64_t storage_offset;
  std::vector<int64_t> sizes;
  std::vector<int64_t> strides;
};

struct PickledStateDict {
  std::vector<PickledStorage> storages;
  std::vector<PickledTensor> tensors;  // in file order
};

// `where` prefixes every error message (it names the archive and record).
PickledStateDict read_state_dict_pickle(const uint8_t* bytes, uint64_t size, const std::string& where);

}  // namespace lisa::io
