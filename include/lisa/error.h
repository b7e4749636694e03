#pragma once
// Two error channels, as c10 has them (TORCH_CHECK vs TORCH_INTERNAL_ASSERT):
//
// - lisa::Error: something the user can fix (a bad file, option or input). The message says which
//   file / key / input is at fault and what is wrong with it, so the CLI prints it as is, and a
//   batch workflow records it as that item's failure and goes on. Raise it with LISA_CHECK.
// - lisa::InternalError: a broken internal contract, i.e. a bug in lisa-engine. It is never caught
//   per item: it stops the run with "internal error: <file>:<line>: <condition> ...". Raise it with
//   LISA_INTERNAL_ASSERT.
//
// Neither carries a backtrace; user_message() gives any exception's text without one.
#include <exception>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace lisa {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

class InternalError : public std::logic_error {
 public:
  explicit InternalError(const std::string& message) : std::logic_error(message) {}
};

namespace detail {

// Streams every argument into one string: LISA_CHECK(n > 0, path, ": ", n, " tensors").
template <typename... Parts>
std::string concat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

[[noreturn]] void fail_internal_assert(const char* file, int line, const char* condition, const std::string& detail);

}  // namespace detail

// The text of any exception as a user may see it: libtorch's errors (c10::Error) lose the C++
// backtrace they carry, an allocation failure says "out of memory".
std::string user_message(const std::exception& error);

}  // namespace lisa

// Throws lisa::Error(message built from the arguments) unless `condition` holds.
#define LISA_CHECK(condition, ...)                                                \
  do {                                                                            \
    if (!(condition)) throw ::lisa::Error(::lisa::detail::concat(__VA_ARGS__));  \
  } while (false)

// Throws lisa::InternalError naming the source line and the condition unless `condition` holds.
#define LISA_INTERNAL_ASSERT(condition, ...)                                                              \
  do {                                                                                                    \
    if (!(condition))                                                                                     \
      ::lisa::detail::fail_internal_assert(__FILE__, __LINE__, #condition, ::lisa::detail::concat(__VA_ARGS__)); \
  } while (false)
