#pragma once
// Which exceptions fail one item of a batch (and with what message), and which stop the run.
#include <exception>
#include <string>

namespace lisa::workflow {

// The message an item's failure is recorded with, as a user may read it (no backtrace): a user
// error (lisa::Error) gives its message, running out of memory (std::bad_alloc, libtorch's
// c10::OutOfMemoryError or its CPU allocator's failure) "out of memory: ...". Anything else is a bug and is rethrown from here,
// so that the run stops as an internal error instead of recording a bug as a bad input.
std::string item_failure(const std::exception_ptr& failure);

}  // namespace lisa::workflow
