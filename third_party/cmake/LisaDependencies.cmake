# Finds the installed dependencies and gathers them behind one interface target, lisa::deps.
# Nothing is downloaded here: scripts/setup.sh installs what is missing.

# libtorch: the one inside the pinned torch wheel of the project virtual environment
# (scripts/setup.sh passes its CMake prefix). A CUDA-enabled libtorch brings CUDA with it.
find_package(Torch REQUIRED)
# A CUDA-enabled libtorch (it defines the torch_cuda target) lets the engine use CUDA-only APIs
# (CUDA graphs of the decoding step); a CPU-only libtorch builds without them.
if(TARGET torch_cuda)
  set(LISA_WITH_CUDA ON)
else()
  set(LISA_WITH_CUDA OFF)
endif()
message(STATUS "lisa: CUDA-only code paths ${LISA_WITH_CUDA}")

# OpenCV: its CMake package when there is one (a full libopencv-dev, or the static build of
# scripts/device/build_deps.sh). Debian ships that package only in libopencv-dev, which depends on
# every OpenCV module (VTK, GDAL, Qt, GStreamer...: about 250 packages); scripts/setup.sh installs
# just the three modules used (about 60 packages) and they are found here by their files.
find_package(OpenCV QUIET COMPONENTS core imgproc imgcodecs)
if(NOT OpenCV_FOUND)
  find_path(LISA_OPENCV_INCLUDE_DIR opencv2/core.hpp PATH_SUFFIXES opencv4 REQUIRED)
  set(OpenCV_INCLUDE_DIRS ${LISA_OPENCV_INCLUDE_DIR})
  set(OpenCV_LIBS "")
  foreach(module core imgproc imgcodecs)
    find_library(LISA_OPENCV_${module}_LIBRARY opencv_${module} REQUIRED)
    list(APPEND OpenCV_LIBS ${LISA_OPENCV_${module}_LIBRARY})
  endforeach()
endif()
message(STATUS "OpenCV: ${OpenCV_LIBS}")
find_package(nlohmann_json 3.9 REQUIRED)
find_package(CLI11 REQUIRED)

# sentencepiece ships only pkg-config files. Debian's shared library exports the protobuf-lite
# it bundles, which can clash with the protobuf inside libtorch; a static build (see
# scripts/setup.sh) is preferred when LISA_SENTENCEPIECE_ROOT points at one.
set(LISA_SENTENCEPIECE_ROOT "" CACHE PATH "Prefix of a static sentencepiece build (optional)")
if(LISA_SENTENCEPIECE_ROOT)
  find_library(SENTENCEPIECE_LIBRARY NAMES libsentencepiece.a PATHS ${LISA_SENTENCEPIECE_ROOT}/lib NO_DEFAULT_PATH REQUIRED)
  find_path(SENTENCEPIECE_INCLUDE_DIR sentencepiece_processor.h PATHS ${LISA_SENTENCEPIECE_ROOT}/include NO_DEFAULT_PATH REQUIRED)
else()
  find_library(SENTENCEPIECE_LIBRARY NAMES sentencepiece REQUIRED)
  find_path(SENTENCEPIECE_INCLUDE_DIR sentencepiece_processor.h REQUIRED)
endif()
message(STATUS "sentencepiece: ${SENTENCEPIECE_LIBRARY}")

# OpenSSL's libcrypto, for SHA-256 (include/lisa/io/sha256.h).
find_package(OpenSSL REQUIRED COMPONENTS Crypto)
find_package(Threads REQUIRED)

# cpp-httplib, for `lisa serve` (Debian's libcpp-httplib-dev: a compiled library whose header must
# see the same CPPHTTPLIB_* definitions it was built with; its pkg-config file names them). Its flags
# go only to the files that include <httplib.h> (lisa_use_httplib): on every file they would change
# every compile line, and so the precompiled headers and every ccache entry.
find_package(PkgConfig REQUIRED)
pkg_check_modules(HTTPLIB REQUIRED cpp-httplib>=0.11)
message(STATUS "cpp-httplib: ${HTTPLIB_VERSION}")
function(lisa_use_httplib target)
  set_source_files_properties(${ARGN} TARGET_DIRECTORY ${target} PROPERTIES
    COMPILE_OPTIONS "${HTTPLIB_CFLAGS_OTHER}" INCLUDE_DIRECTORIES "${HTTPLIB_INCLUDE_DIRS}")
  target_link_libraries(${target} PRIVATE ${HTTPLIB_LINK_LIBRARIES})
endfunction()

add_library(lisa_deps INTERFACE)
add_library(lisa::deps ALIAS lisa_deps)
# SYSTEM: the dependencies' own warnings are not the project's (-Wall -Wextra -Wshadow, LisaWarnings).
target_include_directories(lisa_deps SYSTEM INTERFACE ${SENTENCEPIECE_INCLUDE_DIR} ${OpenCV_INCLUDE_DIRS})
# libstdc++ is named before libtorch: the torch wheel's libtorch.so exports its own copy of
# std::filesystem (built with another toolchain), and whichever library the dynamic linker meets
# first wins; libtorch's std::filesystem::remove_all crashes when called from our code.
# sentencepiece comes next, with its symbols hidden so its protobuf never meets libtorch's.
target_link_libraries(lisa_deps INTERFACE
  "-Wl,--push-state,--no-as-needed" stdc++ "-Wl,--pop-state"
  ${SENTENCEPIECE_LIBRARY} "-Wl,--exclude-libs,libsentencepiece.a"
  ${TORCH_LIBRARIES} ${OpenCV_LIBS} nlohmann_json::nlohmann_json OpenSSL::Crypto Threads::Threads)
target_compile_options(lisa_deps INTERFACE ${TORCH_CXX_FLAGS})
# at::parallel_for is inline in ATen's headers: in the torch wheels (ATen built with OpenMP) it is a
# `#pragma omp parallel`, which a file compiled without -fopenmp runs on one thread, silently. The
# wheel ships its own libgomp.so.1; with one soname the dynamic linker loads one runtime for libtorch
# and for us, so at::set_num_threads governs both. Clang would bring libomp, a second runtime: there
# our parallel_for loops stay serial (fuzzing builds only). So do they under ThreadSanitizer, which
# cannot see the synchronisation inside the uninstrumented libgomp and would report its barriers.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND NOT LISA_SANITIZE MATCHES "thread")
  target_compile_options(lisa_deps INTERFACE -fopenmp)
  target_link_options(lisa_deps INTERFACE -fopenmp)
endif()
if(LISA_WITH_CUDA)
  target_compile_definitions(lisa_deps INTERFACE LISA_WITH_CUDA=1)
endif()
