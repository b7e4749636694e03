#include "lisa/pipeline/runtime.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <thread>

#include "lisa/models/decode_attention.h"
#include "lisa/models/few_rows_linear.h"
#include "lisa/models/fp32_math.h"
#include "lisa/pipeline/cpu_block_cache.h"

namespace lisa::pipeline {

int default_cpu_threads() {
  if (const char* env = std::getenv("OMP_NUM_THREADS")) {
    try {
      size_t used = 0;
      const int threads = std::stoi(env, &used);
      if (used == std::string(env).size() && threads > 0) return threads;
    } catch (const std::exception&) {  // not a number: every core, as below
    }
  }
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

void set_up_runtime(const RuntimeOptions& options) {
  at::set_num_threads(options.threads > 0 ? options.threads : default_cpu_threads());
  models::use_ieee_fp32(at::Device(at::kCUDA));
  reuse_large_cpu_blocks();
  models::set_few_rows_linear_enabled(options.few_rows_linear);
  models::set_decode_attention_enabled(options.decode_attention);
}

}  // namespace lisa::pipeline
