#include "lisa/workflow/merge.h"

#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <vector>

#include <nlohmann/json.hpp>

#include "lisa/error.h"
#include "lisa/eval/report.h"
#include "lisa/render/atomic_file.h"
#include "lisa/workflow/evaluate.h"
#include "lisa/workflow/shard_manifest.h"
#include "last_lines.h"

namespace lisa::workflow {

namespace fs = std::filesystem;

namespace {

struct ShardFiles {
  ShardManifest manifest;
  fs::path manifest_file;
  LastLines results;  // its results file
};

std::string shard_name(const ShardManifest& manifest) {
  return "shard " + std::to_string(manifest.shard) + "/" + std::to_string(manifest.num_shards);
}

// Every manifest.shard-K-of-N.json in `dir`, by K; each says it is the shard its name says.
std::map<int64_t, ShardFiles> read_manifests(const fs::path& dir) {
  LISA_CHECK(fs::is_directory(dir), dir.string(), ": not a folder (give the --out of the shards)");
  static const std::regex name(R"(manifest\.shard-(\d{1,9})-of-(\d{1,9})\.json)");
  std::map<int64_t, ShardFiles> shards;
  std::optional<int64_t> count;
  std::string count_file;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string file = entry.path().filename().string();
    std::smatch match;
    if (!std::regex_match(file, match, name)) continue;
    const int64_t k = std::stoll(match[1]), n = std::stoll(match[2]);
    LISA_CHECK(!count || *count == n, dir.string(), " holds the shards of runs with different numbers of shards: ",
               count_file, " and ", file, " (remove the files of the run you do not want)");
    count = n;
    count_file = file;
    ShardFiles shard;
    shard.manifest_file = entry.path();
    shard.manifest = read_manifest(entry.path());
    LISA_CHECK(shard.manifest.shard == k && shard.manifest.num_shards == n, entry.path().string(), " says it is ",
               shard_name(shard.manifest), ", not shard ", k, "/", n,
               " as its name says: a copy of another shard's files? run shard ", k, " itself");
    shards.emplace(k, std::move(shard));
  }
  LISA_CHECK(count.has_value(), dir.string(), ": no shard manifests (manifest.shard-K-of-N.json) here; a shard writes "
             "its manifest when it has finished");
  return shards;
}

// The names of the arguments in which two manifests differ.
std::string differing_arguments(const nlohmann::ordered_json& a, const nlohmann::ordered_json& b) {
  std::string names;
  for (const auto& [key, value] : a.items())
    if (!b.contains(key) || b[key] != value) names += (names.empty() ? "" : ", ") + key + " " + value.dump() +
                                                      " vs " + (b.contains(key) ? b[key].dump() : "none");
  for (const auto& [key, value] : b.items())
    if (!a.contains(key)) names += (names.empty() ? "" : ", ") + key + " none vs " + value.dump();
  return names;
}

// All shards of one run, none missing.
void check_one_run(const std::map<int64_t, ShardFiles>& shards) {
  const ShardManifest& first = shards.begin()->second.manifest;
  LISA_CHECK(first.command == "segment" || first.command == "eval", shards.begin()->second.manifest_file.string(),
             ": the manifest of an unknown command '", first.command, "'");
  for (const auto& [k, shard] : shards) {
    const ShardManifest& m = shard.manifest;
    const std::string which = shard_name(m) + " (" + shard.manifest_file.filename().string() + ")";
    LISA_CHECK(m.command == first.command, which, " is a `lisa ", m.command, "` run, ", shard_name(first), " a `lisa ",
               first.command, "` run");
    LISA_CHECK(m.version == first.version, which, " was written by lisa ", m.version, ", ", shard_name(first),
               " by lisa ", first.version, ": run all shards with one version");
    LISA_CHECK(m.list_hash == first.list_hash && m.total_items == first.total_items, which,
               " was run over another input than ", shard_name(first), " (", m.total_items, " vs ", first.total_items,
               " items, or other images / prompts / order)");
    LISA_CHECK(m.arguments == first.arguments, which, " was run with other arguments than ", shard_name(first), ": ",
               differing_arguments(m.arguments, first.arguments));
  }
  for (int64_t k = 0; k < first.num_shards; ++k)
    LISA_CHECK(shards.count(k), "shard ", k, "/", first.num_shards, " is missing: no ",
               manifest_file_name({k, first.num_shards, ""}),
               " (not run yet, still running, or stopped: run it, with --resume if it had started)");
}

// Reads the shard's results file and checks it holds the shard's items with its manifest's counts.
void read_results(const fs::path& dir, ShardFiles& shard) {
  const ShardManifest& m = shard.manifest;
  const fs::path file = dir / results_file_name(Shard{m.shard, m.num_shards, ""});
  std::ifstream in(file);  // a shard without items may have none
  LISA_CHECK(in.good() || !fs::exists(file), shard_name(m), ": cannot read ", file.string());
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(std::move(line));
  shard.results = last_lines(lines, file);
  const std::vector<std::string>& keys = shard.results.keys;
  const Shard which{m.shard, m.num_shards, ""};
  LISA_CHECK(static_cast<int64_t>(keys.size()) == shard_size(m.total_items, which) && keys_hash(keys) == m.shard_hash,
             shard_name(m), ": ", file.string(), " holds ", keys.size(), " items, not the ",
             shard_size(m.total_items, which), " items of the shard (a file of another run, or edited?)");
  int64_t ok = 0, failed = 0;
  for (const auto& key : keys) ++(shard.results.succeeded(key) ? ok : failed);
  LISA_CHECK(ok == m.ok && failed == m.failed, shard_name(m), ": ", file.string(), " records ", ok, " done and ", failed,
             " failed items, its manifest ", m.ok, " and ", m.failed, " (changed after the shard finished?)");
}

// The keys of all shards interleaved back into input order; checks that no item is in two shards
// and that together they are the input.
std::vector<std::pair<const ShardFiles*, std::string>> input_order(const std::map<int64_t, ShardFiles>& shards) {
  std::map<std::string, int64_t> owner;
  for (const auto& [k, shard] : shards)
    for (const auto& key : shard.results.keys) {
      const auto [at, fresh] = owner.emplace(key, k);
      LISA_CHECK(fresh, key.substr(0, key.find('\n')), " is in shard ", at->second, " and in shard ", k,
                 ": the shards overlap (files of another run?)");
    }
  const ShardManifest& first = shards.begin()->second.manifest;
  std::vector<std::pair<const ShardFiles*, std::string>> order;
  std::vector<std::string> keys;
  for (int64_t i = 0; i < first.total_items; ++i) {
    const ShardFiles& shard = shards.at(i % first.num_shards);
    keys.push_back(shard.results.keys.at(static_cast<size_t>(i / first.num_shards)));
    order.emplace_back(&shard, keys.back());
  }
  LISA_CHECK(keys_hash(keys) == first.list_hash, "the shards together are not the input they were run over "
             "(their items in input order do not give its list hash)");
  return order;
}

void check_mask_files(const fs::path& dir, const ShardFiles& shard, const nlohmann::json& record) {
  if (record.contains("error") || !record.contains("masks")) return;
  for (const auto& mask : record["masks"]) {
    const std::string file = mask.value("file", "");
    LISA_CHECK(!file.empty() && fs::is_regular_file(dir / file), shard_name(shard.manifest), ": the mask file ",
               (dir / file).string(), " of ", record["image"].get<std::string>(), " is missing");
  }
}

}  // namespace

MergeSummary merge_shards(const fs::path& out_dir) {
  auto shards = read_manifests(out_dir);
  check_one_run(shards);
  for (auto& [k, shard] : shards) read_results(out_dir, shard);
  const auto order = input_order(shards);
  const ShardManifest& first = shards.begin()->second.manifest;

  MergeSummary summary{first.command, first.num_shards, first.total_items, 0, 0};
  std::string results;
  std::vector<eval::ImageResult> evaluated;
  for (const auto& [shard, key] : order) {
    const nlohmann::json& record = shard->results.record.at(key);
    const std::string& line = shard->results.line.at(key);
    ++(record.contains("error") ? summary.failed : summary.ok);
    if (first.command == "segment") check_mask_files(out_dir, *shard, record);
    if (first.command == "eval" && !record.contains("error")) evaluated.push_back(eval::parse_result_line(line));
    results += line + "\n";
  }
  render::write_file_atomically(out_dir / "results.jsonl", results);
  if (first.command == "eval") {
    eval::RunInfo info;
    info.mode = first.arguments.value("mode", "");
    info.conv_type = first.arguments.value("conv_type", "");
    info.model = first.arguments.value(kEvalReportModel, "");
    info.failed = summary.failed;
    eval::write_report(out_dir, evaluated, info);
  }
  return summary;
}

}  // namespace lisa::workflow
