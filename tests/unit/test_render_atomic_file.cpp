#include "lisa/render/atomic_file.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "lisa/error.h"
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

// Runs `work` in a child process and SIGKILLs it after `delay`.
template <typename Work>
void kill_while_running(std::chrono::microseconds delay, Work work) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    work();
    ::_exit(0);
  }
  std::this_thread::sleep_for(delay);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
}

TEST(AtomicFile, KilledWriterLeavesAWholeVersionOrNothing) {
  ScratchDir dir;
  const std::filesystem::path target = dir / "mask.png";
  for (int round = 0; round < 6; ++round) {
    kill_while_running(std::chrono::microseconds(2000 + 3000 * round), [&] {
      for (char fill = 'a';; fill = fill == 'z' ? 'a' : fill + 1) {
        write_file_atomically(target, std::string(4 << 20, fill));
      }
    });
    if (!std::filesystem::exists(target)) continue;
    const std::string content = read_bytes(target);
    ASSERT_EQ(content.size(), size_t{4} << 20);
    EXPECT_EQ(content.find_first_not_of(content[0]), std::string::npos);
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
  EXPECT_THROW(append_line(dir / "r.jsonl", "a\nb"), Error);
  EXPECT_THROW(append_line(dir / "missing" / "r.jsonl", "a"), Error);
}

// A SIGKILL can cut a large write() short (seen here with 16 MiB records on ext4: 4 MiB of one
// landed). Each round resumes numbering after the lines recovered so far, so a partial tail that
// survived recovery would merge with the next record and fail the per-line checks.
TEST(LineLog, KilledAppenderLeavesOnlyWholeLines) {
  ScratchDir dir;
  const std::filesystem::path log = dir / "results.jsonl";
  constexpr size_t kPayload = 4 << 20;
  for (int round = 0; round < 8; ++round) {
    const size_t before = read_complete_lines(log).size();
    kill_while_running(std::chrono::milliseconds(5 + 8 * round), [&] {
      for (size_t i = before;; ++i) {
        append_line(log, std::to_string(i) + ":" + std::string(kPayload, 'a' + i % 26));
      }
    });
    const std::vector<std::string> lines = read_complete_lines(log);
    ASSERT_GE(lines.size(), before);
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

}  // namespace
}  // namespace lisa::render
