#include "lisa/workflow/segment.h"

#include <exception>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <utility>

#include "lisa/error.h"
#include "lisa/image/read_image.h"
#include "lisa/pipeline/context.h"
#include "lisa/pipeline/session.h"
#include "lisa/render/atomic_file.h"
#include "answer_slots.h"
#include "item_failure.h"
#include "segment_item_writer.h"

namespace lisa::workflow {

namespace fs = std::filesystem;

namespace {

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

pipeline::Answer answer_item(pipeline::Context& context, const SegmentItem& item, image::Image picture,
                             const SegmentOptions& options, ItemWriter& writer,
                             const std::function<bool()>& stopping) {
  writer.set_picture(cv::Mat(picture.height(), picture.width(), CV_8UC3, picture.data()).clone());
  auto session = context.open(std::move(picture));
  pipeline::AskOptions ask;
  ask.max_new_tokens = options.max_new_tokens;
  ask.force_seg = options.force_seg;
  ask.on_text = [&](const std::string&) {
    if (stopping()) throw StopRequested();
  };
  ask.masks.chunk_size = options.mask_chunk;
  ask.masks.on_chunk = [&](int64_t first_index, std::vector<pipeline::SegMask>& chunk) {
    writer.write_chunk(first_index, std::move(chunk));
    if (stopping()) throw StopRequested();
  };
  return session.ask(item.prompt, ask);
}

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

// One item as a worker hands it over to be recorded.
struct AnsweredItem {
  std::shared_ptr<ItemWriter> writer;  // null: dropped (a stop request, or the run ending early)
  std::optional<pipeline::Answer> answer;
  std::string error;       // the item's failure ("" when answered)
  std::exception_ptr bug;  // not an item's failure: stops the run when its turn comes
};

// Answers one item; never throws.
AnsweredItem answer_one(pipeline::Context& context, const SegmentItem& item, std::future<image::Image> picture,
                        const fs::path& out_dir, const SegmentOptions& options, const std::function<bool()>& stopping) {
  AnsweredItem answered;
  try {
    answered.writer = std::make_shared<ItemWriter>(item, out_dir);
    if (stopping()) throw StopRequested();
    answered.answer = answer_item(context, item, picture.get(), options, *answered.writer, stopping);
  } catch (const StopRequested&) {
    return AnsweredItem{};  // the writer goes, removing what the item wrote
  } catch (...) {
    try {
      answered.error = item_failure(std::current_exception());
    } catch (...) {
      answered.bug = std::current_exception();
    }
  }
  return answered;
}

// A worker: answers the items it claims with `engine` through its own Context, reading the next
// claimed picture while it answers. Every item it claims gets its slot filled.
void answer_items(const pipeline::Engine& engine, const std::vector<SegmentItem>& items, const fs::path& out_dir,
                  const SegmentOptions& options, AnswerSlots<AnsweredItem>& slots) {
  const std::function<bool()> stopping = [&options, &slots] {
    return (options.stop_requested && options.stop_requested()) || slots.closed();
  };
  image::ReadImageOptions read_options;
  read_options.max_pixels = options.max_pixels;
  const auto claim = [&](bool wait) -> std::optional<size_t> {
    if (stopping()) slots.close();
    return slots.claim(wait);
  };
  const auto read_ahead = [&](size_t k) {
    return std::async(std::launch::async, [&items, k, read_options] { return read_picture(items[k].image, read_options); });
  };
  std::optional<size_t> current, next;
  try {
    pipeline::Context context(engine);
    current = claim(true);
    std::future<image::Image> picture, next_picture;
    if (current) picture = read_ahead(*current);
    while (current) {
      next = claim(false);  // read ahead when there is room; never wait while holding `current`
      if (next) next_picture = read_ahead(*next);
      AnsweredItem answered = answer_one(context, items[*current], std::move(picture), out_dir, options, stopping);
      slots.fill(*std::exchange(current, std::nullopt), std::move(answered));
      if (!next) {
        next = claim(true);
        if (next) next_picture = read_ahead(*next);
      }
      current = std::exchange(next, std::nullopt);
      picture = std::move(next_picture);
    }
  } catch (...) {  // not an item's failure (a thread that cannot start...): the run stops with it
    slots.fail(std::current_exception());
    for (const auto& claimed : {current, next})
      if (claimed) slots.fill(*claimed, AnsweredItem{});
  }
}

// The workers, joined when it goes (after closing the slots, so that they stop at once however
// the recording ends).
class WorkerThreads {
 public:
  explicit WorkerThreads(AnswerSlots<AnsweredItem>& slots) : slots_(slots) {}
  WorkerThreads(const WorkerThreads&) = delete;
  WorkerThreads& operator=(const WorkerThreads&) = delete;
  ~WorkerThreads() {
    slots_.close();
    for (auto& thread : threads_) thread.join();
  }
  template <typename Work>
  void start(Work work) {
    threads_.emplace_back(std::move(work));
  }

 private:
  AnswerSlots<AnsweredItem>& slots_;
  std::vector<std::thread> threads_;
};

}  // namespace

SegmentProgress run_segment(const pipeline::Engine& engine, const SegmentPlan& plan, const SegmentOptions& options,
                            const SegmentObserver& observer) {
  return run_segment(std::vector<const pipeline::Engine*>{&engine}, plan, options, observer);
}

SegmentProgress run_segment(const std::vector<const pipeline::Engine*>& engines, const SegmentPlan& plan,
                            const SegmentOptions& options, const SegmentObserver& observer) {
  LISA_INTERNAL_ASSERT(!engines.empty(), "run_segment without an engine");
  const fs::path& out_dir = plan.lock.dir();
  const fs::path results = out_dir / options.results_name;
  const std::vector<SegmentItem>& items = plan.items;
  SegmentProgress progress;
  progress.total = items.size();
  progress.skipped = plan.already_done;

  // Stages overlap across items: each worker (one per engine) reads and decodes the picture of the
  // item it claimed next while it answers the current one, whose mask chunks its ItemWriter writes
  // on another thread; this thread appends the result lines, in item order, each after its files,
  // so --resume sees the same results whatever the number of engines.
  AnswerSlots<AnsweredItem> slots(items.size(), 2 * engines.size() + 2);
  WorkerThreads workers(slots);
  for (const pipeline::Engine* engine : engines)
    workers.start([&slots, &items, &out_dir, &options, engine] { answer_items(*engine, items, out_dir, options, slots); });
  for (size_t k = 0; k < items.size(); ++k) {
    AnsweredItem answered = slots.take(k);
    if (answered.bug) std::rethrow_exception(answered.bug);
    if (!answered.writer) {  // dropped: a stop was requested, or a worker could not go on
      if (const auto failure = slots.failure()) std::rethrow_exception(failure);
      progress.stopped = true;
      break;
    }
    const std::string error = record_item(*answered.writer, items[k], results, answered.answer, answered.error);
    if (!error.empty()) ++progress.failed;
    ++progress.done;
    if (observer) observer(items[k], error, progress);
  }
  return progress;
}

}  // namespace lisa::workflow
