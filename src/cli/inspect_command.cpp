#include <iostream>

#include "commands.h"

namespace lisa::cli {
Action add_inspect_command(CLI::App& app) {
  auto* sub = app.add_subcommand("inspect", "Summarise a LISA checkpoint directory");
  auto dir = std::make_shared<std::string>();
  sub->add_option("DIR", *dir, "LISA checkpoint directory")->required();
  return [dir] {
    std::cerr << "lisa inspect: not implemented yet\n";
    return 2;
  };
}
}  // namespace lisa::cli
