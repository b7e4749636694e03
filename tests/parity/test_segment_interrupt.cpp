// `lisa segment` stopped from outside: SIGKILL then --resume, SIGINT/SIGTERM at random moments, and a
// second run into the same --out while the first one holds it.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "support/background.h"
#include "support/cli.h"
#include "support/file_bytes.h"
#include "support/golden.h"
#include "support/segment_output.h"

namespace {

namespace fs = std::filesystem;
using lisa::testing::CommandResult;
using lisa::testing::comparable_lines;
using lisa::testing::complete_lines;
using lisa::testing::start_lisa;
using lisa::testing::wait_for;
using lisa::testing::fresh_dir;
using lisa::testing::read_jsonl;
using lisa::testing::run_lisa;

constexpr size_t kPictures = 6;

// Six small pictures (copies of three), so that several are still to come when the first line
// appears (the next picture is already being answered while a line is written).
std::string segment_args(const fs::path& dir) {
  fs::create_directories(dir / "in");
  for (const char* copy : {"a_", "b_"})
    for (const char* name : {"astronaut_wide.jpg", "chelsea_small.png", "coins_strip.png"})
      fs::copy_file(lisa::testing::golden_root() / "images" / name, dir / "in" / (std::string(copy) + name),
                    fs::copy_options::skip_existing);
  return "segment" + lisa::testing::golden_model_args() + " --max-new-tokens 8 --force-seg --prompt \"the cat\" --images " +
         (dir / "in").string() + " -o ";
}

using lisa::testing::read_bytes;

// The lines of `results` are the first lines of `whole` (input order; nothing recorded twice).
void expect_prefix_of(const fs::path& results, const std::vector<nlohmann::json>& whole) {
  const auto lines = comparable_lines(results);
  ASSERT_LE(lines.size(), whole.size());
  for (size_t i = 0; i < lines.size(); ++i) EXPECT_EQ(lines[i], whole[i]) << "line " << i;
}

TEST(SegmentInterrupt, ResumeAfterSigkillGivesTheSameResultsAsAnUninterruptedRun) {
  const fs::path dir = fresh_dir("segment_resume");
  const std::string args = segment_args(dir);
  const CommandResult whole = run_lisa(args + (dir / "whole").string());
  ASSERT_EQ(whole.exit_code, 0) << whole.output;
  const auto whole_lines = comparable_lines(dir / "whole" / "results.jsonl");
  ASSERT_EQ(whole_lines.size(), kPictures);

  const fs::path killed = dir / "killed";
  const pid_t child = start_lisa(args + killed.string());
  // Kill it once the first item is recorded, in the middle of the run.
  const bool recorded = wait_for([&] { return complete_lines(killed / "results.jsonl") >= 1; });
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ASSERT_TRUE(recorded) << "no line within three minutes";
  const size_t at_kill = complete_lines(killed / "results.jsonl");
  ASSERT_GE(at_kill, 1u);
  ASSERT_LT(at_kill, kPictures) << "the run finished before it could be killed";
  expect_prefix_of(killed / "results.jsonl", whole_lines);

  const CommandResult resumed = run_lisa(args + killed.string() + " --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("resuming: " + std::to_string(at_kill) + " already done"), std::string::npos)
      << resumed.output;
  EXPECT_EQ(comparable_lines(killed / "results.jsonl"), whole_lines);  // same lines, same order
  for (const auto& entry : fs::directory_iterator(dir / "whole"))
    EXPECT_TRUE(fs::exists(killed / entry.path().filename())) << entry.path().filename();
  lisa::testing::expect_all_files_accounted_for(killed, "resumed after SIGKILL");
}

// SIGINT / SIGTERM at random moments of a run (after it took --out): it stops after the writes in
// flight with 130 / 143, leaving no temporary and no file that no line accounts for; what it
// recorded is the start of what an uninterrupted run records.
TEST(SegmentInterrupt, SignalsAtRandomMomentsLeaveNoTemporaryAndWholeItems) {
  const fs::path dir = fresh_dir("segment_signals");
  const std::string args = segment_args(dir);
  // The uninterrupted run, timed from the moment it holds --out to its exit: the span in which the
  // signals below must land (process start-up, slow under a sanitizer, does not count).
  const fs::path whole_dir = dir / "whole";
  const pid_t whole = start_lisa(args + whole_dir.string(), dir / "whole.log");
  const bool whole_locked =
      wait_for([&] { return read_bytes(whole_dir / ".lisa-segment.lock") == std::to_string(whole) + "\n"; });
  const auto locked_at = std::chrono::steady_clock::now();
  int whole_status = 0;
  ::waitpid(whole, &whole_status, 0);
  const auto run_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - locked_at);
  ASSERT_TRUE(whole_locked) << "the run did not take --out within three minutes";
  ASSERT_TRUE(WIFEXITED(whole_status) && WEXITSTATUS(whole_status) == 0) << read_bytes(dir / "whole.log");
  const auto whole_lines = comparable_lines(whole_dir / "results.jsonl");

  std::mt19937 random(20261201);
  int interrupted = 0;
  constexpr int kRounds = 6;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const int signal = round % 2 ? SIGTERM : SIGINT;
    const fs::path out = dir / ("out" + std::to_string(round));
    const pid_t child = start_lisa(args + out.string());
    // From the moment it holds --out (its handlers are set) to the middle of what follows.
    const bool locked = wait_for([&] { return read_bytes(out / ".lisa-segment.lock") == std::to_string(child) + "\n"; });
    const auto delay = std::uniform_int_distribution<int64_t>(0, run_ms.count() / 2)(random);
    if (locked) std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    ::kill(child, signal);
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(locked) << "the run did not take --out within three minutes";
    if (WIFSIGNALED(status)) {
      // The handlers live from before --out is taken until the command returns; a signal that still
      // ends the process came after that, while it exited (slow under a sanitizer's exit checks),
      // so everything must be recorded already.
      EXPECT_EQ(WTERMSIG(status), signal);
      EXPECT_EQ(comparable_lines(out / "results.jsonl"), whole_lines) << "ended by the signal before finishing";
    } else if (WEXITSTATUS(status) == 0) {
      EXPECT_EQ(comparable_lines(out / "results.jsonl"), whole_lines);  // it finished first
    } else {
      EXPECT_EQ(WEXITSTATUS(status), 128 + signal);
      ++interrupted;
      expect_prefix_of(out / "results.jsonl", whole_lines);
    }
    lisa::testing::expect_all_files_accounted_for(out, "after signal " + std::to_string(signal));
  }
  EXPECT_GE(interrupted, kRounds / 2) << "too few signals landed during the run to check anything";

  // And the last one resumes to the uninterrupted result.
  const fs::path last = dir / ("out" + std::to_string(kRounds - 1));
  const CommandResult resumed = run_lisa(args + last.string() + " --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(comparable_lines(last / "results.jsonl"), whole_lines);
}

TEST(SegmentInterrupt, ASecondRunIntoTheSameOutFailsAtOnceNamingTheFirst) {
  const fs::path dir = fresh_dir("segment_lock");
  const std::string args = segment_args(dir);
  const fs::path out = dir / "out";
  const pid_t first = start_lisa(args + out.string());
  const std::string holder = std::to_string(first) + "\n";
  const bool locked = wait_for([&] { return read_bytes(out / ".lisa-segment.lock") == holder; });
  const CommandResult second = locked ? run_lisa(args + out.string()) : CommandResult{};
  int status = 0;
  ::waitpid(first, &status, 0);
  ASSERT_TRUE(locked) << "the first run did not take --out within three minutes";
  EXPECT_EQ(second.exit_code, 1) << second.output;  // 0 would mean the first run was over already
  EXPECT_NE(second.output.find("in use by another run (pid " + std::to_string(first)), std::string::npos)
      << second.output;
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(read_jsonl(out / "results.jsonl").size(), kPictures);  // nothing twice
  EXPECT_EQ(read_bytes(out / ".lisa-segment.lock"), holder);
  lisa::testing::expect_all_files_accounted_for(out, "two runs");
}

}  // namespace
