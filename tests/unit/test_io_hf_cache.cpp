// Offline resolution of "owner/name" in the Hugging Face hub cache.
#include <cstdlib>
#include <fstream>
#include <optional>
#include <thread>

#include "io_fixtures.h"
#include "lisa/io/hf_cache.h"

namespace lisa::testing {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

// A scratch hub cache; the HF variables are cleared for the test and restored afterwards.
class HfCache : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : kVariables) {
      const char* value = std::getenv(name);
      saved_.emplace_back(name, value ? std::optional<std::string>(value) : std::nullopt);
      ::unsetenv(name);
    }
    root_ = fs::path(::testing::TempDir()) / ("hf_cache_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override {
    for (const auto& [name, value] : saved_)
      if (value) ::setenv(name.c_str(), value->c_str(), 1);
      else ::unsetenv(name.c_str());
    std::filesystem::remove_all(root_);
  }

  fs::path snapshot(const fs::path& hub, const std::string& revision) {
    const auto dir = hub / "models--openai--clip-vit-large-patch14" / "snapshots" / revision;
    fs::create_directories(dir);
    return dir;
  }
  void point_main(const fs::path& hub, const std::string& revision) {
    const auto refs = hub / "models--openai--clip-vit-large-patch14" / "refs";
    fs::create_directories(refs);
    std::ofstream(refs / "main") << revision;  // huggingface_hub writes no newline
  }

  static constexpr const char* kVariables[] = {"HF_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME", "HOME"};
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
  fs::path root_;
};

TEST_F(HfCache, CacheLocationFollowsTheEnvironment) {
  ::setenv("HOME", "/home/someone", 1);
  EXPECT_EQ(io::hf_hub_cache(), fs::path("/home/someone/.cache/huggingface/hub"));
  ::setenv("XDG_CACHE_HOME", "/xdg", 1);
  EXPECT_EQ(io::hf_hub_cache(), fs::path("/xdg/huggingface/hub"));
  ::setenv("HF_HOME", "/hf", 1);
  EXPECT_EQ(io::hf_hub_cache(), fs::path("/hf/hub"));
  ::setenv("HF_HUB_CACHE", "/hub", 1);
  EXPECT_EQ(io::hf_hub_cache(), fs::path("/hub"));
}

TEST_F(HfCache, ExistingDirectoryIsReturnedAsIs) {
  EXPECT_EQ(io::resolve_model_dir(root_.string()), root_);
}

TEST_F(HfCache, RefsMainChoosesTheSnapshot) {
  ::setenv("HF_HUB_CACHE", root_.c_str(), 1);
  const auto main = snapshot(root_, "aaa111");
  snapshot(root_, "bbb222");
  point_main(root_, "aaa111");
  EXPECT_EQ(io::resolve_model_dir("openai/clip-vit-large-patch14"), main);
}

TEST_F(HfCache, WithoutRefsTheNewestSnapshotWins) {
  ::setenv("HF_HOME", root_.c_str(), 1);
  const auto old_snapshot = snapshot(root_ / "hub", "old");
  const auto new_snapshot = snapshot(root_ / "hub", "new");
  fs::last_write_time(old_snapshot, fs::last_write_time(new_snapshot) - std::chrono::hours(1));
  EXPECT_EQ(io::resolve_model_dir("openai/clip-vit-large-patch14"), new_snapshot);
}

TEST_F(HfCache, DanglingRefFallsBackToTheOnlySnapshot) {
  ::setenv("HF_HUB_CACHE", root_.c_str(), 1);
  const auto only = snapshot(root_, "ccc333");
  point_main(root_, "gone");
  EXPECT_EQ(io::resolve_model_dir("openai/clip-vit-large-patch14"), only);
}

TEST_F(HfCache, MissingModelListsEveryPlaceLooked) {
  ::setenv("HF_HUB_CACHE", root_.c_str(), 1);
  const auto message = error_of([] { io::resolve_model_dir("openai/clip-vit-large-patch14"); });
  EXPECT_THAT(message, HasSubstr("'openai/clip-vit-large-patch14' not found"));
  EXPECT_THAT(message, HasSubstr("openai/clip-vit-large-patch14 (as a directory)"));
  EXPECT_THAT(message, HasSubstr((root_ / "models--openai--clip-vit-large-patch14/refs/main").string()));
  EXPECT_THAT(message, HasSubstr((root_ / "models--openai--clip-vit-large-patch14/snapshots").string()));
}

TEST_F(HfCache, ReferencesThatAreNotModelIdsAreNotLookedUp) {
  ::setenv("HF_HUB_CACHE", root_.c_str(), 1);
  const auto message = error_of([] { io::resolve_model_dir("../outside/model"); });
  EXPECT_THAT(message, HasSubstr("'../outside/model' not found"));
  EXPECT_THAT(message, ::testing::Not(HasSubstr("models--")));
}

}  // namespace
}  // namespace lisa::testing
