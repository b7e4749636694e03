// `lisa eval` as users run it: ReasonSeg scores against the reference.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include "support/cli.h"
#include "support/golden.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using lisa::testing::CommandResult;
using lisa::testing::fresh_dir;
using lisa::testing::read_jsonl;
using lisa::testing::run_lisa;

std::string model_args() { return lisa::testing::golden_model_args(); }

TEST(EvalCommand, TeacherForcedScoresEqualTheReference) {
  const fs::path out = fresh_dir("eval");
  const CommandResult run = run_lisa("eval" + model_args() + " --data " +
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

}  // namespace
