#include "lisa/workflow/shard.h"

#include <cstdlib>
#include <limits>

#include "lisa/error.h"

namespace lisa::workflow {

namespace {

// A non-negative decimal integer, all of `text` (no sign, no spaces); nullopt otherwise.
std::optional<int64_t> whole_number(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

int64_t number_in(const Environment& environment, const std::string& name) {
  const auto text = environment(name);
  LISA_INTERNAL_ASSERT(text.has_value(), name, " read while not set");
  const auto value = whole_number(*text);
  LISA_CHECK(value.has_value(), name, "='", *text, "': not a whole number >= 0");
  return *value;
}

Shard checked(int64_t index, int64_t count, const std::string& source) {
  LISA_CHECK(count >= 1, source, ": the number of shards must be at least 1, not ", count);
  LISA_CHECK(index < count, source, ": shard ", index, " does not exist when there are ", count,
             " shards (they are numbered 0 to ", count - 1, ")");
  return {index, count, source};
}

std::string with_value(const Environment& environment, const std::string& name) {
  return name + "=" + environment(name).value_or("");
}

std::optional<Shard> from_rank_and_size(const Environment& environment, const std::string& rank,
                                        const std::string& size) {
  const bool has_rank = environment(rank).has_value(), has_size = environment(size).has_value();
  if (!has_rank && !has_size) return std::nullopt;
  LISA_CHECK(has_rank && has_size, has_rank ? rank : size, " is set but ", has_rank ? size : rank,
             " is not: cannot tell this process's shard");
  const std::string source = with_value(environment, rank) + " " + with_value(environment, size);
  return checked(number_in(environment, rank), number_in(environment, size), source);
}

std::optional<Shard> from_slurm_tasks(const Environment& environment) {
  if (!environment("SLURM_NTASKS") || !environment("SLURM_PROCID")) return std::nullopt;
  const int64_t tasks = number_in(environment, "SLURM_NTASKS");
  if (tasks <= 1) return std::nullopt;  // every batch job is one task: that is no sharding
  return checked(number_in(environment, "SLURM_PROCID"), tasks,
                 with_value(environment, "SLURM_PROCID") + " " + with_value(environment, "SLURM_NTASKS"));
}

std::optional<Shard> from_slurm_array(const Environment& environment) {
  if (!environment("SLURM_ARRAY_TASK_ID")) return std::nullopt;
  for (const char* name : {"SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN"})
    LISA_CHECK(environment(name).has_value(), "SLURM_ARRAY_TASK_ID is set but ", name, " is not");
  const int64_t id = number_in(environment, "SLURM_ARRAY_TASK_ID");
  const int64_t count = number_in(environment, "SLURM_ARRAY_TASK_COUNT");
  const int64_t min = number_in(environment, "SLURM_ARRAY_TASK_MIN");
  const int64_t step = environment("SLURM_ARRAY_TASK_STEP") ? number_in(environment, "SLURM_ARRAY_TASK_STEP") : 1;
  LISA_CHECK(step >= 1, "SLURM_ARRAY_TASK_STEP=", step, ": must be at least 1");
  const std::string source = detail::concat(with_value(environment, "SLURM_ARRAY_TASK_ID"), " (array of ", count,
                                            " from ", min, " step ", step, ")");
  LISA_CHECK(id >= min && (id - min) % step == 0, source,
             ": the task id is not MIN + k * STEP; give the array as a range such as --array=0-9 or 0-18:2");
  return checked((id - min) / step, count, source);
}

// Slurm's array index and task rank together: one shard per task of each array element.
std::optional<Shard> from_slurm(const Environment& environment) {
  const auto array = from_slurm_array(environment);
  const auto tasks = from_slurm_tasks(environment);
  if (!array || !tasks) return array ? array : tasks;
  return Shard{array->index * tasks->count + tasks->index, array->count * tasks->count,
               array->source + " with " + tasks->source};
}

std::optional<Shard> from_indexed_job(const Environment& environment, int64_t num_shards) {
  if (!environment("JOB_COMPLETION_INDEX")) return std::nullopt;
  const std::string source = with_value(environment, "JOB_COMPLETION_INDEX");
  LISA_CHECK(num_shards > 0, source, " is set (a Kubernetes Indexed Job) but --num-shards is not: give it the "
             "Job's .spec.completions");
  return checked(number_in(environment, "JOB_COMPLETION_INDEX"), num_shards,
                 detail::concat(source, " --num-shards ", num_shards));
}

bool same(const Shard& a, const Shard& b) { return a.index == b.index && a.count == b.count; }

}  // namespace

Environment process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (!value) return std::nullopt;
    return std::string(value);
  };
}

Shard parse_shard(const std::string& text, const std::string& source) {
  const size_t slash = text.find('/');
  const auto index = slash == std::string::npos ? std::nullopt : whole_number(text.substr(0, slash));
  const auto count = slash == std::string::npos ? std::nullopt : whole_number(text.substr(slash + 1));
  LISA_CHECK(index && count, source, " '", text, "': expected K/N, e.g. 0/4 (shard K of N, K from 0 to N-1)");
  return checked(*index, *count, source + " " + text);
}

ResolvedShard resolve_shard(const ShardRequest& request, const Environment& environment) {
  LISA_CHECK(request.num_shards >= 0, "--num-shards ", request.num_shards, ": must be at least 1");
  std::vector<Shard> found;
  const auto add = [&](std::optional<Shard> shard) {
    if (shard) found.push_back(std::move(*shard));
  };
  if (!request.shard.empty()) add(parse_shard(request.shard, "--shard"));
  if (const auto text = environment("LISA_SHARD")) add(parse_shard(*text, "LISA_SHARD"));
  add(from_rank_and_size(environment, "RANK", "WORLD_SIZE"));
  add(from_rank_and_size(environment, "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"));
  add(from_slurm(environment));
  add(from_indexed_job(environment, request.num_shards));

  for (const Shard& other : found)
    LISA_CHECK(same(found.front(), other), "two sources disagree on this process's shard: ", found.front().source,
               " gives ", found.front().index, "/", found.front().count, " but ", other.source, " gives ", other.index,
               "/", other.count, " (unset one of them)");
  if (request.num_shards > 0) {
    LISA_CHECK(!found.empty(), "--num-shards ", request.num_shards,
               " without a shard index: give --shard K/N, or run as a Kubernetes Indexed Job (JOB_COMPLETION_INDEX)");
    LISA_CHECK(found.front().count == request.num_shards, "--num-shards ", request.num_shards, " disagrees with ",
               found.front().source, " (", found.front().count, " shards)");
  }

  ResolvedShard resolved;
  if (!found.empty()) resolved.shard = found.front();
  if (environment("LOCAL_RANK")) {
    const int64_t rank = number_in(environment, "LOCAL_RANK");
    LISA_CHECK(rank <= std::numeric_limits<int>::max(), "LOCAL_RANK=", rank, ": too large");
    resolved.local_rank = static_cast<int>(rank);
  }
  return resolved;
}

std::string describe(const std::optional<Shard>& shard) {
  if (!shard) return "no shard (no --shard and no scheduler variables): the whole input";
  return "shard " + std::to_string(shard->index) + "/" + std::to_string(shard->count) + " (from " + shard->source +
         ")";
}

int64_t shard_size(int64_t total, const Shard& shard) {
  if (shard.index >= total) return 0;
  return (total - shard.index + shard.count - 1) / shard.count;
}

}  // namespace lisa::workflow
