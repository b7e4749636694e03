#pragma once
// `lisa merge OUT`: joins the shards of a `lisa segment` or `lisa eval` run (see shard_manifest.h)
// into what one unsharded run writes.
//
// Checks first, writes nothing unless all pass (each failure a lisa::Error naming the shard):
// - the manifests in OUT all come from one run: one N, one command, one version, one input (list
//   hash) and the same arguments; each is named after the shard it says it is (a copied file is not);
// - every shard 0..N-1 has its manifest (a shard that is missing, still running or was killed has
//   none);
// - each shard's results file holds exactly that shard's items (by their keys, in order) with the
//   counts of its manifest; no item is in two shards; interleaved (item i from shard i mod N) they
//   are the whole input in its order;
// - segment: every mask file a result line names exists.
// Then it writes, each atomically: results.jsonl (the last line of each item, in input order:
// what an unsharded run that did each item once writes, timings aside) and, for eval,
// report.json and per_image.csv computed from the per-image intersections and unions exactly as an
// unsharded run computes them.
#include <cstdint>
#include <filesystem>
#include <string>

namespace lisa::workflow {

struct MergeSummary {
  std::string command;  // "segment" or "eval"
  int64_t num_shards = 0;
  int64_t items = 0;
  int64_t ok = 0;
  int64_t failed = 0;
};

MergeSummary merge_shards(const std::filesystem::path& out_dir);

}  // namespace lisa::workflow
