// The `lisa` executable: a thin front of the library. Errors surface here as one line on stderr.
#include <iostream>
#include <new>
#include <utility>
#include <vector>

#include "commands.h"
#include "lisa/error.h"
#include "lisa/pipeline/runtime.h"
#include "model_options.h"

int main(int argc, char** argv) {
  CLI::App app{"lisa: LISA reasoning segmentation (LLaVA + CLIP + SAM) in C++ / libtorch"};
  app.set_version_flag("--version", std::string("lisa ") + LISA_VERSION);
  app.require_subcommand(1);
  app.get_formatter()->column_width(34);

  std::vector<std::pair<CLI::App*, lisa::cli::Action>> commands;
  for (auto add : {lisa::cli::add_inspect_command, lisa::cli::add_chat_command, lisa::cli::add_segment_command,
                   lisa::cli::add_eval_command, lisa::cli::add_merge_command, lisa::cli::add_bench_command,
                   lisa::cli::add_quantize_command, lisa::cli::add_serve_command}) {
    const auto before = app.get_subcommands({}).size();
    auto action = add(app);
    commands.emplace_back(app.get_subcommands({}).at(before), std::move(action));
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; a bad command line is exit code 1, like any run that could not start.
    return app.exit(e) == 0 ? 0 : 1;
  }
  try {
    lisa::pipeline::set_up_runtime(lisa::cli::runtime_options());
    for (auto& [sub, action] : commands)
      if (sub->parsed()) return action();
  } catch (const lisa::Error& e) {
    std::cerr << "lisa: error: " << e.what() << "\n";
    return 1;
  } catch (const std::bad_alloc& e) {
    std::cerr << "lisa: error: " << lisa::user_message(e) << "\n";
    return 1;
  } catch (const std::exception& e) {
    // A bug (lisa::InternalError) or an error from a library that no check of ours foresaw: either
    // way one line, never a backtrace.
    std::cerr << "lisa: internal error: " << lisa::user_message(e) << "\n";
    return 1;
  }
  return 0;
}
