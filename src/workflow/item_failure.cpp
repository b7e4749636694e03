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
  } catch (const c10::Error& e) {
    // libtorch's CPU allocator reports a failed allocation as a plain c10::Error (an enforce), not as
    // OutOfMemoryError: "DefaultCPUAllocator: can't allocate memory: you tried to allocate N bytes".
    const std::string message = user_message(e);
    if (message.find("DefaultCPUAllocator") == std::string::npos) throw;
    return "out of memory: " + message;
  } catch (const std::bad_alloc& e) {
    return user_message(e);  // "out of memory"
  }
}

}  // namespace lisa::workflow
