#include "io/shard_index.h"

#include <set>

#include "lisa/error.h"
#include "lisa/io/json_file.h"

namespace lisa::io {

ShardIndex read_shard_index(const std::filesystem::path& path) {
  const auto json = read_json_file(path);
  auto weight_map = json.is_object() ? json.find("weight_map") : json.end();
  LISA_CHECK(json.is_object() && weight_map != json.end() && weight_map->is_object(), path.string(),
             ": shard index has no 'weight_map' object");

  ShardIndex index{path, {}, {}};
  std::set<std::string> seen;
  for (const auto& [name, shard] : weight_map->items()) {
    LISA_CHECK(shard.is_string(), path.string(), ": weight_map entry '", name, "' is not a file name");
    const auto file = shard.get<std::string>();
    const std::filesystem::path relative(file);
    LISA_CHECK(!(file.empty() || relative.has_parent_path() || file == "." || file == ".."), path.string(),
               ": weight_map entry '", name, "' names '", file,
               "', which is not a plain file name in the index's directory");
    index.weight_map.emplace(name, file);
    if (!seen.insert(file).second) continue;
    const auto full = path.parent_path() / relative;
    LISA_CHECK(std::filesystem::is_regular_file(full), path.string(), ": shard '", file, "' (holding '", name,
               "') does not exist at ", full.string());
    index.shards.push_back(full);
  }
  LISA_CHECK(!index.shards.empty(), path.string(), ": shard index lists no tensors");
  return index;
}

}  // namespace lisa::io
