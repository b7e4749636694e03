# Precompiled headers. Most translation units include ATen (through the public headers), and
# parsing ATen/ATen.h is most of their compile time: precompiling it once per target instead of
# once per file is what brings a fresh build under the time the README states.
#
#   -DLISA_PRECOMPILED_HEADERS=OFF   every file parses its own includes (checks that each file
#                                    includes what it uses, which a PCH build cannot see)
#
# With ccache, a PCH build needs CCACHE_SLOPPINESS=pch_defines,time_macros (scripts/setup.sh puts
# it in the compiler launcher), else every file that uses the PCH is a cache miss.
option(LISA_PRECOMPILED_HEADERS "Precompile the libtorch/ATen, OpenCV and JSON headers" ON)

set(LISA_PCH_HEADERS
  <ATen/ATen.h>
  <nlohmann/json.hpp>
  <opencv2/core.hpp>
  <filesystem> <map> <memory> <optional> <sstream> <string> <unordered_map> <vector>)

# `target` precompiles the common headers, plus any given after it.
function(lisa_precompile_headers target)
  if(LISA_PRECOMPILED_HEADERS)
    target_precompile_headers(${target} PRIVATE ${LISA_PCH_HEADERS} ${ARGN})
  endif()
endfunction()
