#include "lisa/workflow/segment.h"

#include <algorithm>
#include <fstream>
#include <future>
#include <memory>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "lisa/error.h"
#include "lisa/image/read_image.h"
#include "lisa/pipeline/context.h"
#include "lisa/pipeline/session.h"
#include "lisa/render/atomic_file.h"
#include "lisa/render/coco_rle.h"
#include "lisa/render/mask_files.h"
#include "lisa/render/mask_image.h"
#include "timings_json.h"

namespace lisa::workflow {

namespace fs = std::filesystem;

namespace {

bool is_image_file(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp";
}

// The output prefix: the path below the named directory without its extension, '/' -> '_'.
std::string stem_below(const fs::path& root, const fs::path& file) {
  fs::path relative = file.lexically_relative(root);
  relative.replace_extension();
  std::string stem = relative.generic_string();
  std::replace(stem.begin(), stem.end(), '/', '_');
  return stem;
}

// Two items with the same prefix (the same picture asked twice, a.jpg next to a.png) get "-2", "-3"...
void make_stems_unique(std::vector<SegmentItem>& items) {
  std::map<std::string, int> seen;
  for (auto& item : items) {
    const int count = ++seen[item.stem];
    if (count > 1) item.stem += "-" + std::to_string(count);
  }
}

std::string item_key(const std::string& image, const std::string& prompt) { return image + '\n' + prompt; }

// Items already answered (or already failed) by an earlier run into the same directory.
std::set<std::string> finished_items(const fs::path& results) {
  std::set<std::string> keys;
  for (const auto& line : render::read_complete_lines(results)) {
    nlohmann::json record;
    try {
      record = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      throw Error(results.string() + ": not a JSON line: " + line.substr(0, 80));
    }
    keys.insert(item_key(record.value("image", ""), record.value("prompt", "")));
  }
  return keys;
}

// One item after the engine answered it: what its masks and result line are made from.
struct Answered {
  cv::Mat rgb;  // the picture, for the overlays
  pipeline::Answer answer;
};

Answered answer_item(pipeline::Context& context, const SegmentItem& item, image::Image picture,
                     const SegmentOptions& options) {
  Answered answered;
  answered.rgb = cv::Mat(picture.height(), picture.width(), CV_8UC3, picture.data()).clone();
  auto session = context.open(std::move(picture));
  pipeline::AskOptions ask;
  ask.max_new_tokens = options.max_new_tokens;
  ask.force_seg = options.force_seg;
  answered.answer = session.ask(item.prompt, ask);
  return answered;
}

// Writes the item's mask PNGs and overlays; returns its result line.
nlohmann::ordered_json render_item(const SegmentItem& item, const Answered& answered, const SegmentOptions& options) {
  const pipeline::Answer& answer = answered.answer;
  nlohmann::ordered_json masks = nlohmann::json::array();
  for (size_t i = 0; i < answer.masks.size(); ++i) {
    const cv::Mat mask = render::mask_image(answer.masks[i].binary);
    const auto png = render::write_mask_png(options.out_dir, item.stem, static_cast<int>(i), mask);
    render::write_file_atomically(options.out_dir / (item.stem + "_masked_img_" + std::to_string(i) + ".jpg"),
                                  render::chat_overlay_jpeg(answered.rgb, mask));
    const auto rle = render::encode_rle(mask);
    const auto bbox = render::rle_bbox(rle);
    nlohmann::ordered_json entry;
    entry["index"] = i;
    entry["file"] = png.filename().string();
    entry["area"] = render::rle_area(rle);
    entry["bbox"] = {bbox[0], bbox[1], bbox[2], bbox[3]};
    entry["score"] = answer.masks[i].score;
    entry["rle"] = render::rle_to_json(rle);
    masks.push_back(std::move(entry));
  }
  nlohmann::ordered_json record;
  record["image"] = item.image.string();
  record["prompt"] = item.prompt;
  record["text"] = answer.text;
  record["token_ids"] = answer.token_ids;
  record["forced_seg"] = answer.forced_seg;
  record["masks"] = std::move(masks);
  record["timings_ms"] = timings_json(answer.timings);
  return record;
}

nlohmann::ordered_json error_record(const SegmentItem& item, const std::string& error) {
  return nlohmann::ordered_json{{"image", item.image.string()}, {"prompt", item.prompt}, {"error", error}};
}

// An item's output on its way: rendered and written on a worker thread; its error, if any.
struct Pending {
  const SegmentItem* item = nullptr;
  std::future<std::string> written;
};

}  // namespace

std::vector<SegmentItem> collect_images(const std::vector<std::string>& inputs, bool recursive,
                                        const std::string& prompt) {
  std::vector<SegmentItem> items;
  for (const auto& input : inputs) {
    const fs::path path(input);
    std::error_code error;
    if (!fs::is_directory(path, error)) {
      items.push_back({path, prompt, stem_below(path.parent_path(), path)});
      continue;
    }
    std::vector<fs::path> found;
    auto add = [&](const fs::directory_entry& entry) {
      if (entry.is_regular_file() && is_image_file(entry.path())) found.push_back(entry.path());
    };
    if (recursive) {
      for (const auto& entry : fs::recursive_directory_iterator(path, fs::directory_options::skip_permission_denied))
        add(entry);
    } else {
      for (const auto& entry : fs::directory_iterator(path)) add(entry);
    }
    std::sort(found.begin(), found.end());
    for (const auto& file : found) items.push_back({file, prompt, stem_below(path, file)});
  }
  make_stems_unique(items);
  return items;
}

std::vector<SegmentItem> read_prompt_file(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw Error(path.string() + ": cannot open the prompt file");
  std::vector<SegmentItem> items;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path.string() + ":" + std::to_string(number);
    nlohmann::json record;
    try {
      record = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      throw Error(where + ": not valid JSON (" + e.what() + ")");
    }
    if (!record.is_object() || !record.contains("image") || !record["image"].is_string() ||
        !record.contains("prompt") || !record["prompt"].is_string())
      throw Error(where + ": expected {\"image\": \"...\", \"prompt\": \"...\"}");
    fs::path image = record["image"].get<std::string>();
    if (image.is_relative()) image = path.parent_path() / image;
    items.push_back({image, record["prompt"].get<std::string>(), stem_below(image.parent_path(), image)});
  }
  make_stems_unique(items);
  return items;
}

SegmentProgress run_segment(const pipeline::Engine& engine, std::vector<SegmentItem> items,
                            const SegmentOptions& options, const SegmentObserver& observer) {
  fs::create_directories(options.out_dir);
  const fs::path results = options.out_dir / "results.jsonl";
  SegmentProgress progress;
  if (options.resume) {
    const auto finished = finished_items(results);
    const auto before = items.size();
    items.erase(std::remove_if(items.begin(), items.end(),
                               [&](const SegmentItem& item) {
                                 return finished.count(item_key(item.image.string(), item.prompt)) > 0;
                               }),
                items.end());
    progress.skipped = before - items.size();
  } else {
    render::read_complete_lines(results);  // cut off a partial line an earlier killed run may have left
  }
  progress.total = items.size();

  // Three stages overlap across items: the next picture is read and decoded on a worker thread, this
  // thread has the engine answer (one question at a time), and the previous item's masks, overlays and
  // result line are written on another worker thread. Lines are appended in item order, each after
  // its files, so --resume sees the same results as before.
  image::ReadImageOptions read_options;
  read_options.max_pixels = options.max_pixels;
  const auto read_ahead = [&](const SegmentItem& item) {
    return std::async(std::launch::async, [&item, read_options] { return image::read_image(item.image, read_options); });
  };
  Pending pending;
  const auto finish_pending = [&] {
    if (!pending.item) return;
    const std::string error = pending.written.get();  // a failure to append the line propagates
    if (!error.empty()) ++progress.failed;
    ++progress.done;
    if (observer) observer(*pending.item, error, progress);
    pending = Pending();
  };

  pipeline::Context context(engine);
  std::future<image::Image> next_picture;
  if (!items.empty()) next_picture = read_ahead(items.front());
  for (size_t k = 0; k < items.size(); ++k) {
    const SegmentItem& item = items[k];
    std::future<image::Image> picture = std::move(next_picture);
    if (k + 1 < items.size()) next_picture = read_ahead(items[k + 1]);
    auto answered = std::make_shared<Answered>();
    std::string error;
    try {
      *answered = answer_item(context, item, picture.get(), options);
    } catch (const std::exception& e) {
      error = e.what();
    }
    finish_pending();
    pending.item = &item;
    pending.written = std::async(std::launch::async, [&item, &options, &results, answered, error] {
      std::string failure = error;
      nlohmann::ordered_json record;
      if (failure.empty()) {
        try {
          record = render_item(item, *answered, options);
        } catch (const std::exception& e) {
          failure = e.what();
        }
      }
      if (!failure.empty()) record = error_record(item, failure);
      render::append_line(results, record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      return failure;
    });
  }
  finish_pending();
  return progress;
}

}  // namespace lisa::workflow
