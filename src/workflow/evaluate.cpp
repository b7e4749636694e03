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

namespace lisa::workflow {

namespace fs = std::filesystem;

EvalMode parse_eval_mode(const std::string& text) {
  if (text == "teacher-forced") return EvalMode::kTeacherForced;
  if (text == "generate") return EvalMode::kGenerate;
  throw Error("unknown eval mode '" + text + "' (expected teacher-forced or generate)");
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
    throw Error(sample.json.string() + ": " + e.what());  // a bad polygon: name the file it is in
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
  const cv::Mat prediction = answer.masks.empty() ? cv::Mat::zeros(prepared.ground_truth.size(), CV_8UC1)
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

// Generate mode with --batch-size > 1: samples[first, first + count) answered together
// (pipeline/batch.h); per sample its result or its user error, as evaluate_sample would give.
void evaluate_group(pipeline::Context& context, const std::vector<eval::ReasonSegSample>& samples, size_t first,
                    const EvalOptions& options, std::vector<std::optional<eval::ImageResult>>& results,
                    std::vector<std::string>& errors) {
  std::vector<PreparedSample> prepared(results.size());  // not resized again: the questions point in
  std::vector<pipeline::BatchQuestion> questions;
  std::vector<size_t> asked;
  for (size_t i = 0; i < prepared.size(); ++i) {
    try {
      prepared[i] = prepare_sample(context, samples[first + i]);
      questions.push_back({&*prepared[i].session,
                           tokenizer::reason_seg_question(prepared[i].text, prepared[i].is_sentence),
                           ask_options(options)});
      asked.push_back(i);
    } catch (const Error& e) {
      errors[i] = e.what();
    }
  }
  pipeline::BatchOptions batch;
  batch.max_kv_cache_bytes = options.max_kv_cache_mib << 20;
  const auto answers = context.ask_batch(questions, batch);
  for (size_t j = 0; j < asked.size(); ++j) {
    const size_t i = asked[j];
    try {
      if (answers[j].error) std::rethrow_exception(answers[j].error);
      results[i] = score_sample(samples[first + i], prepared[i], *answers[j].answer, options);
    } catch (const Error& e) {  // only user errors, as in run_eval
      errors[i] = e.what();
    }
  }
}

void check_output_dir(const fs::path& out_dir) {
  LISA_CHECK(!fs::exists(out_dir) || fs::is_directory(out_dir), out_dir.string(),
             ": exists and is not a directory (--out names the folder to write into)");
}

void prepare_output_dir(const fs::path& out_dir) {
  check_output_dir(out_dir);
  std::error_code error;
  fs::create_directories(out_dir, error);
  LISA_CHECK(!error, out_dir.string(), ": cannot create the output folder (", error.message(), ")");
}

}  // namespace

void check_eval_paths(const EvalOptions& options) {
  LISA_CHECK(fs::is_directory(options.data_dir), options.data_dir.string(),
             ": not a directory (--data names a ReasonSeg split folder)");
  check_output_dir(options.out_dir);
}

namespace {

// The worker: evaluates `samples` in order, appending each one's line to `results_file`.
EvalRun evaluate_samples(const pipeline::Engine& engine, const std::vector<eval::ReasonSegSample>& samples,
                         const EvalOptions& options, const fs::path& results_file, const EvalObserver& observer) {
  EvalRun run;
  pipeline::Context context(engine);
  // Batches only pay where answers are generated: a teacher-forced pass has no decoding loop.
  const size_t batch =
      options.mode == EvalMode::kGenerate ? static_cast<size_t>(std::max<int64_t>(1, options.batch_size)) : 1;
  for (size_t first = 0; first < samples.size(); first += batch) {
    const size_t count = std::min(batch, samples.size() - first);
    std::vector<std::optional<eval::ImageResult>> results(count);
    std::vector<std::string> errors(count);
    if (batch == 1) {
      try {
        results[0] = evaluate_sample(context, samples[first], options);
      } catch (const Error& e) {  // only user errors; a broken internal contract stops the run
        errors[0] = e.what();
      }
    } else {
      evaluate_group(context, samples, first, options, results, errors);
    }
    for (size_t k = 0; k < count; ++k) {
      const std::string image = samples[first + k].image.filename().string();
      if (errors[k].empty()) {
        run.results.push_back(*results[k]);
        render::append_line(results_file, eval::result_line(run.results.back()));
      } else {
        ++run.failed;
        render::append_line(results_file, eval::error_line(image, errors[k]));
      }
      if (observer) observer(image, errors[k], first + k + 1, samples.size());
    }
  }
  return run;
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

EvalRun run_eval(const pipeline::Engine& engine, const EvalOptions& options, const EvalObserver& observer) {
  auto samples = eval::list_reasonseg_split(options.data_dir);
  if (samples.empty()) throw Error(options.data_dir.string() + ": no *.jpg images in this ReasonSeg split folder");
  if (options.limit > 0 && static_cast<size_t>(options.limit) < samples.size()) samples.resize(options.limit);
  prepare_output_dir(options.out_dir);
  if (options.save_masks) prepare_output_dir(options.out_dir / "masks");
  const fs::path results_file = options.out_dir / results_file_name(options.shard);
  fs::remove(results_file);

  if (options.shard) {
    ShardManifest manifest = plan_eval_manifest(engine, samples, options);
    remove_manifest(options.out_dir, *options.shard);
    EvalRun run = evaluate_samples(engine, select_shard(samples, *options.shard), options, results_file, observer);
    manifest.ok = static_cast<int64_t>(run.results.size());
    manifest.failed = run.failed;
    write_manifest(options.out_dir, manifest);
    return run;
  }
  EvalRun run = evaluate_samples(engine, samples, options, results_file, observer);
  eval::RunInfo info;
  info.mode = to_string(options.mode);
  info.conv_type = options.conv_type;
  info.model = engine.model_dir().string();
  info.failed = run.failed;
  eval::write_report(options.out_dir, run.results, info);
  return run;
}

}  // namespace lisa::workflow
