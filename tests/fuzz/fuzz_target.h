#pragma once
// One fuzz target = one function over a byte string. The same source builds two ways:
// - with clang's libFuzzer (scripts/fuzz.sh, tests/fuzz/CMakeLists.txt): LISA_FUZZ_TARGET defines
//   LLVMFuzzerTestOneInput, one executable per target;
// - in the normal test binary (LISA_FUZZ_REPLAY): it registers the function under its name, and
//   tests/fuzz/test_fuzz_seeds.cpp runs every target once over its seed files (a smoke check that
//   the targets compile with the project's warnings and that the seeds are handled).
//
// The contract every target checks: bad input ends in lisa::Error (the user-error channel) or is
// accepted. Any other exception escapes the target and libFuzzer reports it as a crash, as it
// does for memory errors, undefined behaviour, leaks and timeouts.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "lisa/error.h"

namespace lisa::fuzz {

using TargetFunction = void (*)(const uint8_t* data, size_t size);

// Runs `body`, letting lisa::Error (a rejected input) end it quietly.
template <typename Body>
void rejecting_user_errors(Body&& body) {
  try {
    body();
  } catch (const lisa::Error&) {
  }
}

// `name` in a scratch folder private to this process (under $TMPDIR), holding exactly `data`.
// The readers under test take paths, as the engine gives them.
std::filesystem::path write_scratch_file(const std::string& name, const uint8_t* data, size_t size);

#ifdef LISA_FUZZ_REPLAY
bool register_target(const char* name, TargetFunction function);
#endif

}  // namespace lisa::fuzz

#ifdef LISA_FUZZ_REPLAY
#define LISA_FUZZ_TARGET(name)                                                                     \
  static void lisa_fuzz_##name(const uint8_t* data, size_t size);                                 \
  [[maybe_unused]] static const bool lisa_fuzz_##name##_registered =                              \
      ::lisa::fuzz::register_target(#name, &lisa_fuzz_##name);                                   \
  static void lisa_fuzz_##name(const uint8_t* data, size_t size)
#else
#define LISA_FUZZ_TARGET(name)                                                                     \
  static void lisa_fuzz_##name(const uint8_t* data, size_t size);                                 \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {                       \
    lisa_fuzz_##name(data, size);                                                                  \
    return 0;                                                                                      \
  }                                                                                                \
  static void lisa_fuzz_##name(const uint8_t* data, size_t size)
#endif
