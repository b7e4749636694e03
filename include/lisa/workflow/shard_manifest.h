#pragma once
// What a shard of `lisa segment` / `lisa eval` leaves in the shared --out, and what `lisa merge`
// checks before it joins the shards:
//   results.shard-K-of-N.jsonl   the shard's result lines (as results.jsonl holds them unsharded)
//   manifest.shard-K-of-N.json   written last, atomically, when the shard has gone through all its
//                                items (a shard that was stopped or killed has none: run it again
//                                with --resume)
//   .lisa-segment.shard-K-of-N.lock   the shard's own lock, so that N shards share one folder
// Mask files keep the names of an unsharded run: their stems are made unique over the whole input
// before it is split, so shards cannot collide.
//
// An item is identified by its key: its image path as written in its result lines, '\n', its
// prompt (empty for eval). The list hash is SHA-256 over the keys of the whole input in order
// (each length-prefixed); the input hash covers the list hash and the arguments that change
// results, so shards of one run agree on it and shards of different runs do not.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lisa/workflow/shard.h"

namespace lisa::workflow {

std::string item_key(const std::string& image, const std::string& prompt);

// SHA-256 (hex) over the keys in order.
std::string keys_hash(const std::vector<std::string>& keys);

// "results.shard-K-of-N.jsonl" / "manifest.shard-K-of-N.json", or `unsharded` without a shard.
std::string shard_file_name(const std::string& stem, const std::string& extension, const std::optional<Shard>& shard);
std::string results_file_name(const std::optional<Shard>& shard);  // results.jsonl unsharded
std::string manifest_file_name(const Shard& shard);

// One shard's record of its run.
struct ShardManifest {
  std::string command;       // "segment" or "eval"
  int64_t shard = 0;         // K
  int64_t num_shards = 1;    // N
  int64_t total_items = 0;   // items in the whole input
  std::string list_hash;     // keys_hash of the whole input
  std::string shard_hash;    // keys_hash of this shard's items
  nlohmann::ordered_json arguments = nlohmann::ordered_json::object();  // what changes results
  std::string version = LISA_VERSION;
  int64_t ok = 0;      // items of the shard whose last line is a success
  int64_t failed = 0;  // items of the shard whose last line is an error

  // SHA-256 over list_hash and the arguments: equal for the shards of one run.
  std::string input_hash() const;
};

// Everything a shard's manifest needs but its counts, from the keys of the whole input.
ShardManifest plan_manifest(const std::string& command, const Shard& shard, const std::vector<std::string>& keys,
                            nlohmann::ordered_json arguments);

nlohmann::ordered_json to_json(const ShardManifest& manifest);
// Throws lisa::Error naming `file` for a missing or ill-typed field, or an input hash that does
// not match the rest. (Ordered JSON: the arguments' order is part of the input hash.)
ShardManifest manifest_from_json(const nlohmann::ordered_json& json, const std::filesystem::path& file);
// Reads and checks {file}.
ShardManifest read_manifest(const std::filesystem::path& file);

// Writes {dir}/manifest.shard-K-of-N.json atomically.
void write_manifest(const std::filesystem::path& dir, const ShardManifest& manifest);
// Removes the shard's manifest, if any: called when a shard starts, so that the folder never shows a
// finished shard while it runs again.
void remove_manifest(const std::filesystem::path& dir, const Shard& shard);

}  // namespace lisa::workflow
