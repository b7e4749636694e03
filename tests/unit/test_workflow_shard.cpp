// The shard resolver (--shard and the schedulers' variables) and the assignment of items to shards.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <set>

#include "lisa/error.h"
#include "lisa/workflow/shard.h"

namespace lisa::workflow {
namespace {

Environment env(std::map<std::string, std::string> variables) {
  return [variables](const std::string& name) -> std::optional<std::string> {
    const auto found = variables.find(name);
    if (found == variables.end()) return std::nullopt;
    return found->second;
  };
}

ResolvedShard resolve(std::map<std::string, std::string> variables, std::string shard = "", int64_t num_shards = 0) {
  return resolve_shard({std::move(shard), num_shards}, env(std::move(variables)));
}

void expect_shard(const ResolvedShard& resolved, int64_t k, int64_t n, const std::string& source_part) {
  ASSERT_TRUE(resolved.shard.has_value());
  EXPECT_EQ(resolved.shard->index, k);
  EXPECT_EQ(resolved.shard->count, n);
  EXPECT_NE(resolved.shard->source.find(source_part), std::string::npos) << resolved.shard->source;
}

// The message of the lisa::Error that `run` throws ("" when it throws none).
template <typename F>
std::string error_of(F run) {
  try {
    run();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

#define EXPECT_ERROR_MENTIONS(call, ...)                                 \
  do {                                                                   \
    const std::string message = error_of([&] { (void)(call); });        \
    EXPECT_FALSE(message.empty()) << #call " did not fail";              \
    for (const std::string part : {__VA_ARGS__})                        \
      EXPECT_NE(message.find(part), std::string::npos) << message;      \
  } while (false)

TEST(ShardResolver, NothingSetIsAnUnshardedRun) {
  const auto resolved = resolve({{"HOME", "/root"}});
  EXPECT_FALSE(resolved.shard.has_value());
  EXPECT_FALSE(resolved.local_rank.has_value());
  EXPECT_NE(describe(resolved.shard).find("no shard"), std::string::npos);
}

TEST(ShardResolver, EverySource) {
  expect_shard(resolve({}, "2/5"), 2, 5, "--shard 2/5");
  expect_shard(resolve({{"LISA_SHARD", "0/1"}}), 0, 1, "LISA_SHARD");
  expect_shard(resolve({{"RANK", "3"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "1"}}), 3, 4, "RANK=3 WORLD_SIZE=4");
  expect_shard(resolve({{"OMPI_COMM_WORLD_RANK", "1"}, {"OMPI_COMM_WORLD_SIZE", "2"}}), 1, 2, "OMPI_COMM_WORLD_RANK");
  expect_shard(resolve({{"SLURM_PROCID", "5"}, {"SLURM_NTASKS", "8"}}), 5, 8, "SLURM_PROCID=5");
  expect_shard(resolve({{"SLURM_ARRAY_TASK_ID", "7"}, {"SLURM_ARRAY_TASK_COUNT", "10"}, {"SLURM_ARRAY_TASK_MIN", "0"}}),
               7, 10, "SLURM_ARRAY_TASK_ID=7");
  expect_shard(resolve({{"JOB_COMPLETION_INDEX", "2"}}, "", 3), 2, 3, "JOB_COMPLETION_INDEX=2");
  EXPECT_EQ(describe(resolve({}, "2/5").shard), "shard 2/5 (from --shard 2/5)");
}

TEST(ShardResolver, TorchrunLocalRankChoosesTheDevice) {
  EXPECT_EQ(resolve({{"RANK", "3"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "1"}}).local_rank, 1);
  EXPECT_ERROR_MENTIONS(resolve({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"LOCAL_RANK", "x"}}), "LOCAL_RANK='x'");
}

TEST(ShardResolver, OneSlurmTaskIsNoSharding) {
  EXPECT_FALSE(resolve({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "1"}}).shard.has_value());
}

TEST(ShardResolver, SlurmArrayWithAStepAndAnOffset) {
  // --array=4-16:4 -> ids 4, 8, 12, 16: count 4, min 4, step 4.
  const std::map<std::string, std::string> array{
      {"SLURM_ARRAY_TASK_COUNT", "4"}, {"SLURM_ARRAY_TASK_MIN", "4"}, {"SLURM_ARRAY_TASK_STEP", "4"}};
  for (int64_t k = 0; k < 4; ++k) {
    auto variables = array;
    variables["SLURM_ARRAY_TASK_ID"] = std::to_string(4 + 4 * k);
    expect_shard(resolve(variables), k, 4, "step 4");
  }
  auto off_step = array;
  off_step["SLURM_ARRAY_TASK_ID"] = "6";
  EXPECT_ERROR_MENTIONS(resolve(off_step), "SLURM_ARRAY_TASK_ID=6", "MIN + k * STEP");
  auto past_end = array;
  past_end["SLURM_ARRAY_TASK_ID"] = "20";  // index 4 of 4
  EXPECT_ERROR_MENTIONS(resolve(past_end), "shard 4 does not exist when there are 4 shards");
}

TEST(ShardResolver, SlurmArrayCombinedWithTasks) {
  // Array element 1 of 3, task 2 of 4: shard 1 * 4 + 2 of 12.
  expect_shard(resolve({{"SLURM_ARRAY_TASK_ID", "1"},
                        {"SLURM_ARRAY_TASK_COUNT", "3"},
                        {"SLURM_ARRAY_TASK_MIN", "0"},
                        {"SLURM_PROCID", "2"},
                        {"SLURM_NTASKS", "4"}}),
               6, 12, "with SLURM_PROCID=2");
}

TEST(ShardResolver, AgreeingSourcesAreFineAndTheFirstIsReported) {
  expect_shard(resolve({{"LISA_SHARD", "1/2"}, {"RANK", "1"}, {"WORLD_SIZE", "2"}}, "1/2"), 1, 2, "--shard");
  expect_shard(resolve({{"RANK", "1"}, {"WORLD_SIZE", "2"}, {"SLURM_PROCID", "1"}, {"SLURM_NTASKS", "2"}}), 1, 2,
               "RANK=1");
}

TEST(ShardResolver, DisagreeingSourcesNameBoth) {
  EXPECT_ERROR_MENTIONS(resolve({{"LISA_SHARD", "0/2"}}, "1/2"), "--shard 1/2", "LISA_SHARD 0/2", "disagree");
  EXPECT_ERROR_MENTIONS(resolve({{"RANK", "1"}, {"WORLD_SIZE", "4"}, {"OMPI_COMM_WORLD_RANK", "1"},
                                 {"OMPI_COMM_WORLD_SIZE", "2"}}),
                        "RANK=1 WORLD_SIZE=4", "OMPI_COMM_WORLD_SIZE=2");
  EXPECT_ERROR_MENTIONS(resolve({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "2"}, {"JOB_COMPLETION_INDEX", "1"}}, "", 2),
                        "SLURM_PROCID=0", "JOB_COMPLETION_INDEX=1");
  EXPECT_ERROR_MENTIONS(resolve({}, "1/4", 3), "--num-shards 3", "--shard 1/4");
}

TEST(ShardResolver, BadValuesAreNamed) {
  EXPECT_ERROR_MENTIONS(resolve({}, "3/3"), "--shard 3/3", "shard 3 does not exist when there are 3 shards");
  EXPECT_ERROR_MENTIONS(resolve({}, "7/2"), "shard 7 does not exist");
  EXPECT_ERROR_MENTIONS(resolve({}, "0/0"), "at least 1");
  EXPECT_ERROR_MENTIONS(resolve({}, "1"), "--shard '1'", "K/N");
  EXPECT_ERROR_MENTIONS(resolve({}, "-1/2"), "--shard '-1/2'");
  EXPECT_ERROR_MENTIONS(resolve({{"LISA_SHARD", "a/b"}}), "LISA_SHARD 'a/b'");
  EXPECT_ERROR_MENTIONS(resolve({{"RANK", "one"}, {"WORLD_SIZE", "2"}}), "RANK='one'");
  EXPECT_ERROR_MENTIONS(resolve({{"RANK", "0"}}), "RANK is set but WORLD_SIZE is not");
  EXPECT_ERROR_MENTIONS(resolve({{"OMPI_COMM_WORLD_RANK", "2"}, {"OMPI_COMM_WORLD_SIZE", "2"}}),
                        "OMPI_COMM_WORLD_RANK=2", "does not exist");
  EXPECT_ERROR_MENTIONS(resolve({{"SLURM_PROCID", "x"}, {"SLURM_NTASKS", "2"}}), "SLURM_PROCID='x'");
  EXPECT_ERROR_MENTIONS(resolve({{"SLURM_ARRAY_TASK_ID", "1"}}), "SLURM_ARRAY_TASK_COUNT");
  EXPECT_ERROR_MENTIONS(resolve({{"JOB_COMPLETION_INDEX", "0"}}), "JOB_COMPLETION_INDEX=0", "--num-shards");
  EXPECT_ERROR_MENTIONS(resolve({{"JOB_COMPLETION_INDEX", "3"}}, "", 3), "shard 3 does not exist");
  EXPECT_ERROR_MENTIONS(resolve({}, "", 4), "--num-shards 4 without a shard index");
}

TEST(ShardAssignment, DisjointCompleteAndInInputOrder) {
  std::vector<int> items(10);
  std::iota(items.begin(), items.end(), 0);
  for (int64_t n : {1, 2, 3, 7, 10, 13}) {
    std::vector<int> all;
    for (int64_t k = 0; k < n; ++k) {
      const Shard shard{k, n, ""};
      const auto mine = select_shard(items, shard);
      EXPECT_EQ(static_cast<int64_t>(mine.size()), shard_size(10, shard)) << k << "/" << n;
      EXPECT_TRUE(std::is_sorted(mine.begin(), mine.end()));
      for (int item : mine) EXPECT_EQ(item % n, k);
      all.insert(all.end(), mine.begin(), mine.end());
    }
    std::sort(all.begin(), all.end());
    EXPECT_EQ(all, items) << n << " shards";  // each item exactly once, N > items included
  }
  EXPECT_EQ(shard_size(10, {12, 13, ""}), 0);
}

}  // namespace
}  // namespace lisa::workflow
