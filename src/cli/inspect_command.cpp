// `lisa inspect DIR [--json]`: what a checkpoint holds, per component, dtype and config.
#include <iostream>
#include <optional>

#include <ATen/Parallel.h>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "lisa/io/checkpoint.h"
#include "lisa/io/checkpoint_summary.h"
#include "lisa/io/hf_cache.h"

namespace lisa::cli {
Action add_inspect_command(CLI::App& app) {
  auto* sub = app.add_subcommand("inspect", "Summarise a LISA checkpoint directory");
  auto dir = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  sub->add_option("DIR", *dir, "Checkpoint directory, weights file, or Hugging Face id in the local cache")->required();
  sub->add_flag("--json", *json, "Print the summary as JSON");
  auto load = std::make_shared<bool>(false);
  sub->add_flag("--load", *load, "Also read every tensor into memory and report the time it took");
  return [dir, json, load] {
    const std::filesystem::path path = std::filesystem::exists(*dir) ? std::filesystem::path(*dir) : io::resolve_model_dir(*dir);
    const auto checkpoint = io::Checkpoint::open(path);
    const auto summary =
        io::summarize_checkpoint(checkpoint, std::filesystem::is_directory(path) ? path : path.parent_path());
    std::optional<io::LoadReport> loaded;
    if (*load) loaded = io::read_every_tensor(checkpoint);
    if (*json) {
      auto out = io::summary_to_json(summary);
      out["path"] = path.string();
      if (loaded)
        out["load"] = {{"tensors", loaded->tensors}, {"bytes", loaded->bytes}, {"seconds", loaded->seconds},
                       {"cpu_seconds", loaded->cpu_seconds}, {"threads", at::get_num_threads()}};
      std::cout << out.dump(2) << "\n";
    } else {
      std::cout << "checkpoint     " << path.string() << "\n" << io::render_summary(summary);
      if (loaded)
        std::cout << "\nloaded " << loaded->tensors << " tensors, " << loaded->bytes << " bytes in " << loaded->seconds
                  << " s (" << loaded->bytes / loaded->seconds / 1e9 << " GB/s; " << loaded->cpu_seconds
                  << " s of CPU on " << at::get_num_threads() << " threads)\n";
    }
    return 0;
  };
}
}  // namespace lisa::cli
