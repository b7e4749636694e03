#include "lisa/eval/reasonseg.h"

#include <gtest/gtest.h>

#include "lisa/error.h"
#include "test_render_support.h"

namespace lisa::eval {
namespace {

using lisa::testing::ScratchDir;
using lisa::testing::write_bytes;

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ReasonSegSplit, ListsJpgsWithTheirAnnotationsSorted) {
  const auto samples = list_reasonseg_split(lisa::testing::reasonseg_edge_split() / "val");
  ASSERT_EQ(samples.size(), 6u);
  EXPECT_EQ(samples.front().image.filename(), "cp1252_text.jpg");
  EXPECT_EQ(samples.front().json, lisa::testing::reasonseg_edge_split() / "val/cp1252_text.json");
  EXPECT_EQ(samples.back().image.filename(), "unicode_utf8.jpg");
}

TEST(ReasonSegSplit, FollowsGlobAndReplaceRules) {
  ScratchDir dir;
  for (const char* name : {"b.jpg", "b.json", "a.jpgx.jpg", "a.jsonx.json", ".hidden.jpg", "c.JPG", "d.png"}) {
    write_bytes(dir / name, "{}");
  }
  std::filesystem::create_directory(dir / "e.jpg");
  const auto samples = list_reasonseg_split(dir.path());
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].image.filename(), "a.jpgx.jpg");
  EXPECT_EQ(samples[0].json.filename(), "a.jsonx.json");  // every ".jpg" replaced, as str.replace
  EXPECT_EQ(samples[1].json.filename(), "b.json");
  write_bytes(dir / "f.jpg", "");
  EXPECT_NE(error_of([&] { list_reasonseg_split(dir.path()); }).find("f.json"), std::string::npos);
  EXPECT_THROW(list_reasonseg_split(dir / "nope"), Error);
}

TEST(ReasonSegJson, ReadsUtf8AndFallsBackToCp1252) {
  const ReasonSegAnnotation cp = read_reasonseg_json(lisa::testing::reasonseg_edge_split() / "val/cp1252_text.json");
  ASSERT_EQ(cp.texts.size(), 1u);
  EXPECT_EQ(cp.texts[0], "  what\u2019s the caf\u00e9 owner holding? ");
  EXPECT_TRUE(cp.is_sentence);
  ASSERT_EQ(cp.shapes.size(), 2u);
  EXPECT_EQ(cp.shapes[0].label, "IGNORE_me");
  ASSERT_EQ(cp.shapes[0].points.size(), 3u);
  EXPECT_EQ(cp.shapes[0].points[0], (std::array<double, 2>{-3.7, -2.2}));
  const ReasonSegAnnotation utf8 = read_reasonseg_json(lisa::testing::reasonseg_edge_split() / "val/unicode_utf8.json");
  EXPECT_EQ(utf8.texts[0], "\u00e7a \u2014 \u6c34\u676f");
  EXPECT_FALSE(utf8.is_sentence);
}

TEST(ReasonSegJson, NamesTheFileAndTheProblem) {
  ScratchDir dir;
  const auto check = [&](const std::string& content, const std::string& expected) {
    write_bytes(dir / "a.json", content);
    const std::string message = error_of([&] { read_reasonseg_json(dir / "a.json"); });
    EXPECT_NE(message.find("a.json"), std::string::npos) << message;
    EXPECT_NE(message.find(expected), std::string::npos) << message;
  };
  check("{\"text\": [\"x\"], \"is_sentence\": true}", "\"shapes\"");
  check("{\"text\": \"x\", \"is_sentence\": true, \"shapes\": []}", "\"text\" is not a list");
  check("{\"text\": [], \"is_sentence\": \"yes\", \"shapes\": []}", "is_sentence");
  check("{\"text\": [], \"is_sentence\": 0, \"shapes\": [{\"label\": \"t\", \"points\": [[1, 2, 3]]}]}",
        "shapes[0]");
  check("{\"text\": [], \"is_sentence\": 0, \"shapes\": [{\"points\": []}]}", "\"label\"");
  check("{\"text\": [\"caf\x81\"]}", "cp1252");  // neither encoding
  check("{\"text\": ", "not valid JSON");
  EXPECT_THROW(read_reasonseg_json(dir / "missing.json"), Error);
}

TEST(ReasonSegJson, TakesTruthinessOfIsSentence) {
  ScratchDir dir;
  write_bytes(dir / "a.json", "{\"text\": [\"q\"], \"is_sentence\": 1, \"shapes\": []}");
  EXPECT_TRUE(read_reasonseg_json(dir / "a.json").is_sentence);
}

}  // namespace
}  // namespace lisa::eval
