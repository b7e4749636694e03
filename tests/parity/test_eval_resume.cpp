// `lisa eval --resume`, `--devices` and the output lock as users meet them: a killed or partly
// failed run, resumed, must leave the files one uninterrupted run writes; several engines must
// write what one writes; a second run into a busy --out must be refused before it writes anything.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "lisa/workflow/output_lock.h"
#include "support/background.h"
#include "support/cli.h"
#include "support/file_bytes.h"
#include "support/golden.h"

namespace {

namespace fs = std::filesystem;
using namespace lisa::testing;  // the helpers for running `lisa` (support/)

constexpr size_t kImages = 3;

using lisa::testing::read_bytes;

std::string eval_args() {
  return "eval" + golden_model_args() + " --limit " + std::to_string(kImages) + " --data " +
         (golden_root() / "reasonseg" / "val").string();
}

// One uninterrupted run over the first kImages images of the golden split, made once.
struct WholeRun {
  fs::path dir;
  std::string results, report, per_image;  // the bytes of its files
  std::vector<std::string> lines;          // results.jsonl's lines
};

const WholeRun& whole_eval_run() {
  static const WholeRun whole = [] {
    WholeRun run;
    run.dir = fresh_dir("eval_resume");
    const CommandResult result = run_lisa(eval_args() + " -o " + (run.dir / "whole").string());
    EXPECT_EQ(result.exit_code, 0) << result.output;
    run.results = read_bytes(run.dir / "whole" / "results.jsonl");
    run.report = read_bytes(run.dir / "whole" / "report.json");
    run.per_image = read_bytes(run.dir / "whole" / "per_image.csv");
    std::istringstream lines(run.results);
    for (std::string line; std::getline(lines, line);) run.lines.push_back(line);
    return run;
  }();
  return whole;
}

void expect_files_of_the_whole_run(const fs::path& out) {
  const WholeRun& whole = whole_eval_run();
  EXPECT_EQ(read_bytes(out / "report.json"), whole.report);
  EXPECT_EQ(read_bytes(out / "per_image.csv"), whole.per_image);
}

// Starts `lisa eval ... ARGS -o OUT`, SIGKILLs it after its first result line and before its last,
// and resumes it with --resume; returns OUT (a run too quick to be killed mid-way is started again,
// never counted as a pass). `results` is the file its lines go to.
fs::path kill_and_resume(const std::string& name, const std::string& args, const std::string& results) {
  const WholeRun& whole = whole_eval_run();
  for (int attempt = 0; attempt < 5; ++attempt) {
    const fs::path out = whole.dir / (name + "-" + std::to_string(attempt));
    const pid_t child = start_lisa(eval_args() + args + " -o " + out.string(), whole.dir / "killed.log");
    EXPECT_TRUE(wait_for([&] { return complete_lines(out / results) >= 1; })) << read_bytes(whole.dir / "killed.log");
    ::kill(child, SIGKILL);
    wait_exit_code(child);
    const size_t done = complete_lines(out / results);
    if (done == 0 || done >= kImages || fs::exists(out / "report.json")) continue;

    const CommandResult resumed = run_lisa(eval_args() + args + " --resume -o " + out.string());
    EXPECT_EQ(resumed.exit_code, 0) << resumed.output;
    EXPECT_NE(resumed.output.find("eval: resuming: " + std::to_string(done) + " already done, 0 failed earlier"),
              std::string::npos)
        << resumed.output;
    // Every image once, in split order (a partial line the kill may have left is cut off).
    EXPECT_EQ(read_bytes(out / results), whole.results);
    return out;
  }
  ADD_FAILURE() << "in 5 attempts the kill never landed while eval was running";
  return {};
}

// A shard (here the one shard of one) killed mid-run and resumed, then `lisa merge`: the files of
// one uninterrupted run. (An unsharded run resumes through the same code, with results.jsonl:
// FailedImagesAreEvaluatedAgain.)
TEST(EvalResume, KilledShardResumedMergesIntoWhatOneRunWrites) {
  ASSERT_EQ(whole_eval_run().lines.size(), kImages);
  const fs::path out = kill_and_resume("killed-shard", " --shard 0/1", "results.shard-0-of-1.jsonl");
  ASSERT_FALSE(out.empty());
  const CommandResult merged = run_lisa("merge " + out.string());
  ASSERT_EQ(merged.exit_code, 0) << merged.output;
  EXPECT_EQ(read_bytes(out / "results.jsonl"), whole_eval_run().results);
  expect_files_of_the_whole_run(out);
}

TEST(EvalResume, FailedImagesAreEvaluatedAgain) {
  const WholeRun& whole = whole_eval_run();
  ASSERT_EQ(whole.lines.size(), kImages);
  const fs::path out = whole.dir / "failed";
  fs::create_directories(out);
  const std::string second = nlohmann::json::parse(whole.lines[1]).at("image");
  const std::string error_line = R"({"image":")" + second + R"(","error":"an earlier failure"})";
  // What a run that failed on the second image and was then killed mid-line leaves, plus the
  // temporary of a report it was writing.
  std::ofstream(out / "results.jsonl") << whole.lines[0] << "\n" << error_line << "\n" << R"({"image":"cof)";
  std::ofstream(out / ".report.json.tmp-99999-0") << "{";

  const CommandResult resumed = run_lisa(eval_args() + " --resume -o " + out.string());
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("eval: resuming: 1 already done, 1 failed earlier and are retried, 1 not done yet"),
            std::string::npos)
      << resumed.output;
  EXPECT_NE(resumed.output.find("removed 1 temporary file(s)"), std::string::npos) << resumed.output;
  EXPECT_FALSE(fs::exists(out / ".report.json.tmp-99999-0"));
  EXPECT_EQ(read_bytes(out / "results.jsonl"),
            whole.lines[0] + "\n" + error_line + "\n" + whole.lines[1] + "\n" + whole.lines[2] + "\n");
  expect_files_of_the_whole_run(out);
}

TEST(EvalResume, TwoCpuEnginesWriteWhatOneWrites) {
  const WholeRun& whole = whole_eval_run();
  std::string args = eval_args();
  const std::string device = " --device cpu";
  ASSERT_NE(args.find(device), std::string::npos);
  args.erase(args.find(device), device.size());
  const fs::path out = whole.dir / "devices";
  const CommandResult run = run_lisa(args + " --devices cpu,cpu -o " + out.string());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(read_bytes(out / "results.jsonl"), whole.results);
  expect_files_of_the_whole_run(out);
}

TEST(EvalResume, ASecondRunIntoABusyOutIsRefusedAtOnce) {
  const fs::path out = fresh_dir("eval_busy");
  const auto lock = lisa::workflow::OutputLock::acquire(out, ".lisa-eval.lock");
  const CommandResult run = run_lisa(eval_args() + " -o " + out.string());
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("is in use by another run (pid " + std::to_string(::getpid())), std::string::npos)
      << run.output;
  EXPECT_FALSE(fs::exists(out / "results.jsonl"));
}

// A run whose model cannot load writes nothing and keeps what an earlier run wrote (without
// --resume the results file is started afresh only once a model has loaded).
TEST(EvalResume, AModelThatCannotLoadKeepsTheEarlierResults) {
  const fs::path out = fresh_dir("eval_bad_model");
  fs::create_directories(out);
  std::ofstream(out / "results.jsonl") << R"({"image":"a.jpg","error":"from an earlier run"})" << "\n";
  const CommandResult run = run_lisa("eval -m " + (out / "no-such-model").string() + " --device cpu --data " +
                                     (golden_root() / "reasonseg" / "val").string() + " -o " + out.string());
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_EQ(read_bytes(out / "results.jsonl"), R"({"image":"a.jpg","error":"from an earlier run"})" "\n");
}

}  // namespace
