// Regression: the torch wheel's libtorch.so exports its own std::filesystem, and when it was
// searched before libstdc++ (link order), remove_all on a non-empty tree jumped to address 0.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

TEST(StdFilesystem, RemoveAllWorksInABinaryLinkedWithLibtorch) {
  namespace fs = std::filesystem;
  EXPECT_EQ(at::ones({2}).sum().item<float>(), 2.0f);  // libtorch really is loaded
  const fs::path root = fs::temp_directory_path() / ("lisa_remove_all_" + std::to_string(::getpid()));
  fs::create_directories(root / "a" / "b");
  std::ofstream(root / "a" / "file.txt") << "x";
  EXPECT_EQ(fs::remove_all(root), 4u);
  EXPECT_FALSE(fs::exists(root));
}
