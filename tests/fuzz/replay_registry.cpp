// The registry of fuzz targets in the normal test binary (LISA_FUZZ_REPLAY, see fuzz_target.h).
#include "replay_registry.h"

namespace lisa::fuzz {

std::map<std::string, TargetFunction>& registered_targets() {
  static std::map<std::string, TargetFunction> targets;
  return targets;
}

bool register_target(const char* name, TargetFunction function) {
  LISA_INTERNAL_ASSERT(registered_targets().emplace(name, function).second, "fuzz target ", name, " defined twice");
  return true;
}

}  // namespace lisa::fuzz
