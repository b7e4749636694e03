#pragma once
// Each subcommand registers its options on the app and returns the action to run when chosen.
#include <CLI/CLI.hpp>

#include <functional>

namespace lisa::cli {

using Action = std::function<int()>;  // returns the process exit code

Action add_inspect_command(CLI::App& app);
Action add_chat_command(CLI::App& app);
Action add_segment_command(CLI::App& app);
Action add_eval_command(CLI::App& app);
Action add_bench_command(CLI::App& app);
Action add_merge_command(CLI::App& app);
Action add_quantize_command(CLI::App& app);
Action add_serve_command(CLI::App& app);

}  // namespace lisa::cli
