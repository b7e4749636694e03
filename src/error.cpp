#include "lisa/error.h"

#include <c10/util/Exception.h>

#include <new>

namespace lisa {

namespace detail {

void fail_internal_assert(const char* file, int line, const char* condition, const std::string& detail) {
  std::string message = concat(file, ":", line, ": ", condition, " does not hold");
  if (!detail.empty()) message += ": " + detail;
  throw InternalError(message);
}

}  // namespace detail

std::string user_message(const std::exception& error) {
  if (const auto* torch_error = dynamic_cast<const c10::Error*>(&error)) return torch_error->what_without_backtrace();
  if (dynamic_cast<const std::bad_alloc*>(&error)) return "out of memory";
  return error.what();
}

}  // namespace lisa
