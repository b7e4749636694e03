#include "lisa/workflow/segment.h"

#include <algorithm>
#include <exception>
#include <future>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "lisa/error.h"
#include "lisa/image/read_image.h"
#include "lisa/pipeline/batch.h"
#include "lisa/pipeline/context.h"
#include "lisa/pipeline/session.h"
#include "lisa/render/atomic_file.h"
#include "item_failure.h"
#include "segment_item_writer.h"

namespace lisa::workflow {

namespace fs = std::filesystem;

namespace {

std::string item_key(const std::string& image, const std::string& prompt) { return image + '\n' + prompt; }

// Per item (image, prompt): whether its last line in results.jsonl is a success.
std::map<std::string, bool> last_outcomes(const std::vector<std::string>& lines, const fs::path& results) {
  std::map<std::string, bool> succeeded;
  for (const auto& line : lines) {
    nlohmann::json record;
    try {
      record = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      throw Error(results.string() + ": not a JSON line: " + line.substr(0, 80));
    }
    LISA_CHECK(record.is_object(), results.string(), ": not a result line: ", line.substr(0, 80));
    succeeded[item_key(record.value("image", ""), record.value("prompt", ""))] = !record.contains("error");
  }
  return succeeded;
}

std::vector<fs::path> remove_stale_temporaries(const fs::path& dir) {
  std::vector<fs::path> removed;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!render::is_temporary_file_name(entry.path().filename().string())) continue;
    std::error_code error;
    fs::remove(entry.path(), error);
    LISA_CHECK(!error, "cannot remove the stale temporary file ", entry.path().string(), ": ", error.message());
    removed.push_back(entry.path());
  }
  return removed;
}

// Thrown from the engine's callbacks when a stop is requested: abandons the item being answered.
struct StopRequested {};

std::string json_line(const nlohmann::ordered_json& record) {
  return record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// A name that looks like a picture but is not a file (found by name in a scanned folder) fails here
// with its own message; read_image reports everything else about the file.
image::Image read_picture(const fs::path& path, const image::ReadImageOptions& options) {
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (fs::is_symlink(fs::symlink_status(path, error)) && !fs::exists(status))
    throw Error(path.string() + ": a symbolic link to a file that does not exist");
  LISA_CHECK(!fs::exists(status) || fs::is_regular_file(status), path.string(),
             fs::is_directory(status) ? ": a folder, not an image file" : ": not a regular file");
  return image::read_image(path, options);
}

pipeline::AskOptions ask_options(const SegmentOptions& options, ItemWriter& writer,
                                 const std::function<bool()>& stopping) {
  pipeline::AskOptions ask;
  ask.max_new_tokens = options.max_new_tokens;
  ask.force_seg = options.force_seg;
  ask.on_text = [&stopping](const std::string&) {
    if (stopping()) throw StopRequested();
  };
  ask.masks.chunk_size = options.mask_chunk;
  ask.masks.on_chunk = [&writer, &stopping](int64_t first_index, std::vector<pipeline::SegMask>& chunk) {
    writer.write_chunk(first_index, std::move(chunk));
    if (stopping()) throw StopRequested();
  };
  return ask;
}

pipeline::Answer answer_item(pipeline::Context& context, const SegmentItem& item, image::Image picture,
                             const SegmentOptions& options, ItemWriter& writer,
                             const std::function<bool()>& stopping) {
  writer.set_picture(cv::Mat(picture.height(), picture.width(), CV_8UC3, picture.data()).clone());
  auto session = context.open(std::move(picture));
  return session.ask(item.prompt, ask_options(options, writer, stopping));
}

// --batch-size > 1: consecutive items answered together (pipeline/batch.h). Their pictures are read
// when the group is made; the whole group is answered when its first item is taken, and each item's
// answer (or failure) is then handed out in input order, so that the items are recorded as if
// answered one by one. A stop abandons the rest of the group: its writers remove their files.
class ItemGroup {
 public:
  ItemGroup(const std::vector<SegmentItem>& items, size_t first, size_t count, const fs::path& out_dir,
            const image::ReadImageOptions& read_options) {
    for (size_t i = first; i < first + count; ++i) {
      const SegmentItem& item = items[i];
      pictures_.push_back(
          std::async(std::launch::async, [&item, read_options] { return read_picture(item.image, read_options); }));
      writers_.push_back(std::make_shared<ItemWriter>(item, out_dir));
      prompts_.push_back(item.prompt);
    }
  }
  std::shared_ptr<ItemWriter> writer(size_t index) const { return writers_[index]; }
  // Item `index`'s answer; rethrows its failure.
  pipeline::Answer take(size_t index, pipeline::Context& context, const SegmentOptions& options,
                        const std::function<bool()>& stopping) {
    if (answers_.empty()) answer(context, options, stopping);
    pipeline::BatchAnswer& answer = answers_[index];
    if (answer.error) std::rethrow_exception(answer.error);
    return std::move(*answer.answer);
  }

 private:
  void answer(pipeline::Context& context, const SegmentOptions& options, const std::function<bool()>& stopping) {
    answers_.resize(writers_.size());
    std::vector<pipeline::Session> sessions;
    sessions.reserve(writers_.size());  // the questions point at them
    std::vector<pipeline::BatchQuestion> questions;
    std::vector<size_t> asked;
    for (size_t i = 0; i < writers_.size(); ++i) {
      try {
        image::Image picture = pictures_[i].get();
        writers_[i]->set_picture(cv::Mat(picture.height(), picture.width(), CV_8UC3, picture.data()).clone());
        sessions.push_back(context.open(std::move(picture)));
        questions.push_back({&sessions.back(), prompts_[i], ask_options(options, *writers_[i], stopping)});
        asked.push_back(i);
      } catch (...) {
        answers_[i].error = std::current_exception();
      }
    }
    pipeline::BatchOptions batch;
    batch.max_kv_cache_bytes = options.max_kv_cache_mib << 20;
    try {
      auto answers = context.ask_batch(questions, batch);
      for (size_t j = 0; j < asked.size(); ++j) answers_[asked[j]] = std::move(answers[j]);
    } catch (...) {  // the batch as a whole failed: each of its items did
      for (size_t i : asked) answers_[i].error = std::current_exception();
    }
  }

  std::vector<std::future<image::Image>> pictures_;
  std::vector<std::shared_ptr<ItemWriter>> writers_;
  std::vector<std::string> prompts_;
  std::vector<pipeline::BatchAnswer> answers_;  // per item, once answered
};

// Records one item: its line after its files, or, when anything failed, an error line after its
// files were removed. Returns the error ("" on success). Throws when not even the error line can
// be appended: the run must stop rather than lose the item.
std::string record_item(ItemWriter& writer, const SegmentItem& item, const fs::path& results,
                        const std::optional<pipeline::Answer>& answer, std::string error) {
  if (error.empty()) {
    try {
      writer.wait();
      render::append_line(results, json_line(writer.record(*answer)));
      writer.commit();
      return error;
    } catch (...) {
      error = item_failure(std::current_exception());
    }
  }
  writer.roll_back();
  try {
    render::append_line(results, json_line({{"image", item.image.string()}, {"prompt", item.prompt}, {"error", error}}));
  } catch (const Error& e) {
    throw Error(detail::concat(item.image.string(), " failed (", error, ") and not even that could be recorded: ",
                               e.what(), ". The run stops here; run it again with --resume when this is fixed"));
  }
  return error;
}

}  // namespace

SegmentPlan plan_segment(std::vector<SegmentItem> items, const SegmentOptions& options) {
  SegmentPlan plan{OutputLock::acquire(options.out_dir, kSegmentLock), {}, 0, 0, {}};
  const fs::path results = options.out_dir / kSegmentResults;
  // Also cuts off a partial line an earlier killed run may have left.
  const std::vector<std::string> lines = render::read_complete_lines(results);
  if (!options.resume) {
    plan.items = std::move(items);
    return plan;
  }
  const auto succeeded = last_outcomes(lines, results);
  for (auto& item : items) {
    const auto outcome = succeeded.find(item_key(item.image.string(), item.prompt));
    if (outcome != succeeded.end() && outcome->second) {
      ++plan.already_done;
      continue;
    }
    if (outcome != succeeded.end()) ++plan.retried;
    plan.items.push_back(std::move(item));
  }
  plan.removed_temporaries = remove_stale_temporaries(options.out_dir);
  return plan;
}

SegmentProgress run_segment(const pipeline::Engine& engine, const SegmentPlan& plan, const SegmentOptions& options,
                            const SegmentObserver& observer) {
  const fs::path& out_dir = plan.lock.dir();
  const fs::path results = out_dir / kSegmentResults;
  const std::vector<SegmentItem>& items = plan.items;
  SegmentProgress progress;
  progress.total = items.size();
  progress.skipped = plan.already_done;
  const std::function<bool()> stopping = [&options] { return options.stop_requested && options.stop_requested(); };

  // Three stages overlap across items: the next picture is read and decoded on a worker thread, this
  // thread has the engine answer (one question at a time) while the item's mask chunks are written
  // on a worker thread, and the previous item's last chunk and result line are written on another.
  // Lines are appended in item order, each after its files, so --resume sees the same results as
  // before.
  image::ReadImageOptions read_options;
  read_options.max_pixels = options.max_pixels;
  const auto read_ahead = [&](const SegmentItem& item) {
    return std::async(std::launch::async, [&item, read_options] { return read_picture(item.image, read_options); });
  };
  const SegmentItem* pending_item = nullptr;
  std::future<std::string> pending;  // the error of pending_item, once recorded
  const auto finish_pending = [&] {
    if (!pending_item) return;
    const std::string error = pending.get();  // a failure to record the item propagates
    if (!error.empty()) ++progress.failed;
    ++progress.done;
    if (observer) observer(*pending_item, error, progress);
    pending_item = nullptr;
  };

  pipeline::Context context(engine);
  const size_t batch = static_cast<size_t>(std::max<int64_t>(1, options.batch_size));
  std::future<image::Image> next_picture;
  if (!items.empty() && batch == 1) next_picture = read_ahead(items.front());
  std::optional<ItemGroup> group;
  for (size_t k = 0; k < items.size() && !progress.stopped; ++k) {
    const SegmentItem& item = items[k];
    std::future<image::Image> picture;
    if (batch == 1) {
      picture = std::move(next_picture);
      if (k + 1 < items.size()) next_picture = read_ahead(items[k + 1]);
    } else if (k % batch == 0) {
      group.emplace(items, k, std::min(batch, items.size() - k), out_dir, read_options);
    }
    auto writer = batch == 1 ? std::make_shared<ItemWriter>(item, out_dir) : group->writer(k % batch);
    auto answer = std::make_shared<std::optional<pipeline::Answer>>();
    std::string error;
    try {
      if (stopping()) throw StopRequested();
      *answer = batch == 1 ? answer_item(context, item, picture.get(), options, *writer, stopping)
                           : group->take(k % batch, context, options, stopping);
    } catch (const StopRequested&) {
      progress.stopped = true;  // `writer` removes what the item wrote when it goes
      continue;
    } catch (...) {
      error = item_failure(std::current_exception());
    }
    finish_pending();
    pending_item = &item;
    pending = std::async(std::launch::async, [writer, &item, &results, answer, error] {
      return record_item(*writer, item, results, *answer, error);
    });
  }
  finish_pending();
  return progress;
}

}  // namespace lisa::workflow
