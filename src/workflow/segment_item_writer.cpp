#include "segment_item_writer.h"

#include <unistd.h>

#include <utility>

#include "lisa/error.h"
#include "lisa/render/atomic_file.h"
#include "lisa/render/mask_files.h"
#include "lisa/render/mask_image.h"
#include "lisa/workflow/answer_record.h"

namespace lisa::workflow {

ItemWriter::ItemWriter(const SegmentItem& item, std::filesystem::path out_dir)
    : item_(item), out_dir_(std::move(out_dir)) {}

ItemWriter::~ItemWriter() {
  if (!committed_) roll_back();
  else if (in_flight_.valid()) in_flight_.wait();
}

void ItemWriter::write_chunk(int64_t first_index, std::vector<pipeline::SegMask> masks) {
  wait();
  in_flight_ = std::async(std::launch::async, [this, first_index, masks = std::move(masks)] {
    write_masks(first_index, masks);
  });
}

void ItemWriter::wait() {
  if (in_flight_.valid()) in_flight_.get();
}

void ItemWriter::roll_back() noexcept {
  try {
    wait();
  } catch (...) {  // the chunk's failure was reported where it happened
  }
  for (const auto& path : written_) ::unlink(path.c_str());
  written_.clear();
  masks_ = nlohmann::ordered_json::array();
}

// The path is noted before the write: a file that reached the disk is removed on roll-back even
// when the write then failed (e.g. syncing its directory).
void ItemWriter::write_file(const std::string& name, const std::string& bytes) {
  written_.push_back(out_dir_ / name);
  render::write_file_atomically(written_.back(), bytes);
}

void ItemWriter::write_masks(int64_t first_index, const std::vector<pipeline::SegMask>& masks) {
  LISA_INTERNAL_ASSERT(first_index == static_cast<int64_t>(masks_.size()), "mask chunk ", first_index, " after ",
                       masks_.size(), " masks");
  for (size_t i = 0; i < masks.size(); ++i) {
    const std::string index = std::to_string(first_index + static_cast<int64_t>(i));
    const cv::Mat mask = render::mask_image(masks[i].binary);
    const std::string png = item_.stem + "_mask_" + index + ".png";
    write_file(png, render::binary_mask_png(mask));
    write_file(item_.stem + "_masked_img_" + index + ".jpg", render::chat_overlay_jpeg(rgb_, mask));
    masks_.push_back(mask_record(first_index + static_cast<int64_t>(i), mask, masks[i].score, png));
  }
}

nlohmann::ordered_json ItemWriter::record(const pipeline::Answer& answer) const {
  LISA_INTERNAL_ASSERT(static_cast<int64_t>(masks_.size()) == answer.mask_count, masks_.size(), " of ",
                       answer.mask_count, " masks written");
  nlohmann::ordered_json record;
  record["image"] = item_.image.string();
  record["prompt"] = item_.prompt;
  record.update(answer_record(answer, masks_));
  return record;
}

}  // namespace lisa::workflow
