// `lisa inspect DIR [--json]`: what a checkpoint holds, per component, dtype and config.
#include <iostream>

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
  return [dir, json] {
    const std::filesystem::path path = std::filesystem::exists(*dir) ? std::filesystem::path(*dir) : io::resolve_model_dir(*dir);
    const auto checkpoint = io::Checkpoint::open(path);
    const auto summary =
        io::summarize_checkpoint(checkpoint, std::filesystem::is_directory(path) ? path : path.parent_path());
    if (*json) {
      auto out = io::summary_to_json(summary);
      out["path"] = path.string();
      std::cout << out.dump(2) << "\n";
    } else {
      std::cout << "checkpoint     " << path.string() << "\n" << io::render_summary(summary);
    }
    return 0;
  };
}
}  // namespace lisa::cli
