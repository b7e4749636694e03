#include "lisa/render/atomic_file.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "lisa/error.h"
#include "support/tmpfs.h"
#include "test_render_support.h"

namespace lisa::render {
namespace {

using lisa::testing::read_bytes;
using lisa::testing::ScratchDir;
using lisa::testing::write_bytes;

size_t entries_in(const std::filesystem::path& dir) {
  return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(dir), {}));
}

TEST(AtomicFile, WritesAndReplacesWithoutLeavingTemporaries) {
  ScratchDir dir;
  write_file_atomically(dir / "out.png", "first");
  EXPECT_EQ(read_bytes(dir / "out.png"), "first");
  write_file_atomically(dir / "out.png", std::string("sec\0nd", 6));
  EXPECT_EQ(read_bytes(dir / "out.png"), std::string("sec\0nd", 6));
  write_file_atomically(dir / "empty", "");
  EXPECT_EQ(read_bytes(dir / "empty"), "");
  EXPECT_EQ(entries_in(dir.path()), 2u);
}

TEST(AtomicFile, FailureNamesTheFileAndKeepsTheOldContent) {
  ScratchDir dir;
  try {
    write_file_atomically(dir / "missing" / "out.png", "x");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("out.png"), std::string::npos) << e.what();
  }
  std::filesystem::create_directory(dir / "taken");  // a directory cannot be replaced by a file
  EXPECT_THROW(write_file_atomically(dir / "taken", "x"), Error);
  EXPECT_TRUE(std::filesystem::is_directory(dir / "taken"));
  EXPECT_EQ(entries_in(dir.path()), 1u);  // the temporary is gone
}

// Runs `work` in a child process; once `started()` holds (polled, for at most a minute) waits
// `delay` more and SIGKILLs it. Fails the test when `started()` never held: a kill that may have
// landed before anything was written checks nothing.
template <typename Work, typename Started>
void kill_once_started(std::chrono::microseconds delay, Work work, Started started) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    work();
    ::_exit(0);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  bool began = false;
  while (!(began = started()) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  if (began) std::this_thread::sleep_for(delay);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(began) << "the child wrote nothing within a minute";
  ASSERT_TRUE(WIFSIGNALED(status)) << "the child ended before the kill";
}

TEST(AtomicFile, KilledWriterLeavesAWholeVersionOrNothing) {
  ScratchDir dir;
  const std::filesystem::path target = dir / "mask.png";
  for (int round = 0; round < 6; ++round) {
    std::filesystem::remove(target);
    kill_once_started(std::chrono::microseconds(1000 * round), [&] {
      for (char fill = 'a';; fill = fill == 'z' ? 'a' : fill + 1) {
        write_file_atomically(target, std::string(4 << 20, fill));
      }
    }, [&] { return std::filesystem::exists(target); });
    const std::string content = read_bytes(target);  // written once before the kill, replaced whole since
    ASSERT_EQ(content.size(), size_t{4} << 20);
    EXPECT_EQ(content.find_first_not_of(content[0]), std::string::npos);
    // All that may be left besides it is a temporary of the naming pattern --resume removes.
    for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
      if (entry.path() == target) continue;
      EXPECT_TRUE(is_temporary_file_name(entry.path().filename().string())) << entry.path();
      std::filesystem::remove(entry.path());
    }
  }
}

TEST(AtomicFile, RecognisesExactlyItsTemporaryNames) {
  EXPECT_TRUE(is_temporary_file_name(".a_mask_0.png.tmp-4242-0"));
  EXPECT_TRUE(is_temporary_file_name(".results.jsonl.tmp-1-17"));
  EXPECT_TRUE(is_temporary_file_name("..tmp-1-2.tmp-3-4"));  // the file ".tmp-1-2"
  for (const char* other : {"a_mask_0.png", ".a.png.tmp-12", ".a.png.tmp-1-", ".a.png.tmp--2", ".a.png.tmp-x-2",
                            ".a.png.tmp-1-2x", "a.png.tmp-1-2", ".tmp-1-2", ".lisa-segment.lock", ""})
    EXPECT_FALSE(is_temporary_file_name(other)) << other;
}

TEST(AtomicFile, AFullDiskIsReportedAsSuchAndLeavesTheOldVersion) {
  ScratchDir dir;
  const std::filesystem::path target = dir / "mask.png";
  write_file_atomically(target, "old");
  for (long long room : {0LL, 1LL, 4095LL}) {
    SCOPED_TRACE(room);
    try {
      fault_injection::ScopedDiskFull full(room);
      write_file_atomically(target, std::string(8192, 'x'));
      FAIL() << "no error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("No space left on device"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("mask.png"), std::string::npos) << e.what();
    }
    EXPECT_EQ(read_bytes(target), "old");
    EXPECT_EQ(entries_in(dir.path()), 1u);  // no temporary left
  }
}

TEST(LineLog, ReadsCompleteLinesAndCutsAPartialTail) {
  ScratchDir dir;
  const std::filesystem::path log = dir / "results.jsonl";
  EXPECT_TRUE(read_complete_lines(log).empty());
  EXPECT_FALSE(std::filesystem::exists(log));
  write_bytes(log, "{\"a\":1}\n{\"b\":2}\n{\"c\":");
  EXPECT_EQ(read_complete_lines(log), (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}"}));
  EXPECT_EQ(read_bytes(log), "{\"a\":1}\n{\"b\":2}\n");
  append_line(log, "{\"d\":4}");
  EXPECT_EQ(read_bytes(log), "{\"a\":1}\n{\"b\":2}\n{\"d\":4}\n");
  write_bytes(log, "no newline at all");
  EXPECT_TRUE(read_complete_lines(log).empty());
  EXPECT_EQ(read_bytes(log), "");
  append_line(log, "");
  EXPECT_EQ(read_complete_lines(log), (std::vector<std::string>{""}));
}

TEST(LineLog, RejectsLineBreaksInARecord) {
  ScratchDir dir;
  EXPECT_THROW(append_line(dir / "r.jsonl", "a\nb"), InternalError);
  EXPECT_THROW(append_line(dir / "missing" / "r.jsonl", "a"), Error);
}

// A SIGKILL can cut a large write() short (seen here with 16 MiB records on ext4: 4 MiB of one
// landed). Each round resumes numbering after the lines recovered so far, so a partial tail that
// survived recovery would merge with the next record and fail the per-line checks. Every round
// kills the writer after it appended a line (so that there is something to check) and while it
// goes on appending.
TEST(LineLog, KilledAppenderLeavesOnlyWholeLines) {
  ScratchDir dir;
  const std::filesystem::path log = dir / "results.jsonl";
  constexpr size_t kPayload = 4 << 20;
  for (int round = 0; round < 8; ++round) {
    const size_t before = read_complete_lines(log).size();
    const uintmax_t size_before = std::filesystem::exists(log) ? std::filesystem::file_size(log) : 0;
    kill_once_started(std::chrono::microseconds(700 * round), [&] {
      for (size_t i = before;; ++i) {
        append_line(log, std::to_string(i) + ":" + std::string(kPayload, 'a' + i % 26));
      }
    }, [&] { return std::filesystem::exists(log) && std::filesystem::file_size(log) > size_before + kPayload; });
    const std::vector<std::string> lines = read_complete_lines(log);
    ASSERT_GT(lines.size(), before) << "round " << round;
    for (size_t i = 0; i < lines.size(); ++i) {
      const std::string prefix = std::to_string(i) + ":";
      ASSERT_EQ(lines[i].rfind(prefix, 0), 0u) << "line " << i;
      ASSERT_EQ(lines[i].size(), prefix.size() + kPayload) << "line " << i;
      ASSERT_EQ(lines[i].find_first_not_of(char('a' + i % 26), prefix.size()), std::string::npos);
    }
    const std::string bytes = read_bytes(log);
    EXPECT_TRUE(bytes.empty() || bytes.back() == '\n');
  }
}

// A line that does not fit is cut off again, and the error says why (not "only N of M bytes").
TEST(LineLog, AFullDiskNamesTheCauseAndLeavesNoPartialLine) {
  ScratchDir dir;
  const std::filesystem::path log = dir / "results.jsonl";
  append_line(log, "{\"first\":1}");
  const std::string line(1000, 'x');
  for (long long room : {0LL, 1LL, 500LL, 1000LL}) {  // 1000: all but the '\n'
    SCOPED_TRACE(room);
    try {
      fault_injection::ScopedDiskFull full(room);
      append_line(log, line);
      FAIL() << "no error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("No space left on device"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("results.jsonl"), std::string::npos) << e.what();
    }
    EXPECT_EQ(read_bytes(log), "{\"first\":1}\n");
  }
  append_line(log, line);  // room again
  EXPECT_EQ(read_complete_lines(log), (std::vector<std::string>{"{\"first\":1}", line}));
}

// The same on a real full file system (a 64 KiB tmpfs; mounting needs root, as CI has).
TEST(LineLog, ARealFullDiskNamesTheCauseAndLeavesOnlyWholeLines) {
  lisa::testing::ScopedTmpfs disk(64 << 10);
  if (disk.refused()) GTEST_SKIP() << disk.why_not();
  ASSERT_TRUE(disk.mounted()) << disk.why_not();
  const std::filesystem::path log = disk.path() / "results.jsonl";
  const std::string line(3000, 'y');
  size_t appended = 0;
  try {
    for (; appended < 100; ++appended) append_line(log, line);
    FAIL() << "300 KB fit into a 64 KiB file system";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("No space left on device"), std::string::npos) << e.what();
  }
  ASSERT_GT(appended, 0u);
  EXPECT_EQ(read_complete_lines(log).size(), appended);
  EXPECT_EQ(std::filesystem::file_size(log), appended * (line.size() + 1));
}

}  // namespace
}  // namespace lisa::render
