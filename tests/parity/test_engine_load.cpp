// Engine::load refuses a model that cannot work, naming the file and the field, before anything runs.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "lisa/error.h"
#include "lisa/pipeline/engine.h"
#include "support/golden.h"

namespace {

namespace fs = std::filesystem;

// A CLIP crop other than the tower's input size would fail every image; it fails at load instead.
TEST(EngineLoad, ClipCropSizeMustFitTheVisionTower) {
  const fs::path clip = fs::temp_directory_path() / ("lisa_clip_crop_" + std::to_string(::getpid()));
  fs::remove_all(clip);
  fs::create_directories(clip);
  const fs::path golden = lisa::testing::golden_clip_dir();
  for (const char* name : {"config.json", "model.safetensors"}) fs::create_symlink(golden / name, clip / name);
  std::ifstream in(golden / "preprocessor_config.json");
  auto preprocessor = nlohmann::json::parse(in);
  ASSERT_EQ(preprocessor.at("crop_size"), 224);
  preprocessor["crop_size"] = 200;
  std::ofstream(clip / "preprocessor_config.json") << preprocessor.dump();

  lisa::pipeline::EngineOptions options;
  options.model = lisa::testing::golden_lisa_bin_dir();
  options.vision_tower = clip.string();
  options.device = "cpu";
  try {
    lisa::pipeline::Engine::load(options);
    ADD_FAILURE() << "a 200x200 crop for a 224x224 tower was accepted";
  } catch (const lisa::Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find((clip / "preprocessor_config.json").string()), std::string::npos) << message;
    EXPECT_NE(message.find("crop_size 200x200"), std::string::npos) << message;
  }
  fs::remove_all(clip);
}

}  // namespace
