// Subcommands whose issues have not landed yet: they parse and explain, then stop.
#include <iostream>

#include "commands.h"

namespace lisa::cli {
namespace {
Action pending(CLI::App& app, const char* name, const char* description) {
  auto* sub = app.add_subcommand(name, description);
  sub->allow_extras();
  return [name] {
    std::cerr << "lisa " << name << ": not implemented yet\n";
    return 2;
  };
}
}  // namespace

Action add_chat_command(CLI::App& app) { return pending(app, "chat", "Interactive chat with segmentation on an image"); }
Action add_segment_command(CLI::App& app) { return pending(app, "segment", "Segment a batch of images with a prompt"); }
Action add_eval_command(CLI::App& app) { return pending(app, "eval", "Evaluate on a ReasonSeg split (gIoU / cIoU)"); }
Action add_bench_command(CLI::App& app) { return pending(app, "bench", "Benchmark every pipeline stage"); }

}  // namespace lisa::cli
