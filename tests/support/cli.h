#pragma once
// Running the `lisa` executable as users do, for the command tests (tests/parity/test_*_command.cpp).
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core/mat.hpp>

namespace lisa::testing {

struct CommandResult {
  int exit_code = -1;  // -1 when the process did not exit normally
  std::string output;  // stdout and stderr together
};

// " -m <golden tiny .bin checkpoint> --vision-tower <golden CLIP> --device cpu --threads 1"
std::string golden_model_args();

// Runs `lisa ARGS` through the shell with stdin from `input`, capturing stdout and stderr together.
CommandResult run_lisa(const std::string& args, const std::string& input = "");

// An empty directory under the system temporary directory, unique to this process and `name`.
std::filesystem::path fresh_dir(const std::string& name);

std::vector<nlohmann::json> read_jsonl(const std::filesystem::path& path);

// A mask file read back as a binary CV_8UC1 (nonzero = 255).
cv::Mat read_mask(const std::filesystem::path& png);

// Intersection over union of two binary masks (1 when both are empty).
double iou(const cv::Mat& a, const cv::Mat& b);

}  // namespace lisa::testing
