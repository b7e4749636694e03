# Sourced by setup.sh, sanitize.sh and fuzz.sh: the CMake arguments every build folder of the
# project is configured with (after setup.sh has installed the dependencies into .venv/).
#   lisa_cmake_args ROOT   fills the array LISA_CMAKE_COMMON
lisa_cmake_args() {
  local root="$1"
  local torch_prefix
  # torch.utils.cmake_prefix_path, found without importing torch (which takes seconds).
  torch_prefix="$("$root/.venv/bin/python" -c 'import importlib.util as u, os
print(os.path.join(u.find_spec("torch").submodule_search_locations[0], "share", "cmake"))')"
  LISA_CMAKE_COMMON=(-DCMAKE_PREFIX_PATH="$torch_prefix")
  if command -v ninja >/dev/null; then LISA_CMAKE_COMMON+=(-G Ninja); fi
  # ccache's settings for this project (shared across clones, precompiled headers) are set by
  # third_party/cmake/LisaCompilerCache.cmake, so a plain `cmake --build` gets them too.
  if command -v ccache >/dev/null; then LISA_CMAKE_COMMON+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
}
