#include "answer_job.h"

#include <algorithm>
#include <new>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "base64.h"
#include "lisa/error.h"
#include "lisa/image/read_image.h"
#include "lisa/io/sha256.h"
#include "lisa/pipeline/batch.h"
#include "lisa/render/mask_image.h"
#include "lisa/workflow/answer_record.h"

namespace lisa::server {

namespace {

// The cached preparation of the picture, or a new one (always new without a cache).
std::shared_ptr<PreparedImage> prepare_image(pipeline::Context& context, ImageCache* cache,
                                             const ServerOptions& options, const std::vector<uint8_t>& bytes,
                                             const std::string& key) {
  if (cache)
    if (auto cached = cache->get(key)) return cached;
  image::ReadImageOptions read;
  read.max_pixels = options.max_pixels;
  image::Image picture = image::decode_image(bytes, "the uploaded image", read);
  cv::Mat rgb = cv::Mat(picture.height(), picture.width(), CV_8UC3, picture.data()).clone();
  return std::make_shared<PreparedImage>(PreparedImage{context.open(std::move(picture)), std::move(rgb)});
}

// Starts the job's conversation afresh: the history's turns, as the client sent them.
void replay_history(PreparedImage& prepared, const SegmentRequest& request) {
  pipeline::Session& session = prepared.session;
  session.reset();
  for (const auto& turn : request.history)
    session.add_turn(turn.prompt, turn.token_ids ? session.answer_text(*turn.token_ids) : turn.text);
}

pipeline::AskOptions ask_options(const SegmentRequest& request, Job& job) {
  pipeline::AskOptions ask;
  ask.max_new_tokens = request.max_new_tokens;
  ask.force_seg = request.force_seg;
  ask.stop_requested = [&job] { return job.should_stop(); };
  ask.on_text = [&job](const std::string& piece) {
    job.emit({JobEvent::Kind::kToken, nlohmann::json{{"text", piece}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
  };
  return ask;
}

std::string dump(const nlohmann::ordered_json& record) {
  return record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The answer's JSON (the results.jsonl record, and the overlay when asked for), counted in the
// metrics and emitted as the job's "done" event.
void complete(Job& job, const PreparedImage& prepared, const pipeline::Answer& answer, Metrics& metrics) {
  const SegmentRequest& request = job.request();
  std::vector<cv::Mat> masks;
  nlohmann::ordered_json records = nlohmann::ordered_json::array();
  for (size_t i = 0; i < answer.masks.size(); ++i) {
    masks.push_back(render::mask_image(answer.masks[i].binary));
    records.push_back(workflow::mask_record(static_cast<int64_t>(i), masks.back(), answer.masks[i].score));
  }
  nlohmann::ordered_json record = workflow::answer_record(answer, std::move(records));
  if (request.overlay) record["overlay_png"] = base64_encode(overlay_png(prepared.rgb, masks));
  const auto& timings = record["timings_ms"];
  metrics.observe_segment(timings["total"].get<double>() / 1000, timings["decode_tokens"].get<int64_t>(),
                          timings["decode"].get<double>());
  job.emit({JobEvent::Kind::kDone, dump(record)});
}

// Ends the job with the status its failure stands for (see answer_job).
void fail(Job& job, const std::exception_ptr& failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const pipeline::AskStopped&) {
    if (job.cancelled()) job.fail(499, "the client went away");
    else job.fail(504, "the answer took longer than the server's timeout");
  } catch (const Error& e) {
    job.fail(400, e.what());
  } catch (const std::bad_alloc& e) {
    job.fail(503, "out of memory: " + user_message(e));
  } catch (const std::exception& e) {
    job.fail(500, "internal error: " + user_message(e));
  }
}

// Whether the job is still worth starting; if not, it is ended (499 / 504).
bool still_wanted(Job& job) {
  if (job.cancelled()) job.fail(499, "the client went away");
  else if (job.should_stop()) job.fail(504, "the request waited longer than the server's timeout");
  else return true;
  return false;
}

std::string image_key(const SegmentRequest& request) {
  return io::sha256_hex(std::string_view(reinterpret_cast<const char*>(request.image.data()), request.image.size()));
}

}  // namespace

void answer_job(pipeline::Context& context, ImageCache& cache, const ServerOptions& options, Job& job,
                Metrics& metrics) {
  if (!still_wanted(job)) return;
  try {
    const SegmentRequest& request = job.request();
    const std::string key = image_key(request);
    auto prepared = prepare_image(context, &cache, options, request.image, key);
    replay_history(*prepared, request);
    const pipeline::Answer answer = prepared->session.ask(request.prompt, ask_options(request, job));
    cache.put(key, prepared, prepared->bytes());
    complete(job, *prepared, answer, metrics);
  } catch (...) {
    fail(job, std::current_exception());
  }
}

void answer_jobs(pipeline::Context& context, ImageCache& cache, const ServerOptions& options,
                 const std::vector<std::shared_ptr<Job>>& jobs, Metrics& metrics) {
  struct Asked {
    Job* job;
    std::string key;
    std::shared_ptr<PreparedImage> prepared;
  };
  std::vector<Asked> asked;
  std::vector<pipeline::BatchQuestion> questions;
  for (const auto& job : jobs) {
    if (!still_wanted(*job)) continue;
    try {
      const SegmentRequest& request = job->request();
      const std::string key = image_key(request);
      // A batch continues each session once: a second question about the same picture gets a
      // session of its own, prepared afresh.
      const bool repeated = std::any_of(asked.begin(), asked.end(), [&](const Asked& a) { return a.key == key; });
      auto prepared = prepare_image(context, repeated ? nullptr : &cache, options, request.image, key);
      replay_history(*prepared, request);
      asked.push_back({job.get(), key, prepared});
      questions.push_back({&prepared->session, request.prompt, ask_options(request, *job)});
    } catch (...) {
      fail(*job, std::current_exception());
    }
  }
  pipeline::BatchOptions batch;
  batch.max_kv_cache_bytes = options.max_kv_cache_mib << 20;
  const auto answers = context.ask_batch(questions, batch);
  for (size_t i = 0; i < asked.size(); ++i) {
    Job& job = *asked[i].job;
    try {
      if (answers[i].error) std::rethrow_exception(answers[i].error);
      cache.put(asked[i].key, asked[i].prepared, asked[i].prepared->bytes());
      complete(job, *asked[i].prepared, *answers[i].answer, metrics);
    } catch (...) {
      fail(job, std::current_exception());
    }
  }
}

cv::Vec3b mask_colour(size_t index) {
  static const cv::Vec3b kPalette[] = {{230, 25, 75},  {60, 180, 75},  {0, 130, 200}, {245, 130, 48},
                                       {145, 30, 180}, {70, 240, 240}, {240, 50, 230}, {210, 245, 60}};
  return kPalette[index % (sizeof(kPalette) / sizeof(kPalette[0]))];
}

std::string overlay_png(const cv::Mat& rgb, const std::vector<cv::Mat>& masks) {
  cv::Mat out = rgb.clone();
  for (size_t i = 0; i < masks.size(); ++i) {
    const cv::Vec3b colour = mask_colour(i);
    for (int y = 0; y < out.rows; ++y)
      for (int x = 0; x < out.cols; ++x)
        if (masks[i].at<uint8_t>(y, x)) {
          auto& pixel = out.at<cv::Vec3b>(y, x);
          for (int c = 0; c < 3; ++c) pixel[c] = static_cast<uint8_t>((pixel[c] + colour[c]) / 2);
        }
  }
  cv::Mat bgr;
  cv::cvtColor(out, bgr, cv::COLOR_RGB2BGR);
  std::vector<uint8_t> png;
  LISA_INTERNAL_ASSERT(cv::imencode(".png", bgr, png), "PNG encoding of the overlay failed");
  return std::string(png.begin(), png.end());
}

}  // namespace lisa::server
