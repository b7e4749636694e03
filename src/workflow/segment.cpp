#include "lisa/workflow/segment.h"

#include <algorithm>
#include <exception>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <utility>

#include "lisa/error.h"
#include "lisa/image/read_image.h"
#include "lisa/pipeline/batch.h"
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
  LISA_CHECK(!(fs::is_symlink(fs::symlink_status(path, error)) && !fs::exists(status)), path.string(),
             ": a symbolic link to a file that does not exist");
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

// --batch-size > 1: items a worker claimed answered together (pipeline/batch.h). Their pictures are read
// when the group is made; the whole group is answered when its first item is taken, and each item's
// answer (or failure) is then handed out in input order, so that the items are recorded as if
// answered one by one. A stop abandons the rest of the group: its writers remove their files.
class ItemGroup {
 public:
  ItemGroup(const std::vector<SegmentItem>& items, const std::vector<size_t>& indices, const fs::path& out_dir,
            const image::ReadImageOptions& read_options) {
    for (size_t i : indices) {
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

// One item as a worker hands it over to be recorded.
struct AnsweredItem {
  std::shared_ptr<ItemWriter> writer;  // null: dropped (a stop request, or the run ending early)
  std::optional<pipeline::Answer> answer;
  std::string error;       // the item's failure ("" when answered)
  std::exception_ptr bug;  // not an item's failure: stops the run when its turn comes
};

// Answers an item whose files go through `make_writer()`'s writer; never throws: a stop drops the
// item (its writer removes what it wrote), a user error is the item's failure, anything else a bug.
AnsweredItem settle(const std::function<std::shared_ptr<ItemWriter>()>& make_writer,
                    const std::function<pipeline::Answer(ItemWriter&)>& answer, const std::function<bool()>& stopping) {
  AnsweredItem answered;
  try {
    answered.writer = make_writer();
    if (stopping()) throw StopRequested();
    answered.answer = answer(*answered.writer);
  } catch (const StopRequested&) {
    return AnsweredItem{};
  } catch (...) {
    try {
      answered.error = item_failure(std::current_exception());
    } catch (...) {
      answered.bug = std::current_exception();
    }
  }
  return answered;
}

AnsweredItem answer_one(pipeline::Context& context, const SegmentItem& item, std::future<image::Image> picture,
                        const fs::path& out_dir, const SegmentOptions& options, const std::function<bool()>& stopping) {
  return settle([&] { return std::make_shared<ItemWriter>(item, out_dir); },
                [&](ItemWriter& writer) { return answer_item(context, item, picture.get(), options, writer, stopping); },
                stopping);
}

// What every worker goes by: when to stop (a stop request, or the recording ended), how pictures
// are read, and how it claims its next item (none once stopping).
struct WorkerRules {
  WorkerRules(const SegmentOptions& options, AnswerSlots<AnsweredItem>& slots) : slots_(slots) {
    stopping = [&options, &slots] { return (options.stop_requested && options.stop_requested()) || slots.closed(); };
    read_options.max_pixels = options.max_pixels;
  }
  std::optional<size_t> claim(bool wait) const {
    if (stopping()) slots_.close();
    return slots_.claim(wait);
  }

  std::function<bool()> stopping;
  image::ReadImageOptions read_options;

 private:
  AnswerSlots<AnsweredItem>& slots_;
};

// A worker: answers the items it claims with `engine` through its own Context, reading the next
// claimed picture while it answers. Every item it claims gets its slot filled.
void answer_items(const pipeline::Engine& engine, const std::vector<SegmentItem>& items, const fs::path& out_dir,
                  const SegmentOptions& options, AnswerSlots<AnsweredItem>& slots) {
  const WorkerRules rules(options, slots);
  const std::function<bool()>& stopping = rules.stopping;
  const image::ReadImageOptions& read_options = rules.read_options;
  const auto claim = [&rules](bool wait) { return rules.claim(wait); };
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

// A worker with --batch-size B > 1: claims up to B items (waiting for the first only, never while
// holding some, as answer_items) and answers them together; every item it claims gets its slot.
void answer_batches(const pipeline::Engine& engine, const std::vector<SegmentItem>& items, const fs::path& out_dir,
                    const SegmentOptions& options, AnswerSlots<AnsweredItem>& slots) {
  const WorkerRules rules(options, slots);
  const std::function<bool()>& stopping = rules.stopping;
  const image::ReadImageOptions& read_options = rules.read_options;
  const auto claim = [&rules](bool wait) { return rules.claim(wait); };
  std::vector<size_t> claimed;
  size_t filled = 0;
  try {
    pipeline::Context context(engine);
    for (auto first = claim(true); first; first = claim(true)) {
      claimed = {*first};
      filled = 0;
      while (claimed.size() < static_cast<size_t>(options.batch_size)) {
        const auto more = claim(false);
        if (!more) break;
        claimed.push_back(*more);
      }
      ItemGroup group(items, claimed, out_dir, read_options);
      for (; filled < claimed.size(); ++filled) {
        const size_t index = filled;
        slots.fill(claimed[index], settle([&] { return group.writer(index); },
                                          [&](ItemWriter&) { return group.take(index, context, options, stopping); },
                                          stopping));
      }
    }
  } catch (...) {  // not an item's failure: the run stops with it
    slots.fail(std::current_exception());
    for (; filled < claimed.size(); ++filled) slots.fill(claimed[filled], AnsweredItem{});
  }
}

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
  const size_t batch = static_cast<size_t>(std::max<int64_t>(1, options.batch_size));
  AnswerSlots<AnsweredItem> slots(items.size(), engines.size() * 2 * batch + 2);
  WorkerThreads<AnsweredItem> workers(slots);
  for (const pipeline::Engine* engine : engines)
    workers.start([&slots, &items, &out_dir, &options, engine, batch] {
      if (batch > 1)
        answer_batches(*engine, items, out_dir, options, slots);
      else
        answer_items(*engine, items, out_dir, options, slots);
    });
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
