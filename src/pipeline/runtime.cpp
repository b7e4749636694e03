#include "lisa/pipeline/runtime.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <thread>

#include "lisa/models/few_rows_linear.h"
#include "lisa/models/fp32_math.h"
#include "lisa/pipeline/cpu_block_cache.h"

namespace lisa::pipeline {

void set_up_runtime(const RuntimeOptions& options) {
  at::set_num_threads(options.threads > 0 ? options.threads
                                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  models::use_ieee_fp32(at::Device(at::kCUDA));
  reuse_large_cpu_blocks();
  models::set_few_rows_linear_enabled(options.few_rows_linear);
}

}  // namespace lisa::pipeline
