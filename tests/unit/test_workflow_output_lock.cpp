// One run per output folder: the lock is exclusive across processes and names its holder.
#include "lisa/workflow/output_lock.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "lisa/error.h"
#include "test_render_support.h"

namespace lisa::workflow {
namespace {

using lisa::testing::read_bytes;
using lisa::testing::ScratchDir;

constexpr const char* kLockName = ".lisa-segment.lock";

TEST(OutputLock, CreatesTheFolderAndWritesThePid) {
  ScratchDir dir;
  const auto out = dir / "a" / "b";
  {
    const auto lock = OutputLock::acquire(out, kLockName);
    EXPECT_TRUE(std::filesystem::is_directory(out));
    EXPECT_EQ(read_bytes(out / kLockName), std::to_string(::getpid()) + "\n");
  }
  // Released with the object: the next run takes it (the file stays, with the old pid).
  const auto again = OutputLock::acquire(out, kLockName);
  EXPECT_EQ(again.dir(), out);
}

TEST(OutputLock, ASecondProcessIsRefusedWithTheHoldersPid) {
  ScratchDir dir;
  int ready[2], release[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(release), 0);
  const pid_t holder = ::fork();
  ASSERT_GE(holder, 0);
  if (holder == 0) {
    const auto lock = OutputLock::acquire(dir.path(), kLockName);
    char byte = 1;
    if (::write(ready[1], &byte, 1) != 1) ::_exit(2);
    if (::read(release[0], &byte, 1) != 1) ::_exit(3);
    ::_exit(0);
  }
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1) << "the holder could not lock";
  try {
    OutputLock::acquire(dir.path(), kLockName);
    ADD_FAILURE() << "a second lock was granted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pid " + std::to_string(holder)), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(dir.path().string()), std::string::npos) << e.what();
  }
  ASSERT_EQ(::write(release[1], &byte, 1), 1);
  int status = 0;
  ::waitpid(holder, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_NO_THROW(OutputLock::acquire(dir.path(), kLockName));  // the holder is gone
  for (int fd : {ready[0], ready[1], release[0], release[1]}) ::close(fd);
}

TEST(OutputLock, AFileInsteadOfAFolderIsNamed) {
  ScratchDir dir;
  std::ofstream(dir / "taken") << "x";
  try {
    OutputLock::acquire(dir / "taken", kLockName);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "taken").string() + ": the output folder is a file"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(read_bytes(dir / "taken"), "x");
  EXPECT_THROW(OutputLock::acquire(dir / "taken" / "below", kLockName), Error);
}

}  // namespace
}  // namespace lisa::workflow
