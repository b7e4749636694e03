#include "support/cli.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "support/golden.h"

namespace lisa::testing {

namespace fs = std::filesystem;

std::string golden_model_args() {
  return " -m " + golden_lisa_bin_dir().string() + " --vision-tower " + golden_clip_dir().string() +
         " --device cpu --threads 1";
}

CommandResult run_lisa(const std::string& args, const std::string& input) {
  const fs::path stdin_file = fs::temp_directory_path() / ("lisa_stdin_" + std::to_string(::getpid()));
  std::ofstream(stdin_file) << input;
  const std::string command = std::string(LISA_BINARY_PATH) + " " + args + " < " + stdin_file.string() + " 2>&1";
  CommandResult run;
  FILE* pipe = popen(command.c_str(), "r");
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) run.output.append(buffer, n);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  fs::remove(stdin_file);
  return run;
}

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("lisa_cli_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::vector<nlohmann::json> read_jsonl(const fs::path& path) {
  std::ifstream in(path);
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

cv::Mat read_mask(const fs::path& png) { return cv::imread(png.string(), cv::IMREAD_GRAYSCALE) > 0; }

double iou(const cv::Mat& a, const cv::Mat& b) {
  const double i = cv::countNonZero(a & b), u = cv::countNonZero(a | b);
  return u == 0 ? 1.0 : i / u;
}

}  // namespace lisa::testing
