#pragma once
// The index of a sharded Hugging Face checkpoint (model.safetensors.index.json or
// pytorch_model.bin.index.json): {"metadata": {...}, "weight_map": {tensor name: shard file}}.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace lisa::io {

struct ShardIndex {
  std::filesystem::path path;                  // the index file
  std::vector<std::filesystem::path> shards;   // full paths, each once, in order of first mention
  std::map<std::string, std::string> weight_map;  // tensor name -> shard file name
};

// Validates the layout and that every shard named exists next to the index (shard names must be
// plain file names: an index cannot point outside its directory). Throws lisa::Error naming the
// index and the problem.
ShardIndex read_shard_index(const std::filesystem::path& path);

}  // namespace lisa::io
