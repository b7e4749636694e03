// Inputs that scripts/fuzz.sh found escaping the user-error channel, each kept as the test that
// would have caught it (docs/reliability.md lists them).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "lisa/error.h"
#include "lisa/eval/reasonseg.h"
#include "lisa/eval/report.h"

namespace lisa {
namespace {

// A number beyond double's range makes nlohmann::json throw out_of_range, not parse_error: it
// escaped read_reasonseg_json as a foreign exception (fuzz target reasonseg, 2026-12-01).
TEST(FuzzRegressions, ReasonSegNumberBeyondDoubleIsAnErrorNamingTheFile) {
  const auto path = std::filesystem::path(::testing::TempDir()) / "overflow.json";
  std::ofstream(path) << R"({"text": ["x"], "is_sentence": false, "shapes": [{"label": "t", "points": [[2E5037, 1]]}]})";
  try {
    eval::read_reasonseg_json(path);
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("overflow.json"), std::string::npos) << e.what();
  }
  std::filesystem::remove(path);
}

// The same for a results line read back by `lisa eval` (found by reading the code after the above).
TEST(FuzzRegressions, ResultLineNumberBeyondDoubleIsAnError) {
  EXPECT_THROW(eval::parse_result_line(R"({"image": "a.jpg", "intersection": [1e999, 2]})"), Error);
}

}  // namespace
}  // namespace lisa
