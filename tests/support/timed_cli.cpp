#include "support/timed_cli.h"

#include <sys/wait.h>

#include <cstdio>

namespace lisa::testing {

CommandResult run_lisa_within(int seconds, const std::string& args) {
  const std::string command = "timeout -k 5 " + std::to_string(seconds) + " " + std::string(LISA_BINARY_PATH) + " " +
                              args + " </dev/null 2>&1";
  CommandResult run;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return run;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) run.output.append(buffer, n);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

}  // namespace lisa::testing
