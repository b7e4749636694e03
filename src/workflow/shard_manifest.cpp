#include "lisa/workflow/shard_manifest.h"

#include "lisa/error.h"
#include "lisa/io/regular_file.h"
#include "lisa/io/sha256.h"
#include "lisa/render/atomic_file.h"

namespace lisa::workflow {

namespace fs = std::filesystem;

std::string item_key(const std::string& image, const std::string& prompt) { return image + '\n' + prompt; }

std::string keys_hash(const std::vector<std::string>& keys) {
  io::Sha256 hash;
  for (const auto& key : keys) hash.update(std::to_string(key.size()) + ":").update(key);
  return hash.hex_digest();
}

std::string shard_file_name(const std::string& stem, const std::string& extension,
                            const std::optional<Shard>& shard) {
  if (!shard) return stem + extension;
  return stem + ".shard-" + std::to_string(shard->index) + "-of-" + std::to_string(shard->count) + extension;
}

std::string results_file_name(const std::optional<Shard>& shard) { return shard_file_name("results", ".jsonl", shard); }

std::string manifest_file_name(const Shard& shard) { return shard_file_name("manifest", ".json", shard); }

std::string ShardManifest::input_hash() const {
  return io::Sha256().update(list_hash).update("\n").update(arguments.dump()).hex_digest();
}

ShardManifest plan_manifest(const std::string& command, const Shard& shard, const std::vector<std::string>& keys,
                            nlohmann::ordered_json arguments) {
  ShardManifest manifest;
  manifest.command = command;
  manifest.shard = shard.index;
  manifest.num_shards = shard.count;
  manifest.total_items = static_cast<int64_t>(keys.size());
  manifest.list_hash = keys_hash(keys);
  manifest.shard_hash = keys_hash(select_shard(keys, shard));
  manifest.arguments = std::move(arguments);
  return manifest;
}

nlohmann::ordered_json to_json(const ShardManifest& manifest) {
  nlohmann::ordered_json json;
  json["command"] = manifest.command;
  json["shard"] = manifest.shard;
  json["num_shards"] = manifest.num_shards;
  json["input_hash"] = manifest.input_hash();
  json["total_items"] = manifest.total_items;
  json["list_hash"] = manifest.list_hash;
  json["shard_hash"] = manifest.shard_hash;
  json["arguments"] = manifest.arguments;
  json["version"] = manifest.version;
  json["ok"] = manifest.ok;
  json["failed"] = manifest.failed;
  return json;
}

namespace {
constexpr uint64_t kMaxManifestBytes = 1ull << 20;  // a manifest is a few hundred bytes

template <typename T>
T field(const nlohmann::ordered_json& json, const char* key, const fs::path& file) {
  try {
    return json.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    throw Error(detail::concat(file.string(), ": no valid \"", key, "\" (not a shard manifest of this version of lisa?)"));
  }
}
}  // namespace

ShardManifest manifest_from_json(const nlohmann::ordered_json& json, const fs::path& file) {
  LISA_CHECK(json.is_object(), file.string(), ": not a JSON object");
  ShardManifest manifest;
  manifest.command = field<std::string>(json, "command", file);
  manifest.shard = field<int64_t>(json, "shard", file);
  manifest.num_shards = field<int64_t>(json, "num_shards", file);
  manifest.total_items = field<int64_t>(json, "total_items", file);
  manifest.list_hash = field<std::string>(json, "list_hash", file);
  manifest.shard_hash = field<std::string>(json, "shard_hash", file);
  manifest.arguments = field<nlohmann::ordered_json>(json, "arguments", file);
  manifest.version = field<std::string>(json, "version", file);
  manifest.ok = field<int64_t>(json, "ok", file);
  manifest.failed = field<int64_t>(json, "failed", file);
  LISA_CHECK(field<std::string>(json, "input_hash", file) == manifest.input_hash(), file.string(),
             ": its input_hash does not match its list_hash and arguments (edited by hand?)");
  return manifest;
}

ShardManifest read_manifest(const fs::path& file) {
  const std::string text = io::read_regular_file(file, kMaxManifestBytes, "a shard manifest");
  nlohmann::ordered_json json;
  try {
    json = nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(detail::concat(file.string(), ": not valid JSON (", e.what(), ")"));
  }
  return manifest_from_json(json, file);
}

void write_manifest(const fs::path& dir, const ShardManifest& manifest) {
  const Shard shard{manifest.shard, manifest.num_shards, ""};
  render::write_file_atomically(dir / manifest_file_name(shard), to_json(manifest).dump(2) + "\n");
}

void remove_manifest(const fs::path& dir, const Shard& shard) {
  std::error_code error;
  fs::remove(dir / manifest_file_name(shard), error);
  LISA_CHECK(!error, "cannot remove the old ", (dir / manifest_file_name(shard)).string(), ": ", error.message());
}

}  // namespace lisa::workflow
