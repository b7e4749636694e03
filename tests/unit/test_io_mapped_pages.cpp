// io::release_mapped_pages (lisa/io/mapped_pages.h) and the loaders that call it: file pages a
// loader has copied leave the process's resident set, and the tensors stay readable.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "lisa/io/checkpoint.h"
#include "lisa/io/mapped_pages.h"
#include "lisa/io/safetensors_writer.h"

namespace {

namespace fs = std::filesystem;
using lisa::io::Checkpoint;
using lisa::io::release_mapped_pages;

constexpr int64_t kRows = 4, kColumns = 1 << 20;  // fp32: 16 MiB
constexpr int64_t kMiB = 1 << 20;

at::Tensor expected_values() { return at::arange(kRows * kColumns, at::kFloat).view({kRows, kColumns}); }

fs::path write_checkpoint() {
  const fs::path path = fs::path(::testing::TempDir()) / "mapped_pages.safetensors";
  lisa::io::write_safetensors(path, {{"big", at::kFloat, {kRows, kColumns}, expected_values}});
  return path;
}

// The resident bytes of this process's mappings of `path` (the Rss lines of /proc/self/smaps).
int64_t resident_bytes_of(const fs::path& path) {
  std::ifstream smaps("/proc/self/smaps");
  int64_t kib = 0;
  bool in_mapping = false;
  const std::string name = fs::canonical(path).string();
  for (std::string line; std::getline(smaps, line);) {
    const bool header = line.find('-') < line.find(' ');  // "begin-end perms offset dev inode path"
    if (header) in_mapping = line.size() >= name.size() && line.compare(line.size() - name.size(), name.size(), name) == 0;
    if (in_mapping && line.rfind("Rss:", 0) == 0) kib += std::stoll(line.substr(4));
  }
  return kib * 1024;
}

TEST(MappedPages, ReleasedPagesLeaveTheResidentSetAndReadBackUnchanged) {
  const fs::path path = write_checkpoint();
  const auto checkpoint = Checkpoint::open(path);
  const at::Tensor in_place = checkpoint.load("big");
  ASSERT_TRUE(at::equal(in_place, expected_values()));  // every page read
  EXPECT_GE(resident_bytes_of(path), 15 * kMiB);
  EXPECT_GE(release_mapped_pages(in_place), 15 * kMiB);
  EXPECT_LT(resident_bytes_of(path), kMiB);
  EXPECT_TRUE(at::equal(in_place, expected_values()));  // faulted in again from the file
}

// Only the tensor's own bytes: a view of half the rows gives back half the pages, and the other
// half (a storage shared with other tensors, as in torch.save files) stays resident.
TEST(MappedPages, AViewGivesBackOnlyItsOwnBytes) {
  const fs::path path = write_checkpoint();
  const auto checkpoint = Checkpoint::open(path);
  const at::Tensor in_place = checkpoint.load("big");
  ASSERT_TRUE(at::equal(in_place, expected_values()));
  const int64_t released = release_mapped_pages(in_place.narrow(0, 0, kRows / 2));
  EXPECT_GE(released, 7 * kMiB);
  EXPECT_LE(released, 8 * kMiB);
  EXPECT_GE(resident_bytes_of(path), 7 * kMiB);
  EXPECT_LT(resident_bytes_of(path), 9 * kMiB);
  EXPECT_TRUE(at::equal(in_place, expected_values()));
}

TEST(MappedPages, MemoryOutsideAMappingIsLeftAlone) {
  const at::Tensor heap = expected_values().clone();
  EXPECT_EQ(release_mapped_pages(heap), 0);
  EXPECT_TRUE(at::equal(heap, expected_values()));
  EXPECT_EQ(release_mapped_pages(at::Tensor()), 0);
}

TEST(MappedPages, ConvertingLoadsDoNotKeepTheFilePagesResident) {
  const fs::path path = write_checkpoint();
  const auto checkpoint = Checkpoint::open(path);
  const at::Tensor converted = checkpoint.load("big", at::kCPU, at::kDouble);
  EXPECT_LT(resident_bytes_of(path), kMiB);
  const at::Tensor copy = checkpoint.load_copy("big");
  EXPECT_LT(resident_bytes_of(path), kMiB);
  EXPECT_TRUE(at::equal(converted, expected_values().to(at::kDouble)));
  EXPECT_TRUE(at::equal(copy, expected_values()));
}

TEST(MappedPages, CopyingACheckpointKeepsNoWrittenTensorResident) {
  const fs::path path = write_checkpoint();
  const auto checkpoint = Checkpoint::open(path);
  const fs::path copy = fs::path(::testing::TempDir()) / "mapped_pages_copy.safetensors";
  lisa::io::write_safetensors(copy, {{"big", at::kFloat, {kRows, kColumns}, [&] { return checkpoint.load("big"); }}});
  EXPECT_LT(resident_bytes_of(path), kMiB);
  EXPECT_TRUE(at::equal(Checkpoint::open(copy).load("big"), expected_values()));
  fs::remove(copy);
}

}  // namespace
