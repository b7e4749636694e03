#include "lisa/workflow/evaluate.h"

#include "lisa/error.h"
#include "lisa/eval/ground_truth.h"
#include "lisa/eval/reasonseg.h"
#include "lisa/eval/report.h"
#include "lisa/image/read_image.h"
#include "lisa/pipeline/context.h"
#include "lisa/pipeline/session.h"
#include "lisa/render/atomic_file.h"
#include "lisa/render/mask_files.h"
#include "lisa/render/mask_image.h"
#include "lisa/tokenizer/eval_prompt.h"

namespace lisa::workflow {

namespace fs = std::filesystem;

EvalMode parse_eval_mode(const std::string& text) {
  if (text == "teacher-forced") return EvalMode::kTeacherForced;
  if (text == "generate") return EvalMode::kGenerate;
  throw Error("unknown eval mode '" + text + "' (expected teacher-forced or generate)");
}

std::string to_string(EvalMode mode) { return mode == EvalMode::kTeacherForced ? "teacher-forced" : "generate"; }

namespace {

eval::ImageResult evaluate_sample(pipeline::Context& context, const eval::ReasonSegSample& sample,
                                  const EvalOptions& options) {
  const pipeline::Engine& engine = context.engine();
  const auto annotation = eval::read_reasonseg_json(sample.json);
  if (annotation.texts.empty()) throw Error(sample.json.string() + ": \"text\" is empty");
  auto picture = image::read_image(sample.image);
  const cv::Mat ground_truth = eval::rasterise_ground_truth(annotation, picture.height(), picture.width());
  auto session = context.open(std::move(picture));

  pipeline::Answer answer;
  if (options.mode == EvalMode::kTeacherForced) {
    answer = session.teacher_forced(tokenizer::reason_seg_eval_prompt(
        engine.conversation_template(), annotation.texts.front(), annotation.is_sentence, engine.use_mm_start_end()));
  } else {
    pipeline::AskOptions ask;
    ask.max_new_tokens = options.max_new_tokens;
    answer = session.ask(tokenizer::reason_seg_question(annotation.texts.front(), annotation.is_sentence), ask);
  }

  eval::ImageResult result;
  result.image = sample.image.filename().string();
  result.is_sentence = annotation.is_sentence;
  result.n_seg = static_cast<int>(answer.masks.size());
  const cv::Mat prediction = answer.masks.empty() ? cv::Mat::zeros(ground_truth.size(), CV_8UC1)
                                                  : render::mask_image(answer.masks.front().binary);
  result.overlap = eval::overlap(prediction, ground_truth);
  if (options.save_masks)
    render::write_mask_png(options.out_dir / "masks", sample.image.stem().string(), 0, prediction);
  return result;
}

}  // namespace

std::vector<eval::ImageResult> run_eval(const pipeline::Engine& engine, const EvalOptions& options,
                                        const EvalObserver& observer) {
  auto samples = eval::list_reasonseg_split(options.data_dir);
  if (samples.empty()) throw Error(options.data_dir.string() + ": no *.jpg images in this ReasonSeg split folder");
  if (options.limit > 0 && static_cast<size_t>(options.limit) < samples.size()) samples.resize(options.limit);
  fs::create_directories(options.out_dir);
  if (options.save_masks) fs::create_directories(options.out_dir / "masks");
  const fs::path results_file = options.out_dir / "results.jsonl";
  fs::remove(results_file);

  std::vector<eval::ImageResult> results;
  pipeline::Context context(engine);
  for (const auto& sample : samples) {
    results.push_back(evaluate_sample(context, sample, options));
    render::append_line(results_file, eval::result_line(results.back()));
    if (observer) observer(results.back(), results.size(), samples.size());
  }
  eval::RunInfo info;
  info.mode = to_string(options.mode);
  info.conv_type = options.conv_type;
  info.model = engine.model_dir().string();
  eval::write_report(options.out_dir, results, info);
  return results;
}

}  // namespace lisa::workflow
