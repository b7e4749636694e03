#pragma once
// `lisa ARGS` with a time limit, for the tests of inputs that once made it wait or spin forever
// (a FIFO, polygon points at +-2e9): such a regression then fails instead of hanging the suite.
#include <string>

#include "support/cli.h"

namespace lisa::testing {

// Runs `lisa ARGS` (stdin from /dev/null, stdout and stderr together), killed after `seconds`;
// exit_code is then 124.
CommandResult run_lisa_within(int seconds, const std::string& args);

}  // namespace lisa::testing
