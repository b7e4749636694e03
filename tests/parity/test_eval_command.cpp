// `lisa eval` as users run it: ReasonSeg scores against the reference.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include "support/cli.h"
#include "support/golden.h"
#include "support/timed_cli.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using lisa::testing::CommandResult;
using lisa::testing::fresh_dir;
using lisa::testing::read_jsonl;
using lisa::testing::run_lisa;

using lisa::testing::golden_model_args;

fs::path golden_split() { return lisa::testing::golden_root() / "reasonseg" / "val"; }

json read_json(const fs::path& path) {
  std::ifstream in(path);
  return json::parse(in);
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct CsvRow {
  std::string image;
  int64_t intersection = 0, union_area = 0;
  bool is_sentence = false;
  int n_seg = 0;
};

// per_image.csv without its header (the golden split's names need no quoting).
std::vector<CsvRow> read_per_image_csv(const fs::path& path) {
  std::ifstream csv(path);
  std::string line;
  std::getline(csv, line);
  EXPECT_EQ(line, "image,intersection,union,iou,is_sentence,n_seg");
  std::vector<CsvRow> rows;
  while (std::getline(csv, line)) {
    std::stringstream fields(line);
    std::string image, intersection, uni, iou, sentence, n_seg;
    for (std::string* field : {&image, &intersection, &uni, &iou, &sentence, &n_seg}) std::getline(fields, *field, ',');
    rows.push_back({image, std::stoll(intersection), std::stoll(uni), sentence == "true", std::stoi(n_seg)});
  }
  return rows;
}

// The reference's validate(): per image I / (U + 1e-5), 1 for an empty union; gIoU is their sum over
// (count + 1e-5) (AverageMeter.all_reduce), cIoU is sum(I) / (sum(U) + 1e-10).
std::pair<double, double> validate_scores(const std::vector<CsvRow>& rows) {
  double iou_sum = 0, intersection = 0, union_area = 0;
  for (const CsvRow& r : rows) {
    iou_sum += r.union_area == 0 ? 1.0 : r.intersection / (r.union_area + 1e-5);
    intersection += r.intersection;
    union_area += r.union_area;
  }
  return {iou_sum / (rows.size() + 1e-5), intersection / (union_area + 1e-10)};
}

TEST(EvalCommand, TeacherForcedScoresEqualTheReference) {
  const fs::path out = fresh_dir("eval");
  const CommandResult run = run_lisa("eval" + golden_model_args() + " --data " +
                           (lisa::testing::golden_root() / "reasonseg" / "val").string() + " -o " + out.string());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  std::ifstream expected_file(lisa::testing::golden_root() / "reasonseg" / "expected.json");
  const json expected = json::parse(expected_file);
  std::ifstream report_file(out / "report.json");
  const json report = json::parse(report_file);
  EXPECT_NEAR(report.at("giou").get<double>(), expected.at("giou").get<double>(), 1e-6);
  EXPECT_NEAR(report.at("ciou").get<double>(), expected.at("ciou").get<double>(), 1e-6);
  EXPECT_EQ(report.at("n_images"), expected.at("images").size());
  EXPECT_EQ(report.at("mode"), "teacher-forced");
  std::ifstream csv(out / "per_image.csv");
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header, "image,intersection,union,iou,is_sentence,n_seg");
  size_t rows = 0;
  for (std::string row; std::getline(csv, row);) {
    const auto& image = expected.at("images").at(rows++);
    std::stringstream fields(row);
    std::string name, intersection, uni;
    std::getline(fields, name, ',');
    std::getline(fields, intersection, ',');
    std::getline(fields, uni, ',');
    EXPECT_EQ(name, image.at("stem").get<std::string>() + ".jpg");
    EXPECT_EQ(std::stod(intersection), image.at("intersection").at(1).get<double>()) << name;
    EXPECT_EQ(std::stod(uni), image.at("union").at(1).get<double>()) << name;
  }
  EXPECT_EQ(rows, expected.at("images").size());
}

TEST(EvalCommand, ScoresAreValidatesFormulaOnOneImage) {
  const fs::path out = fresh_dir("eval_limit1");
  const CommandResult run = run_lisa("eval" + golden_model_args() + " --limit 1 --data " + golden_split().string() + " -o " +
                                     out.string());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto rows = read_per_image_csv(out / "per_image.csv");
  ASSERT_EQ(rows.size(), 1u);
  ASSERT_GT(rows[0].union_area, 0);  // the formula's 1e-5 terms both matter
  const json report = read_json(out / "report.json");
  EXPECT_EQ(report.at("n_images"), 1);
  const auto [giou, ciou] = validate_scores(rows);
  EXPECT_NEAR(report.at("giou").get<double>(), giou, 1e-9);
  EXPECT_NEAR(report.at("ciou").get<double>(), ciou, 1e-9);
  // Not the plain mean: dividing by (1 + 1e-5) moves it by more than the tolerance.
  EXPECT_GT(std::abs(report.at("giou").get<double>() - rows[0].intersection / (rows[0].union_area + 1e-5)), 1e-7);
}

TEST(EvalCommand, GenerateModeReportsItsAnswersConsistentlyAndRepeatably) {
  const std::string args = "eval" + golden_model_args() + " --mode generate --max-new-tokens 8 --data " + golden_split().string();
  const fs::path first = fresh_dir("eval_generate_1"), second = fresh_dir("eval_generate_2");
  const CommandResult run = run_lisa(args + " -o " + first.string());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("ReasonSeg (generate)"), std::string::npos) << run.output;
  const json report = read_json(first / "report.json");
  EXPECT_EQ(report.at("mode"), "generate");
  EXPECT_EQ(report.at("conv_type"), "llava_v1");
  EXPECT_EQ(report.at("failed"), 0);
  const auto rows = read_per_image_csv(first / "per_image.csv");
  ASSERT_EQ(rows.size(), 7u);
  EXPECT_EQ(report.at("n_images"), rows.size());
  int no_seg = 0, short_queries = 0;
  for (const CsvRow& r : rows) {
    SCOPED_TRACE(r.image);
    no_seg += r.n_seg == 0;
    short_queries += !r.is_sentence;
    if (r.n_seg == 0) {
      EXPECT_EQ(r.intersection, 0);  // no [SEG]: an empty prediction
    }
  }
  EXPECT_EQ(report.at("no_seg"), no_seg);
  EXPECT_EQ(report.at("split").at("short").at("n_images"), short_queries);
  EXPECT_EQ(report.at("split").at("long").at("n_images"), 7 - short_queries);
  const auto [giou, ciou] = validate_scores(rows);
  EXPECT_NEAR(report.at("giou").get<double>(), giou, 1e-9);
  EXPECT_NEAR(report.at("ciou").get<double>(), ciou, 1e-9);
  const auto lines = read_jsonl(first / "results.jsonl");
  ASSERT_EQ(lines.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(lines[i].at("image"), rows[i].image);
    EXPECT_EQ(lines[i].at("n_seg"), rows[i].n_seg);
  }

  // Greedy decoding: a second run answers the same, also when it answers three images at a time
  // (--batch-size 3: batches of 3, 3 and 1; results still in split order).
  const CommandResult again = run_lisa(args + " --batch-size 3 -o " + second.string());
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(read_text(second / "per_image.csv"), read_text(first / "per_image.csv"));
  EXPECT_EQ(read_text(second / "results.jsonl"), read_text(first / "results.jsonl"));
}

// One bad annotation file is reported like a bad image; polygon points at +-2e9 (which used to
// make the fill walk billions of rows) are drawn in time.
TEST(EvalCommand, BadAnnotationIsAnErrorLineAndTheOthersAreEvaluated) {
  const fs::path split = fresh_dir("eval_bad_annotation") / "val";
  fs::create_directories(split);
  for (const char* stem : {"astronaut", "chelsea", "coffee"}) {
    fs::copy_file(golden_split() / (std::string(stem) + ".jpg"), split / (std::string(stem) + ".jpg"));
    fs::copy_file(golden_split() / (std::string(stem) + ".json"), split / (std::string(stem) + ".json"));
  }
  json far = read_json(split / "astronaut.json");
  far["shapes"][0]["points"] = json::parse("[[10, -2000000000], [45, 30], [666666666, 20], [5, 2000000000]]");
  std::ofstream(split / "astronaut.json") << far.dump();
  json broken = read_json(split / "chelsea.json");
  broken["shapes"][0].erase("points");
  std::ofstream(split / "chelsea.json") << broken.dump();

  const fs::path out = split.parent_path() / "out";
  const CommandResult run =
      lisa::testing::run_lisa_within(120, "eval" + golden_model_args() + " --data " + split.string() + " -o " + out.string());
  ASSERT_NE(run.exit_code, 124) << "eval did not finish in 120 s";
  EXPECT_EQ(run.exit_code, 3) << run.output;
  const auto lines = read_jsonl(out / "results.jsonl");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].at("image"), "astronaut.jpg");
  EXPECT_TRUE(lines[0].contains("iou")) << lines[0].dump();
  EXPECT_EQ(lines[1].at("image"), "chelsea.jpg");
  ASSERT_TRUE(lines[1].contains("error")) << lines[1].dump();
  EXPECT_NE(lines[1].at("error").get<std::string>().find((split / "chelsea.json").string()), std::string::npos)
      << lines[1].dump();
  EXPECT_NE(lines[1].at("error").get<std::string>().find("\"points\""), std::string::npos) << lines[1].dump();
  EXPECT_EQ(lines[2].at("image"), "coffee.jpg");
  EXPECT_TRUE(lines[2].contains("iou")) << lines[2].dump();
  const json report = read_json(out / "report.json");
  EXPECT_EQ(report.at("failed"), 1);
  EXPECT_EQ(report.at("n_images"), 2);
  EXPECT_EQ(read_per_image_csv(out / "per_image.csv").size(), 2u);
}

TEST(EvalCommand, OutThatIsAFileIsNamed) {
  const fs::path file = fresh_dir("eval_out_file") / "taken.txt";
  std::ofstream(file) << "keep me";
  const CommandResult run =
      run_lisa("eval" + golden_model_args() + " --data " + golden_split().string() + " -o " + file.string());
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find(file.string() + ": exists and is not a directory"), std::string::npos) << run.output;
  EXPECT_EQ(run.output.find("internal error"), std::string::npos) << run.output;
  EXPECT_EQ(read_text(file), "keep me");
}

}  // namespace
