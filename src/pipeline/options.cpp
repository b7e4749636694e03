#include "lisa/pipeline/options.h"

#include <ATen/Context.h>

#include "lisa/error.h"

namespace lisa::pipeline {

Precision parse_precision(const std::string& text) {
  if (text == "fp32") return Precision::kFp32;
  if (text == "bf16") return Precision::kBf16;
  if (text == "fp16") return Precision::kFp16;
  throw Error(detail::concat("unknown precision '", text, "' (expected fp32, bf16 or fp16)"));
}

std::string to_string(Precision precision) {
  switch (precision) {
    case Precision::kFp32: return "fp32";
    case Precision::kBf16: return "bf16";
    case Precision::kFp16: return "fp16";
  }
  return "?";
}

at::ScalarType scalar_type(Precision precision) {
  switch (precision) {
    case Precision::kFp32: return at::kFloat;
    case Precision::kBf16: return at::kBFloat16;
    case Precision::kFp16: return at::kHalf;
  }
  return at::kFloat;
}

at::Device resolve_device(const std::string& text) {
  const bool cuda_available = at::hasCUDA();
  if (text == "auto") return cuda_available ? at::Device(at::kCUDA, 0) : at::Device(at::kCPU);
  if (text == "cpu") return at::kCPU;
  if (text.rfind("cuda", 0) == 0) {
    LISA_CHECK(cuda_available, "device '", text, "' asked for, but no CUDA device is available to this build of lisa");
    try {
      return at::Device(text);
    } catch (const std::exception&) {
      // at::Device's own message carries a backtrace; the user gets the choices instead.
    }
  }
  throw Error(detail::concat("invalid device '", text, "' (expected auto, cpu, cuda or cuda:N)"));
}

}  // namespace lisa::pipeline
