#include "answer_job.h"

#include <new>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "base64.h"
#include "lisa/error.h"
#include "lisa/image/read_image.h"
#include "lisa/io/sha256.h"
#include "lisa/render/mask_image.h"
#include "lisa/workflow/answer_record.h"

namespace lisa::server {

namespace {

std::shared_ptr<PreparedImage> prepare_image(pipeline::Context& context, ImageCache& cache,
                                             const ServerOptions& options, const std::vector<uint8_t>& bytes,
                                             const std::string& key) {
  if (auto cached = cache.get(key)) return cached;
  image::ReadImageOptions read;
  read.max_pixels = options.max_pixels;
  image::Image picture = image::decode_image(bytes, "the uploaded image", read);
  cv::Mat rgb = cv::Mat(picture.height(), picture.width(), CV_8UC3, picture.data()).clone();
  return std::make_shared<PreparedImage>(PreparedImage{context.open(std::move(picture)), std::move(rgb)});
}

nlohmann::ordered_json answer_json(PreparedImage& prepared, const SegmentRequest& request, Job& job) {
  pipeline::Session& session = prepared.session;
  session.reset();
  for (const auto& turn : request.history)
    session.add_turn(turn.prompt, turn.token_ids ? session.answer_text(*turn.token_ids) : turn.text);
  pipeline::AskOptions ask;
  ask.max_new_tokens = request.max_new_tokens;
  ask.force_seg = request.force_seg;
  ask.stop_requested = [&job] { return job.should_stop(); };
  ask.on_text = [&job](const std::string& piece) {
    job.emit({JobEvent::Kind::kToken, nlohmann::json{{"text", piece}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
  };
  const pipeline::Answer answer = session.ask(request.prompt, ask);
  std::vector<cv::Mat> masks;
  nlohmann::ordered_json records = nlohmann::ordered_json::array();
  for (size_t i = 0; i < answer.masks.size(); ++i) {
    masks.push_back(render::mask_image(answer.masks[i].binary));
    records.push_back(workflow::mask_record(static_cast<int64_t>(i), masks.back(), answer.masks[i].score));
  }
  nlohmann::ordered_json record = workflow::answer_record(answer, std::move(records));
  if (request.overlay) record["overlay_png"] = base64_encode(overlay_png(prepared.rgb, masks));
  return record;
}

}  // namespace

void answer_job(pipeline::Context& context, ImageCache& cache, const ServerOptions& options, Job& job,
                Metrics& metrics) {
  const SegmentRequest& request = job.request();
  if (job.cancelled()) return job.fail(499, "the client went away");
  if (job.should_stop()) return job.fail(504, "the request waited longer than the server's timeout");
  try {
    const std::string key = io::sha256_hex(std::string_view(reinterpret_cast<const char*>(request.image.data()), request.image.size()));
    auto prepared = prepare_image(context, cache, options, request.image, key);
    const nlohmann::ordered_json record = answer_json(*prepared, request, job);
    cache.put(key, prepared, prepared->bytes());
    const auto& timings = record["timings_ms"];
    metrics.observe_segment(timings["total"].get<double>() / 1000, timings["decode_tokens"].get<int64_t>(),
                            timings["decode"].get<double>());
    job.emit({JobEvent::Kind::kDone, record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
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
