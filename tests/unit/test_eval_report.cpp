#include "lisa/eval/report.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lisa/error.h"
#include "test_render_support.h"

namespace lisa::eval {
namespace {

using lisa::testing::read_bytes;
using lisa::testing::ScratchDir;

const std::vector<ImageResult> kResults = {
    {"a.jpg", {3, 6}, false, 1}, {"b, \"quoted\".jpg", {0, 0}, true, 0}, {"c.jpg", {10, 40}, true, 2}};
const RunInfo kInfo{"teacher-forced", "llava_v1", "/models/LISA-7B-v1"};

TEST(Report, JsonHoldsScoresPerQueryKindAndTheRun) {
  const nlohmann::ordered_json report = report_json(kResults, kInfo);
  std::vector<std::string> keys;
  for (const auto& item : report.items()) keys.push_back(item.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"giou", "ciou", "n_images", "mode", "conv_type", "split",
                                            "no_seg", "failed", "model"}));
  EXPECT_DOUBLE_EQ(report["giou"].get<double>(), (3.0 / (6 + 1e-5) + 1.0 + 10.0 / (40 + 1e-5)) / (3 + 1e-5));
  EXPECT_DOUBLE_EQ(report["ciou"].get<double>(), 13.0 / (46.0 + 1e-10));
  EXPECT_EQ(report["n_images"], 3);
  EXPECT_EQ(report["mode"], "teacher-forced");
  EXPECT_EQ(report["conv_type"], "llava_v1");
  EXPECT_EQ(report["model"], "/models/LISA-7B-v1");
  EXPECT_EQ(report["no_seg"], 1);
  EXPECT_EQ(report["split"]["short"]["n_images"], 1);
  EXPECT_DOUBLE_EQ(report["split"]["short"]["ciou"].get<double>(), 3.0 / (6.0 + 1e-10));
  EXPECT_EQ(report["split"]["long"]["n_images"], 2);
  EXPECT_DOUBLE_EQ(report["split"]["long"]["ciou"].get<double>(), 10.0 / (40.0 + 1e-10));
  EXPECT_EQ(report["failed"], 0);
}

TEST(Report, CountsTheImagesThatFailed) {
  RunInfo info = kInfo;
  info.failed = 2;
  const nlohmann::ordered_json report = report_json(kResults, info);
  EXPECT_EQ(report["failed"], 2);
  EXPECT_EQ(report["n_images"], 3);  // the scores are over the images evaluated
}

TEST(Report, ErrorLineNamesTheImageAndTheError) {
  const auto line = nlohmann::json::parse(error_line("x.jpg", "x.json: shapes[0] has no \"points\""));
  EXPECT_EQ(line, (nlohmann::json{{"image", "x.jpg"}, {"error", "x.json: shapes[0] has no \"points\""}}));
}

TEST(Report, EmptyScoresAreNull) {
  const nlohmann::ordered_json report = report_json({kResults[0]}, kInfo);
  EXPECT_TRUE(report["split"]["long"]["giou"].is_null());
  EXPECT_TRUE(report["split"]["long"]["ciou"].is_null());
  EXPECT_EQ(report["split"]["long"]["n_images"], 0);
}

TEST(Report, CsvHasOneQuotedRowPerImage) {
  const std::string csv = per_image_csv(kResults);
  EXPECT_EQ(csv,
            "image,intersection,union,iou,is_sentence,n_seg\n"
            "a.jpg,3,6,0.4999991666680556,false,1\n"
            "\"b, \"\"quoted\"\".jpg\",0,0,1,true,0\n"
            "c.jpg,10,40,0.24999993750001562,true,2\n");
  // Shortest text that reads back exactly (Python's repr gives the same digits).
  EXPECT_EQ(std::stod("0.4999991666680556"), 3.0 / (6 + 1e-5));
}

TEST(Report, WritesBothFiles) {
  ScratchDir dir;
  write_report(dir.path(), kResults, kInfo);
  EXPECT_EQ(nlohmann::ordered_json::parse(read_bytes(dir / "report.json")), report_json(kResults, kInfo));
  EXPECT_EQ(read_bytes(dir / "per_image.csv"), per_image_csv(kResults));
  EXPECT_THROW(write_report(dir / "missing", kResults, kInfo), Error);
}

TEST(ResultLine, RoundTripsAndRejectsBadLines) {
  for (const ImageResult& r : kResults) {
    const std::string line = result_line(r);
    EXPECT_EQ(line.find('\n'), std::string::npos);
    const ImageResult back = parse_result_line(line);
    EXPECT_EQ(back.image, r.image);
    EXPECT_EQ(back.overlap.intersection, r.overlap.intersection);
    EXPECT_EQ(back.overlap.union_area, r.overlap.union_area);
    EXPECT_EQ(back.is_sentence, r.is_sentence);
    EXPECT_EQ(back.n_seg, r.n_seg);
  }
  EXPECT_EQ(result_line(kResults[0]),
            R"({"image":"a.jpg","intersection":3,"iou":0.4999991666680556,"is_sentence":false,"n_seg":1,"union":6})");
  EXPECT_EQ(parse_result_line(R"({"image":"x","intersection":1,"union":2,"is_sentence":true,"n_seg":1,"text":"extra"})").image, "x");
  EXPECT_THROW(parse_result_line("{\"image\":\"x\""), Error);
  EXPECT_THROW(parse_result_line("[1]"), Error);
  EXPECT_THROW(parse_result_line(R"({"image":"x","intersection":1,"is_sentence":true,"n_seg":1})"), Error);
  EXPECT_THROW(parse_result_line(R"({"image":"x","intersection":3,"union":2,"is_sentence":true,"n_seg":1})"), Error);
}

}  // namespace
}  // namespace lisa::eval
