#include "support/background.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>

namespace lisa::testing {

pid_t start_lisa(const std::string& args, const std::filesystem::path& log) {
  const pid_t child = ::fork();
  if (child == 0) {
    const std::string command =
        "exec " + std::string(LISA_BINARY_PATH) + " " + args + " >" + log.string() + " 2>&1 </dev/null";
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return child;
}

int wait_exit_code(pid_t child) {
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

size_t complete_lines(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return static_cast<size_t>(std::count(std::istreambuf_iterator<char>(in), {}, '\n'));
}

}  // namespace lisa::testing
