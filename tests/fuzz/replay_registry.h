#pragma once
// The fuzz targets compiled into the normal test binary, by name (see fuzz_target.h).
#include <map>
#include <string>

#include "fuzz_target.h"

namespace lisa::fuzz {

std::map<std::string, TargetFunction>& registered_targets();

}  // namespace lisa::fuzz
