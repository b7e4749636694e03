#pragma once
// --shard, --num-shards and --print-shard, shared by `lisa segment` and `lisa eval`.
#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "lisa/workflow/shard.h"
#include "model_options.h"

namespace lisa::cli {

struct ShardArgs {
  workflow::ShardRequest request;
  bool print_only = false;
};

void add_shard_options(CLI::App& command, ShardArgs& args);

// Resolves the shard from the options and the process environment, prints it on stderr as
// "COMMAND: shard K/N (from SOURCE)" (nothing for an unsharded run) and, with LOCAL_RANK set and
// --device cuda or auto on a machine with CUDA (and no --devices), sets model.device to cuda:LOCAL_RANK.
std::optional<workflow::Shard> resolve_shard(const ShardArgs& args, const std::string& command, ModelOptions& model,
                                             bool devices_given = false);

// For --print-shard: the resolved shard on stdout, e.g. "shard 1/3 (from --shard 1/3)".
void print_shard(const std::optional<workflow::Shard>& shard);

}  // namespace lisa::cli
