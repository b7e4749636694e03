// Per item, a batch records user errors and running out of memory, without a backtrace; a bug stops it.
#include "workflow/item_failure.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <functional>
#include <new>
#include <stdexcept>

#include "lisa/error.h"

namespace lisa::workflow {
namespace {

std::string failure_of(const std::function<void()>& work) {
  try {
    work();
  } catch (...) {
    return item_failure(std::current_exception());
  }
  ADD_FAILURE() << "nothing was thrown";
  return "";
}

TEST(ItemFailure, AUserErrorGivesItsMessage) {
  EXPECT_EQ(failure_of([] { throw Error("x.jpg: not an image"); }), "x.jpg: not an image");
}

TEST(ItemFailure, RunningOutOfMemoryFailsTheItemWithoutABacktrace) {
  EXPECT_EQ(failure_of([] { throw std::bad_alloc(); }), "out of memory");
  // libtorch's CPU allocator failing (a c10::Error whose what() carries a C++ backtrace).
  const std::string message = failure_of([] { at::empty({int64_t{1} << 50}, at::kByte); });
  EXPECT_EQ(message.rfind("out of memory: ", 0), 0u) << message;
  EXPECT_EQ(message.find("Exception raised from"), std::string::npos) << message;
  EXPECT_EQ(message.find("frame #"), std::string::npos) << message;
}

TEST(ItemFailure, ABugIsNotAnItemFailure) {
  EXPECT_THROW(failure_of([] { LISA_INTERNAL_ASSERT(1 + 1 == 3, "arithmetic"); }), InternalError);
  EXPECT_THROW(failure_of([] { throw std::out_of_range("index"); }), std::out_of_range);
  // A libtorch error that is not about memory is a broken contract too (a shape we did not check).
  EXPECT_THROW(failure_of([] { at::ones({2}) + at::ones({3}); }), c10::Error);
}

}  // namespace
}  // namespace lisa::workflow
