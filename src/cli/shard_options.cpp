#include "shard_options.h"

#include <torch/cuda.h>

#include <iostream>

namespace lisa::cli {

void add_shard_options(CLI::App& command, ShardArgs& args) {
  command.add_option("--shard", args.request.shard,
                     "do shard K of N (K/N, 0-based) of the input: item i goes to shard i mod N; default: from "
                     "LISA_SHARD, torchrun, Open MPI, Slurm or a Kubernetes Indexed Job (docs/scale-out.md)");
  command.add_option("--num-shards", args.request.num_shards,
                     "number of shards, with JOB_COMPLETION_INDEX (a Kubernetes Indexed Job's completions)")
      ->check(CLI::PositiveNumber);
  command.add_flag("--print-shard", args.print_only, "print the shard this process would do, and where from; exit");
}

std::optional<workflow::Shard> resolve_shard(const ShardArgs& args, const std::string& command, ModelOptions& model,
                                             bool devices_given) {
  const auto resolved = workflow::resolve_shard(args.request, workflow::process_environment());
  if (resolved.shard && !args.print_only) std::cerr << command << ": " << workflow::describe(resolved.shard) << "\n";
  // torchrun starts one process per GPU of a node and tells each its GPU by LOCAL_RANK.
  if (resolved.local_rank && !devices_given &&
      (model.device == "cuda" || (model.device == "auto" && torch::cuda::is_available())))
    model.device = "cuda:" + std::to_string(*resolved.local_rank);
  return resolved.shard;
}

void print_shard(const std::optional<workflow::Shard>& shard) { std::cout << workflow::describe(shard) << "\n"; }

}  // namespace lisa::cli
