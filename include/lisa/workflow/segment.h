#pragma once
// `lisa segment`: one question per image over many images, every result kept on disk as it is made.
// Per item: {stem}_mask_{i}.png (0/255), {stem}_masked_img_{i}.jpg, and one line of results.jsonl
// (or an error line); a bad input is reported and skipped, the run goes on.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "lisa/pipeline/engine.h"

namespace lisa::workflow {

struct SegmentItem {
  std::filesystem::path image;  // as the user named it (or found under a named directory)
  std::string prompt;
  std::string stem;  // output file prefix, unique within the run
};

// Image files named directly, or found in named directories (.jpg .jpeg .png .bmp, any case;
// `recursive` descends into subdirectories), sorted per directory. A path that does not exist is
// kept, so that it is reported as a failed item rather than dropped.
std::vector<SegmentItem> collect_images(const std::vector<std::string>& inputs, bool recursive,
                                        const std::string& prompt);
// {"image": ..., "prompt": ...} per line (blank lines skipped); relative image paths are taken
// relative to the file's directory. Throws lisa::Error naming the file and line.
std::vector<SegmentItem> read_prompt_file(const std::filesystem::path& path);

struct SegmentOptions {
  std::filesystem::path out_dir;
  int64_t max_pixels = 100'000'000;
  int64_t max_new_tokens = 512;
  bool force_seg = false;
  bool resume = false;  // skip items whose image and prompt already have a line in results.jsonl
};

struct SegmentProgress {
  size_t done = 0;      // items finished in this run, failed ones included
  size_t total = 0;     // items to do in this run
  size_t failed = 0;
  size_t skipped = 0;   // already in results.jsonl (resume)
};

// Called after every item with its path, the error message ("" when it succeeded) and the counts.
using SegmentObserver =
    std::function<void(const SegmentItem& item, const std::string& error, const SegmentProgress& progress)>;

SegmentProgress run_segment(const pipeline::Engine& engine, std::vector<SegmentItem> items,
                            const SegmentOptions& options, const SegmentObserver& observer);

}  // namespace lisa::workflow
