#include "item_failure.h"

#include <c10/util/Exception.h>

#include <new>

#include "lisa/error.h"

namespace lisa::workflow {

std::string item_failure(const std::exception_ptr& failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const Error& e) {
    return e.what();
  } catch (const c10::OutOfMemoryError& e) {
    return "out of memory: " + user_message(e);
  } catch (const std::bad_alloc& e) {
    return user_message(e);  // "out of memory"
  }
}

}  // namespace lisa::workflow
