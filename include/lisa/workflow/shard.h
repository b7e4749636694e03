#pragma once
// Which share of a batch this process does: `--shard K/N`, or what the scheduler that started it
// says. Pure functions of their arguments (the environment is passed in), so every source is
// testable without setting variables.
//
// Sources, in the documented order (docs/scale-out.md):
//   1. --shard K/N                               (command line)
//   2. LISA_SHARD=K/N
//   3. torchrun: RANK, WORLD_SIZE                (LOCAL_RANK chooses the CUDA device, see local_rank)
//   4. Open MPI: OMPI_COMM_WORLD_RANK, OMPI_COMM_WORLD_SIZE
//   5. Slurm: SLURM_PROCID, SLURM_NTASKS (only when SLURM_NTASKS > 1: every batch job has one task)
//      and Slurm job arrays: SLURM_ARRAY_TASK_ID, _COUNT, _MIN, _STEP (index (ID - MIN) / STEP of
//      COUNT); when both apply, shard = array index * NTASKS + PROCID of COUNT * NTASKS.
//   6. Kubernetes Indexed Job: JOB_COMPLETION_INDEX, with N from --num-shards.
// Every source present must give the same shard: two that disagree are an error naming both (the
// first in the order is the one reported when they agree). A source with a bad value (not a
// number, K >= N, N = 0, an array index that is not MIN + k * STEP) is an error naming the
// variable. N may exceed the number of items: such a shard has nothing to do.
//
// Item i (0-based, in input order) belongs to shard i mod N: no padding, no duplicates.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace lisa::workflow {

struct Shard {
  int64_t index = 0;   // K, 0 <= K < N
  int64_t count = 1;   // N
  std::string source;  // where it came from, e.g. "--shard" or "SLURM_ARRAY_TASK_ID=3 (array 0-9:3)"
};

// The value of an environment variable, or nullopt when it is not set.
using Environment = std::function<std::optional<std::string>(const std::string& name)>;

// The process's real environment (getenv).
Environment process_environment();

struct ShardRequest {
  std::string shard;  // --shard "K/N"; empty: not given
  int64_t num_shards = 0;  // --num-shards; 0: not given (needed with JOB_COMPLETION_INDEX)
};

struct ResolvedShard {
  std::optional<Shard> shard;      // nullopt: an unsharded run
  std::optional<int> local_rank;   // torchrun's LOCAL_RANK: the process's CUDA device on its node
};

// "K/N" -> Shard (source as given); throws lisa::Error naming `source` for anything else.
Shard parse_shard(const std::string& text, const std::string& source);

// Applies the rules above. Throws lisa::Error for a bad value or two sources that disagree, and
// when --num-shards is given without JOB_COMPLETION_INDEX or any other source it could agree with.
ResolvedShard resolve_shard(const ShardRequest& request, const Environment& environment);

// "shard 1/3 (from --shard)" or "no shard (...)": the line printed at start and by --print-shard.
std::string describe(const std::optional<Shard>& shard);

inline bool belongs_to(size_t item_index, const Shard& shard) {
  return static_cast<int64_t>(item_index % static_cast<size_t>(shard.count)) == shard.index;
}

// The items of `shard`, in input order.
template <typename T>
std::vector<T> select_shard(const std::vector<T>& items, const Shard& shard) {
  std::vector<T> selected;
  for (size_t i = 0; i < items.size(); ++i)
    if (belongs_to(i, shard)) selected.push_back(items[i]);
  return selected;
}

// How many of `total` items fall to shard K of N: ceil((total - K) / N), 0 when K >= total.
int64_t shard_size(int64_t total, const Shard& shard);

}  // namespace lisa::workflow
