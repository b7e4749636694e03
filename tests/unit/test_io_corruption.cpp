// Randomly corrupted checkpoints (deterministic seeds): every outcome is either a clean load or a
// lisa::Error; never a crash, a hang or another exception type.
#include <fstream>
#include <iterator>
#include <random>

#include "io_fixtures.h"
#include "lisa/io/checkpoint.h"
#include "support/file_bytes.h"

namespace lisa::testing {
namespace {

using lisa::testing::read_bytes;

// Opens `bytes` as a checkpoint file and reads every tensor; false when it is rejected.
bool open_and_read(const std::filesystem::path& path, const std::string& bytes) {
  { std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes; }
  try {
    const auto checkpoint = io::Checkpoint::open(path);
    for (const auto& name : checkpoint.names()) checkpoint.load(name, at::kCPU, at::kFloat).sum();
    return true;
  } catch (const lisa::Error&) {
    return false;
  }
}

void corrupt_repeatedly(const std::string& fixture, const std::string& extension) {
  const auto original = read_bytes(io_fixture(fixture));
  ASSERT_FALSE(original.empty());
  const auto path = std::filesystem::path(::testing::TempDir()) / ("corrupt" + extension);
  std::mt19937 random(1234);
  int rejected = 0;
  for (int trial = 0; trial < 600; ++trial) {
    std::string bytes = original;
    const int edits = 1 + static_cast<int>(random() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t at = random() % bytes.size();
      switch (random() % 3) {
        case 0: bytes[at] = static_cast<char>(random()); break;                 // overwrite a byte
        case 1: bytes[at] = static_cast<char>(bytes[at] ^ (1 << (random() % 8))); break;  // flip a bit
        default: bytes.resize(at); break;                                        // truncate
      }
      if (bytes.empty()) break;
    }
    rejected += open_and_read(path, bytes) ? 0 : 1;
  }
  std::filesystem::remove(path);
  EXPECT_GT(rejected, 0);  // the corruptions do reach the checks
}

TEST(Corruption, SafetensorsNeverCrashes) { corrupt_repeatedly("values/safetensors/model.safetensors", ".safetensors"); }

TEST(Corruption, TorchZipNeverCrashes) { corrupt_repeatedly("values/bin/pytorch_model.bin", ".bin"); }

}  // namespace
}  // namespace lisa::testing
