#pragma once
// How the worker answers one job: decode the upload, find or prepare the image (cache), replay the
// history, ask, and build the answer with workflow::answer_record (the results.jsonl builder).
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "lisa/pipeline/context.h"
#include "lisa/pipeline/session.h"
#include "lisa/server/job.h"
#include "lisa/server/lru_cache.h"
#include "lisa/server/metrics.h"
#include "lisa/server/options.h"

namespace lisa::server {

// A prepared image: its session (CLIP rows, SAM embedding once computed) and its RGB picture.
struct PreparedImage {
  pipeline::Session session;
  cv::Mat rgb;  // [H, W, 3] CV_8UC3, for the overlay
  size_t bytes() const { return session.memory_bytes() + rgb.total() * rgb.elemSize(); }
};
using ImageCache = LruCache<PreparedImage>;

// Answers `job` through `context`, emitting its token events and then done or error (400 for a bad
// image or a conversation too long for the model, 504 past the deadline, 499 when cancelled, 500
// otherwise). Returns the answer's decode speed figures for the metrics through `metrics`.
void answer_job(pipeline::Context& context, ImageCache& cache, const ServerOptions& options, Job& job,
                Metrics& metrics);
// The same for jobs that waited together, answered as one batch (Context::ask_batch, KV caches
// bounded by options.max_kv_cache_mib): each gets the events and the answer it would get alone
// (ids equal; masks equal up to the last bits, pipeline/batch.h), and a client that leaves stops
// its own question only.
void answer_jobs(pipeline::Context& context, ImageCache& cache, const ServerOptions& options,
                 const std::vector<std::shared_ptr<Job>>& jobs, Metrics& metrics);

// [H, W, 3] RGB with every mask blended in its own colour (mask_colour(i)), as a PNG file's bytes.
std::string overlay_png(const cv::Mat& rgb, const std::vector<cv::Mat>& masks);
// The colour of mask i in overlays (and the page's): a fixed palette, repeated.
cv::Vec3b mask_colour(size_t index);

}  // namespace lisa::server
