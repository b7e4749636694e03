#include "lisa/workflow/evaluate.h"

#include <algorithm>
#include <optional>

#include "lisa/error.h"
#include "lisa/eval/ground_truth.h"
#include "lisa/eval/reasonseg.h"
#include "lisa/eval/report.h"
#include "lisa/image/read_image.h"
#include "lisa/pipeline/batch.h"
#include "lisa/pipeline/context.h"
#include "lisa/pipeline/session.h"
#include "lisa/render/atomic_file.h"
#include "lisa/render/mask_files.h"
#include "lisa/render/mask_image.h"
#include "lisa/tokenizer/eval_prompt.h"
#include "lisa/workflow/shard_manifest.h"
#include "answer_slots.h"

namespace lisa::workflow {

namespace fs = std::filesystem;

EvalMode parse_eval_mode(const std::string& text) {
  if (text == "teacher-forced") return EvalMode::kTeacherForced;
  if (text == "generate") return EvalMode::kGenerate;
  throw Error(detail::concat("unknown eval mode '", text, "' (expected teacher-forced or generate)"));
}

std::string to_string(EvalMode mode) { return mode == EvalMode::kTeacherForced ? "teacher-forced" : "generate"; }

namespace {

// A sample whose files are read and whose session is open, before its question is answered.
struct PreparedSample {
  std::string text;  // the annotation's first query
  bool is_sentence = false;
  cv::Mat ground_truth;
  std::optional<pipeline::Session> session;
};

PreparedSample prepare_sample(pipeline::Context& context, const eval::ReasonSegSample& sample) {
  const auto annotation = eval::read_reasonseg_json(sample.json);
  LISA_CHECK(!annotation.texts.empty(), sample.json.string(), ": \"text\" is empty");
  auto picture = image::read_image(sample.image);
  PreparedSample prepared;
  prepared.text = annotation.texts.front();
  prepared.is_sentence = annotation.is_sentence;
  try {
    prepared.ground_truth = eval::rasterise_ground_truth(annotation, picture.height(), picture.width());
  } catch (const Error& e) {
    throw Error(detail::concat(sample.json.string(), ": ", e.what()));  // a bad polygon: name the file it is in
  }
  prepared.session.emplace(context.open(std::move(picture)));
  return prepared;
}

pipeline::AskOptions ask_options(const EvalOptions& options) {
  pipeline::AskOptions ask;
  ask.max_new_tokens = options.max_new_tokens;
  return ask;
}

eval::ImageResult score_sample(const eval::ReasonSegSample& sample, const PreparedSample& prepared,
                               const pipeline::Answer& answer, const EvalOptions& options) {
  eval::ImageResult result;
  result.image = sample.image.filename().string();
  result.is_sentence = prepared.is_sentence;
  result.n_seg = static_cast<int>(answer.masks.size());
  const cv::Mat prediction = answer.masks.empty() ? cv::Mat(prepared.ground_truth.size(), CV_8UC1, cv::Scalar(0))
                                                  : render::mask_image(answer.masks.front().binary);
  result.overlap = eval::overlap(prediction, prepared.ground_truth);
  if (options.save_masks)
    render::write_mask_png(options.out_dir / "masks", sample.image.stem().string(), 0, prediction);
  return result;
}

eval::ImageResult evaluate_sample(pipeline::Context& context, const eval::ReasonSegSample& sample,
                                  const EvalOptions& options) {
  const pipeline::Engine& engine = context.engine();
  PreparedSample prepared = prepare_sample(context, sample);
  pipeline::Answer answer;
  if (options.mode == EvalMode::kTeacherForced) {
    answer = prepared.session->teacher_forced(tokenizer::reason_seg_eval_prompt(
        engine.conversation_template(), prepared.text, prepared.is_sentence, engine.use_mm_start_end()));
  } else {
    answer = prepared.session->ask(tokenizer::reason_seg_question(prepared.text, prepared.is_sentence),
                                   ask_options(options));
  }
  return score_sample(sample, prepared, answer, options);
}

// What a worker hands the recording thread for one sample.
struct EvaluatedSample {
  bool settled = false;  // false: abandoned (its worker could not go on)
  std::optional<eval::ImageResult> result;
  std::string error;  // the sample's user error, when it has no result
};

// Generate mode with --batch-size > 1: the samples `claimed` answered together (pipeline/batch.h);
// per sample its result or its user error, as evaluate_sample would give.
std::vector<EvaluatedSample> evaluate_group(pipeline::Context& context, const std::vector<eval::ReasonSegSample>& samples,
                                            const std::vector<size_t>& claimed, const EvalOptions& options) {
  std::vector<EvaluatedSample> evaluated(claimed.size());
  std::vector<PreparedSample> prepared(claimed.size());  // not resized again: the questions point in
  std::vector<pipeline::BatchQuestion> questions;
  std::vector<size_t> asked;
  for (size_t i = 0; i < claimed.size(); ++i) {
    evaluated[i].settled = true;
    try {
      prepared[i] = prepare_sample(context, samples[claimed[i]]);
      questions.push_back({&*prepared[i].session,
                           tokenizer::reason_seg_question(prepared[i].text, prepared[i].is_sentence),
                           ask_options(options)});
      asked.push_back(i);
    } catch (const Error& e) {
      evaluated[i].error = e.what();
    }
  }
  pipeline::BatchOptions batch;
  batch.max_kv_cache_bytes = options.max_kv_cache_mib << 20;
  const auto answers = context.ask_batch(questions, batch);
  for (size_t j = 0; j < asked.size(); ++j) {
    const size_t i = asked[j];
    try {
      if (answers[j].error) std::rethrow_exception(answers[j].error);
      evaluated[i].result = score_sample(samples[claimed[i]], prepared[i], *answers[j].answer, options);
    } catch (const Error& e) {  // only user errors, as in evaluate_one
      evaluated[i].error = e.what();
    }
  }
  return evaluated;
}

EvaluatedSample evaluate_one(pipeline::Context& context, const eval::ReasonSegSample& sample,
                             const EvalOptions& options) {
  EvaluatedSample evaluated;
  evaluated.settled = true;
  try {
    evaluated.result = evaluate_sample(context, sample, options);
  } catch (const Error& e) {  // only user errors; a broken internal contract stops the run
    evaluated.error = e.what();
  }
  return evaluated;
}

// A worker: evaluates the samples it claims with `engine` through its own Context, `batch` at a time
// (waiting for the first only, never while holding some: see AnswerSlots). Every sample it claims
// gets its slot filled; anything but a user error stops the run.
void evaluate_claimed(const pipeline::Engine& engine, const std::vector<eval::ReasonSegSample>& samples,
                      const EvalOptions& options, size_t batch, AnswerSlots<EvaluatedSample>& slots) {
  std::vector<size_t> claimed;
  size_t filled = 0;
  try {
    pipeline::Context context(engine);
    for (auto first = slots.claim(true); first; first = slots.claim(true)) {
      claimed = {*first};
      filled = 0;
      while (claimed.size() < batch) {
        const auto more = slots.claim(false);
        if (!more) break;
        claimed.push_back(*more);
      }
      std::vector<EvaluatedSample> evaluated;
      if (batch == 1)
        evaluated.push_back(evaluate_one(context, samples[claimed[0]], options));
      else
        evaluated = evaluate_group(context, samples, claimed, options);
      for (; filled < claimed.size(); ++filled) slots.fill(claimed[filled], std::move(evaluated[filled]));
    }
  } catch (...) {
    slots.fail(std::current_exception());
    for (; filled < claimed.size(); ++filled) slots.fill(claimed[filled], EvaluatedSample{});
  }
}

// Evaluates `samples` with one worker per engine; this thread appends each one's line to
// `results_file` in order. Per sample: its result, or nothing for a failed one.
std::vector<std::optional<eval::ImageResult>> evaluate_samples(const std::vector<const pipeline::Engine*>& engines,
                                                              const std::vector<eval::ReasonSegSample>& samples,
                                                              const EvalOptions& options, const fs::path& results_file,
                                                              const EvalObserver& observer) {
  // Batches only pay where answers are generated: a teacher-forced pass has no decoding loop.
  const size_t batch =
      options.mode == EvalMode::kGenerate ? static_cast<size_t>(std::max<int64_t>(1, options.batch_size)) : 1;
  AnswerSlots<EvaluatedSample> slots(samples.size(), engines.size() * 2 * batch + 2);
  WorkerThreads<EvaluatedSample> workers(slots);
  for (const pipeline::Engine* engine : engines)
    workers.start([engine, &samples, &options, batch, &slots] {
      evaluate_claimed(*engine, samples, options, batch, slots);
    });
  std::vector<std::optional<eval::ImageResult>> results;
  for (size_t k = 0; k < samples.size(); ++k) {
    EvaluatedSample evaluated = slots.take(k);
    if (!evaluated.settled) {
      if (const auto failure = slots.failure()) std::rethrow_exception(failure);
      LISA_INTERNAL_ASSERT(false, "sample ", k, " was abandoned without a failure");
    }
    const std::string image = samples[k].image.filename().string();
    render::append_line(results_file, evaluated.result ? eval::result_line(*evaluated.result)
                                                       : eval::error_line(image, evaluated.error));
    results.push_back(std::move(evaluated.result));
    if (observer) observer(image, evaluated.error, k + 1, samples.size());
  }
  return results;
}

ShardManifest plan_eval_manifest(const pipeline::Engine& engine, const std::vector<eval::ReasonSegSample>& samples,
                                 const EvalOptions& options) {
  std::vector<std::string> keys;
  for (const auto& sample : samples) keys.push_back(item_key(sample.image.filename().string(), ""));
  nlohmann::ordered_json arguments = options.result_arguments;
  arguments["mode"] = to_string(options.mode);
  arguments["conv_type"] = options.conv_type;
  arguments[kEvalReportModel] = engine.model_dir().string();
  return plan_manifest("eval", *options.shard, keys, std::move(arguments));
}

}  // namespace

EvalRun run_eval(const std::vector<const pipeline::Engine*>& engines, const EvalPlan& plan,
                 const EvalOptions& options, const EvalObserver& observer) {
  LISA_INTERNAL_ASSERT(!engines.empty(), "run_eval without an engine");
  const pipeline::Engine& engine = *engines.front();
  const fs::path results_file = options.out_dir / results_file_name(options.shard);
  if (!options.resume) fs::remove(results_file);  // not before: a model that fails to load loses nothing
  std::optional<ShardManifest> manifest;
  if (options.shard) {
    manifest = plan_eval_manifest(engine, plan.split, options);
    remove_manifest(options.out_dir, *options.shard);  // until this run has finished
  }
  const auto evaluated = evaluate_samples(engines, plan.to_do, options, results_file, observer);

  // The report is over the run's samples in split order, resumed or evaluated now.
  EvalRun run;
  size_t next = 0;
  for (const auto& sample : plan.samples) {
    const auto done = plan.already_done.find(sample.image.filename().string());
    if (done != plan.already_done.end()) {
      run.results.push_back(done->second);
      continue;
    }
    LISA_INTERNAL_ASSERT(next < plan.to_do.size() && plan.to_do[next].image == sample.image,
                         "the samples to do are not the run's samples in order");
    if (const auto& result = evaluated[next++])
      run.results.push_back(*result);
    else
      ++run.failed;
  }
  if (manifest) {
    manifest->ok = static_cast<int64_t>(run.results.size());
    manifest->failed = run.failed;
    write_manifest(options.out_dir, *manifest);
    return run;
  }
  eval::RunInfo info;
  info.mode = to_string(options.mode);
  info.conv_type = options.conv_type;
  info.model = engine.model_dir().string();
  info.failed = run.failed;
  eval::write_report(options.out_dir, run.results, info);
  return run;
}

}  // namespace lisa::workflow
