#pragma once
// One item of `lisa segment` on its way into --out: its mask PNGs and overlays, written chunk by
// chunk as the engine hands the masks over, then its result line.
//
// Chunks are written on a worker thread, one at a time: write_chunk() first waits for the chunk
// before, so at most two chunks are held (one being written, one being decoded) however many [SEG]
// the answer has. All or nothing: until commit(), roll_back() (and the destructor) removes every
// file of the item written so far, so that a failed or abandoned item leaves no file that no line
// of results.jsonl accounts for.
#include <filesystem>
#include <future>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core/mat.hpp>

#include "lisa/pipeline/answer.h"
#include "lisa/workflow/segment.h"

namespace lisa::workflow {

class ItemWriter {
 public:
  ItemWriter(const SegmentItem& item, std::filesystem::path out_dir);
  ItemWriter(const ItemWriter&) = delete;
  ItemWriter& operator=(const ItemWriter&) = delete;
  // Waits for the chunk in flight; rolls back unless committed.
  ~ItemWriter();

  // The picture the overlays are drawn on: [H, W, 3] CV_8UC3 RGB.
  void set_picture(cv::Mat rgb) { rgb_ = std::move(rgb); }
  // Waits for the previous chunk (rethrowing its failure), then starts writing `masks`, the masks
  // first_index, first_index + 1, ... of the answer, on a worker thread.
  void write_chunk(int64_t first_index, std::vector<pipeline::SegMask> masks);
  // Waits for the chunk in flight, rethrowing its failure.
  void wait();
  // The item's result line (masks as written; call wait() first).
  nlohmann::ordered_json record(const pipeline::Answer& answer) const;
  // The item is recorded: its files stay.
  void commit() { committed_ = true; }
  // Waits for the chunk in flight and removes the files written so far.
  void roll_back() noexcept;

 private:
  void write_masks(int64_t first_index, const std::vector<pipeline::SegMask>& masks);
  void write_file(const std::string& name, const std::string& bytes);

  const SegmentItem& item_;
  std::filesystem::path out_dir_;
  cv::Mat rgb_;
  // Touched by the chunk in flight only; read after wait().
  std::vector<std::filesystem::path> written_;
  nlohmann::ordered_json masks_ = nlohmann::ordered_json::array();
  std::future<void> in_flight_;
  bool committed_ = false;
};

}  // namespace lisa::workflow
