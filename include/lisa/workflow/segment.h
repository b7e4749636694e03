#pragma once
// `lisa segment`: one question per image over many images, every result kept on disk as it is made.
// Per item: {stem}_mask_{i}.png (0/255), {stem}_masked_img_{i}.jpg, and one line of results.jsonl
// (or an error line); a bad input is reported and skipped, the run goes on.
//
// What a run guarantees about --out:
// - One run at a time: plan_segment() locks the folder (OutputLock, .lisa-segment.lock).
// - An item is wholly recorded or leaves nothing: its files are written first, then its line; when
//   any of that fails (a full disk) its files are removed again and an error line is appended; when
//   not even that line can be appended, the run stops with an error (nothing is lost silently).
// - Lines come in input order. With --resume an item is done again unless its LAST line is a
//   success, so results.jsonl may hold an error line for an item followed, later, by its success
//   line: readers take the last line of each (image, prompt).
// - A stop request (SIGINT/SIGTERM in the CLI) ends the run between writes: the item being answered
//   is dropped (its files removed), the one being written is finished; no temporary is left.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lisa/pipeline/engine.h"
#include "lisa/workflow/output_lock.h"
#include "lisa/workflow/shard.h"

namespace lisa::workflow {

struct SegmentItem {
  std::filesystem::path image;  // as the user named it (or found under a named directory)
  std::string prompt;
  std::string stem;  // output file prefix, unique within the run
};

// Image files named directly, or found in named directories (.jpg .jpeg .png .bmp, any case;
// `recursive` descends into subdirectories), in the order of `inputs`, the files of a named directory
// sorted by the bytes of their path below it (never the listing order, so that every process of a
// sharded run sees the same list). A path that does not exist is
// kept, and so is anything in a named directory whose name looks like an image but that is not a
// regular file (a dangling symbolic link, a folder called x.jpg), so that each is reported as a
// failed item rather than dropped.
std::vector<SegmentItem> collect_images(const std::vector<std::string>& inputs, bool recursive,
                                        const std::string& prompt);
// {"image": ..., "prompt": ...} per line (blank lines skipped); relative image paths are taken
// relative to the file's directory. Throws lisa::Error naming the file (and line), also when it
// holds no prompt at all.
std::vector<SegmentItem> read_prompt_file(const std::filesystem::path& path);

struct SegmentOptions {
  std::filesystem::path out_dir;
  int64_t max_pixels = 100'000'000;
  int64_t max_new_tokens = 512;
  bool force_seg = false;
  bool resume = false;  // skip items whose last line in results.jsonl is a success; retry the others
  // Masks decoded, rendered and written at a time (pipeline::MaskOptions::chunk_size): an answer
  // with hundreds of [SEG] is handled in bounded memory.
  int64_t mask_chunk = 16;
  // Questions answered together (pipeline/batch.h); 1: one at a time through Session::ask. Lines
  // stay in input order; a stop abandons the unrecorded items of the batch (redone by --resume).
  int64_t batch_size = 1;
  // Bound on the KV caches of a batch (pipeline::BatchOptions::max_kv_cache_bytes), in MiB.
  int64_t max_kv_cache_mib = 8192;
  // Polled between items and while an answer is generated; once true the run stops as described above.
  std::function<bool()> stop_requested;
  // Names in out_dir: a shard has its own (segment_file_names), so that N shards share one folder.
  std::string results_name = "results.jsonl";
  std::string lock_name = ".lisa-segment.lock";
};

inline constexpr const char* kSegmentResults = "results.jsonl";
inline constexpr const char* kSegmentLock = ".lisa-segment.lock";

// Sets options.results_name and lock_name for `shard` (see shard_manifest.h); unsharded: unchanged.
void use_shard_file_names(SegmentOptions& options, const std::optional<Shard>& shard);

// The items whose image path and prompt are given, in input order: their item_key()s.
std::vector<std::string> item_keys(const std::vector<SegmentItem>& items);

// What a run is to do, decided before the engine loads (so that a busy or unusable --out fails at
// once, having written nothing).
struct SegmentPlan {
  OutputLock lock;                  // held until the plan is destroyed
  std::vector<SegmentItem> items;   // to do in this run
  size_t already_done = 0;          // --resume: items whose last line is a success
  size_t retried = 0;               // --resume: items whose last line is an error, done again
  std::vector<std::filesystem::path> removed_temporaries;  // --resume: left by a killed run
};

// Locks options.out_dir (creating it), cuts off a partial last line of results.jsonl, and with
// options.resume drops the items already done and removes stale temporaries of
// render::write_file_atomically.
SegmentPlan plan_segment(std::vector<SegmentItem> items, const SegmentOptions& options);

struct SegmentProgress {
  size_t done = 0;      // items finished in this run, failed ones included
  size_t total = 0;     // items to do in this run
  size_t failed = 0;
  size_t skipped = 0;   // already in results.jsonl (resume)
  bool stopped = false; // options.stop_requested ended the run early
};

// Over `items`, how many have a success / an error as their last line in options.results_name
// (what a shard's manifest counts, --resume runs included).
struct SegmentOutcomes {
  int64_t ok = 0;
  int64_t failed = 0;
};
SegmentOutcomes count_outcomes(const std::vector<SegmentItem>& items, const SegmentOptions& options);

// Called after every item with its path, the error message ("" when it succeeded) and the counts.
using SegmentObserver =
    std::function<void(const SegmentItem& item, const std::string& error, const SegmentProgress& progress)>;

// Does plan.items into plan.lock.dir(). Per item, user errors (lisa::Error) and running out of
// memory are recorded as that item's failure; anything else is a bug and propagates, as does a
// failure to record an item at all.
SegmentProgress run_segment(const pipeline::Engine& engine, const SegmentPlan& plan, const SegmentOptions& options,
                            const SegmentObserver& observer);
// The same with one engine per device (--devices): a worker per engine answers the next item not
// yet taken, through its own Context; this thread records the answers in input order, so the files
// and lines are those of one engine (of any one of them, the engines being alike).
SegmentProgress run_segment(const std::vector<const pipeline::Engine*>& engines, const SegmentPlan& plan,
                            const SegmentOptions& options, const SegmentObserver& observer);

}  // namespace lisa::workflow
