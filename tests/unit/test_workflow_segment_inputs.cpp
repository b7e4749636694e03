// What `lisa segment` is given to do: image folders (nothing that looks like a picture is skipped
// silently) and prompt files.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "lisa/error.h"
#include "lisa/workflow/segment.h"
#include "test_render_support.h"

namespace lisa::workflow {
namespace {

using lisa::testing::ScratchDir;
namespace fs = std::filesystem;

std::vector<std::string> names(const std::vector<SegmentItem>& items, const fs::path& root) {
  std::vector<std::string> out;
  for (const auto& item : items) out.push_back(item.image.lexically_relative(root).generic_string() + "=" + item.stem);
  return out;
}

TEST(SegmentInputs, AFolderGivesEveryPictureNameEvenWhenItIsNoFile) {
  ScratchDir dir;
  std::ofstream(dir / "b.png") << "x";
  std::ofstream(dir / "A.JPG") << "x";
  std::ofstream(dir / "notes.txt") << "x";
  fs::create_directory(dir / "folder.jpg");  // a folder with a picture's name
  std::ofstream(dir / "folder.jpg" / "inner.bmp") << "x";
  fs::create_symlink(dir / "gone.png", dir / "dangling.png");
  fs::create_directories(dir / "sub" / "deeper");
  std::ofstream(dir / "sub" / "c.jpeg") << "x";
  std::ofstream(dir / "sub" / "deeper" / "d.bmp") << "x";

  EXPECT_EQ(names(collect_images({dir.path().string()}, false, "q"), dir.path()),
            (std::vector<std::string>{"A.JPG=A", "b.png=b", "dangling.png=dangling", "folder.jpg=folder"}));
  EXPECT_EQ(names(collect_images({dir.path().string()}, true, "q"), dir.path()),
            (std::vector<std::string>{"A.JPG=A", "b.png=b", "dangling.png=dangling", "folder.jpg=folder",
                                      "folder.jpg/inner.bmp=folder.jpg_inner", "sub/c.jpeg=sub_c",
                                      "sub/deeper/d.bmp=sub_deeper_d"}));
}

// Every process of a sharded run must see the same list: by the bytes of the relative path, not
// by the file system's listing order nor by std::filesystem::path's element-wise order (which
// puts "a/z.png" before "a-b.png", '/' being greater than '-').
TEST(SegmentInputs, AFolderIsOrderedByTheBytesOfRelativePathsWhateverTheCreationOrder) {
  const std::vector<std::string> files{"a/z.png", "a-b.png", "B.jpg", "a.png", "\xc3\xa9.jpg", "a/a.png", "_.png"};
  const std::vector<std::string> expected{"B.jpg=B",     "_.png=_",     "a-b.png=a-b", "a.png=a",
                                          "a/a.png=a_a", "a/z.png=a_z", "\xc3\xa9.jpg=\xc3\xa9"};
  for (bool reversed : {false, true}) {
    ScratchDir dir;
    fs::create_directory(dir / "a");
    auto order = files;
    if (reversed) std::reverse(order.begin(), order.end());
    for (const auto& name : order) std::ofstream(dir / name) << "x";
    EXPECT_EQ(names(collect_images({dir.path().string()}, true, "q"), dir.path()), expected) << reversed;
  }
}

TEST(SegmentInputs, AnEmptyPromptFileIsNamed) {
  ScratchDir dir;
  std::ofstream(dir / "prompts.jsonl") << "\n  \n";
  try {
    read_prompt_file(dir / "prompts.jsonl");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), (dir / "prompts.jsonl").string() + ": no prompts in this file");
  }
}

}  // namespace
}  // namespace lisa::workflow
