#include <signal.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <memory>

#include "lisa/error.h"
#include "lisa/io/checkpoint.h"
#include "lisa/io/hf_cache.h"
#include "lisa/io/json_file.h"
#include "lisa/io/mapped_pages.h"
#include "lisa/io/safetensors_writer.h"
#include "lisa/models/quantized_checkpoint.h"
#include "lisa/workflow/quantize.h"

namespace lisa::workflow {

namespace {

namespace fs = std::filesystem;

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The source's weights and their indexes: replaced by the files written here.
bool is_weights_file(const std::string& name) {
  for (const char* suffix : {".bin", ".safetensors", ".pt", ".pth", ".index.json"})
    if (ends_with(name, suffix)) return true;
  return false;
}

// The tensors to write, in the source's (sorted) order: the quantized ones as their stored form.
// Producers read (and quantize) a source tensor only when its bytes are due.
std::vector<io::TensorToWrite> plan_tensors(const io::Checkpoint& checkpoint, const QuantizeOptions& options,
                                            const QuantizeProgress& progress, QuantizeReport& report) {
  const models::QuantizationOptions& quantization = options.quantization;
  const std::function<bool()> stop_requested = options.stop_requested;
  std::vector<io::TensorToWrite> planned;
  const auto names = checkpoint.names();
  for (size_t index = 0; index < names.size(); ++index) {
    const std::string& name = names[index];
    const io::TensorInfo& info = checkpoint.info(name);
    report.tensors += 1;
    report.bytes_in += info.numel() * static_cast<int64_t>(c10::elementSize(info.dtype));
    auto announce = [progress, stop_requested, name, index, total = names.size()] {
      if (stop_requested && stop_requested()) throw QuantizeStopped();
      if (progress) progress(name, index, total);
    };
    const auto mode = models::stored_mode(name, quantization.mode);
    if (!mode) {
      planned.push_back({name, info.dtype, info.shape, [&checkpoint, name, announce] {
                           announce();
                           return checkpoint.load(name);
                         }});
      continue;
    }
    LISA_CHECK(info.shape.size() == 2 && at::isFloatingType(info.dtype), checkpoint.path().string(), ": tensor '",
               name, "' is ", at::toString(info.dtype), " ", at::IntArrayRef(info.shape),
               "; a linear layer's weight must be a 2-D floating-point matrix");
    report.quantized += 1;
    const auto stored = models::stored_tensors(name.substr(0, name.size() - std::string("weight").size()),
                                               info.shape[0], info.shape[1], *mode, quantization.group_size);
    // The stored tensors of one weight come from one quantization, made for the first and
    // released after the last.
    auto values = std::make_shared<std::vector<at::Tensor>>();
    for (size_t part = 0; part < stored.size(); ++part) {
      planned.push_back({stored[part].name, stored[part].dtype, stored[part].shape,
                         [&checkpoint, name, announce, values, part, last = part + 1 == stored.size(), mode = *mode,
                          group = quantization.group_size] {
                           if (values->empty()) {
                             announce();
                             const at::Tensor source = checkpoint.load(name);
                             *values = models::stored_values(models::quantize_weight(source, mode, group));
                             io::release_mapped_pages(source);
                           }
                           at::Tensor value = values->at(part);
                           if (last) values->clear();
                           return value;
                         }});
    }
  }
  return planned;
}

// Consecutive runs of tensors of at most `max_bytes` each (a larger tensor gets a file of its own).
std::vector<std::vector<io::TensorToWrite>> split_files(std::vector<io::TensorToWrite> tensors, int64_t max_bytes) {
  std::vector<std::vector<io::TensorToWrite>> files(1);
  int64_t bytes = 0;
  for (auto& tensor : tensors) {
    if (!files.back().empty() && bytes + tensor.nbytes() > max_bytes) {
      files.emplace_back();
      bytes = 0;
    }
    bytes += tensor.nbytes();
    files.back().push_back(std::move(tensor));
  }
  return files;
}

std::string file_name(size_t index, size_t count) {
  if (count == 1) return "model.safetensors";
  char name[64];
  std::snprintf(name, sizeof name, "model-%05zu-of-%05zu.safetensors", index + 1, count);
  return name;
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary);
  file << text;
  file.close();
  LISA_CHECK(file.good(), path.string(), ": cannot write");
}

// The source's other files (tokenizer, generation config...) as they are; config.json with the
// quantization entry added.
void copy_other_files(const fs::path& model_dir, const fs::path& out, const models::QuantizationOptions& quantization) {
  for (const auto& entry : fs::directory_iterator(model_dir)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || is_weights_file(name) || name == "config.json") continue;
    fs::copy_file(entry.path(), out / name);
  }
  nlohmann::json config = io::read_json_file(model_dir / "config.json");
  config["quantization"] = models::quantization_entry(quantization);
  write_text(out / "config.json", config.dump(2) + "\n");
}

// Removes a partly written output unless released.
class PartialOutput {
 public:
  explicit PartialOutput(fs::path path) : path_(std::move(path)) {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
    fs::create_directories(path_);
  }
  ~PartialOutput() {
    if (path_.empty()) return;
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  PartialOutput(const PartialOutput&) = delete;
  PartialOutput& operator=(const PartialOutput&) = delete;
  const fs::path& path() const { return path_; }
  void rename_to(const fs::path& out) {
    fs::rename(path_, out);
    path_.clear();
  }

 private:
  fs::path path_;
};

// The hidden folders PREFIX + PID in `dir` whose process no longer exists (a run killed outright):
// removed, and returned.
std::vector<fs::path> remove_partials_of_dead_runs(const fs::path& dir, const std::string& prefix) {
  std::vector<fs::path> removed;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0 || !entry.is_directory()) continue;
    const std::string digits = name.substr(prefix.size());
    if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(digits));
    if (::kill(pid, 0) == 0 || errno != ESRCH) continue;  // alive (or not ours to judge)
    fs::remove_all(entry.path());
    removed.push_back(entry.path());
  }
  return removed;
}

}  // namespace

void check_quantize_paths(const QuantizeOptions& options) {
  LISA_CHECK(options.quantization.mode != models::QuantMode::kNone, "--mode must be int8 or int4");
  options.quantization.validate();
  LISA_CHECK(!fs::exists(fs::symlink_status(options.out)), options.out.string(),
             ": already exists; lisa quantize writes a new folder (choose another --out, or remove it)");
  const fs::path model = io::resolve_model_dir(options.model.string());
  LISA_CHECK(fs::is_directory(model) && fs::is_regular_file(model / "config.json"), model.string(),
             ": not a checkpoint directory with a config.json");
}

namespace {

QuantizeReport write_quantized(const QuantizeOptions& options, const QuantizeProgress& progress) {
  check_quantize_paths(options);
  const fs::path model_dir = io::resolve_model_dir(options.model.string());
  const auto config_path = model_dir / "config.json";
  const auto stored = models::stored_quantization(io::read_json_file(config_path), config_path.string());
  LISA_CHECK(stored.mode == models::QuantMode::kNone, model_dir.string(), " is already quantized to ",
             models::to_string(stored.mode), "; quantize the original checkpoint instead");
  const auto checkpoint = io::Checkpoint::open(model_dir);

  QuantizeReport report;
  auto files = split_files(plan_tensors(checkpoint, options, progress, report), options.max_file_bytes);
  fs::path out = fs::absolute(options.out).lexically_normal();
  if (out.filename().empty()) out = out.parent_path();  // "dir/" names dir
  fs::create_directories(out.parent_path());
  const std::string partial_prefix = "." + out.filename().string() + ".partial-";
  report.removed_partials = remove_partials_of_dead_runs(out.parent_path(), partial_prefix);
  PartialOutput partial(out.parent_path() / (partial_prefix + std::to_string(::getpid())));
  nlohmann::json weight_map = nlohmann::json::object();
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string name = file_name(i, files.size());
    io::write_safetensors(partial.path() / name, files[i]);
    for (const auto& tensor : files[i]) {
      weight_map[tensor.name] = name;
      report.bytes_out += tensor.nbytes();
    }
    report.files.push_back(name);
    files[i].clear();  // releases the producers' references
  }
  if (files.size() > 1)
    write_text(partial.path() / "model.safetensors.index.json",
               nlohmann::json{{"metadata", {{"total_size", report.bytes_out}}}, {"weight_map", weight_map}}.dump(2) +
                   "\n");
  copy_other_files(model_dir, partial.path(), options.quantization);
  partial.rename_to(out);
  return report;
}

}  // namespace

QuantizeReport quantize_checkpoint(const QuantizeOptions& options, const QuantizeProgress& progress) {
  try {
    return write_quantized(options, progress);
  } catch (const fs::filesystem_error& e) {
    // A full disk or a folder without write permission: the user's to fix, named by the message.
    throw Error(detail::concat("lisa quantize: ", e.what()));
  }
}

}  // namespace lisa::workflow
