// Each fuzz target once over its seed files (tests/fuzz/seeds.txt), in the normal suite: the
// targets build with the project's compiler and warnings, every target has seeds, and no seed
// breaks the targets' contract (lisa::Error or success). The fuzzing itself is scripts/fuzz.sh.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <sstream>
#include <vector>

#include "io/mapped_file.h"
#include "io/zip_archive.h"
#include "replay_registry.h"
#include "support/file_bytes.h"

namespace lisa::fuzz {
namespace {

struct SeedRule {
  std::string target, folder, suffix, zip_record;
};

std::vector<SeedRule> seed_rules() {
  std::ifstream in(LISA_FUZZ_SEEDS_FILE);
  EXPECT_TRUE(in) << LISA_FUZZ_SEEDS_FILE;
  std::vector<SeedRule> rules;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    SeedRule rule;
    fields >> rule.target >> rule.folder >> rule.suffix >> rule.zip_record;
    rules.push_back(rule);
  }
  return rules;
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

using lisa::testing::read_bytes;

// The record's bytes; nullopt when `path` is not an archive the reader accepts (the corrupt
// fixtures under io/bad are seeds of the archive targets, not of this one) or has no such record.
std::optional<std::string> zip_record_bytes(const std::filesystem::path& path, const std::string& record) {
  try {
    const io::ZipArchive archive(io::MappedFile::open(path));
    for (const auto& [name, entry] : archive.entries()) {
      if (ends_with(name, record)) {
        return std::string(reinterpret_cast<const char*>(archive.file().data()) + entry.offset, entry.size);
      }
    }
  } catch (const lisa::Error&) {
  }
  return std::nullopt;
}

TEST(FuzzSeeds, EveryTargetRunsOverItsSeeds) {
  const auto& targets = registered_targets();
  std::set<std::string> seeded;
  for (const SeedRule& rule : seed_rules()) {
    SCOPED_TRACE(rule.target + " " + rule.folder + " " + rule.suffix);
    const auto target = targets.find(rule.target);
    ASSERT_NE(target, targets.end()) << "seeds.txt names an unknown target";
    int seeds = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(std::filesystem::path(LISA_TEST_DATA_DIR) / rule.folder)) {
      if (!entry.is_regular_file() || !ends_with(entry.path().string(), rule.suffix)) continue;
      SCOPED_TRACE(entry.path().string());
      const std::optional<std::string> bytes =
          rule.zip_record.empty() ? read_bytes(entry.path()) : zip_record_bytes(entry.path(), rule.zip_record);
      if (!bytes) continue;
      target->second(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size());
      ++seeds;
    }
    EXPECT_GT(seeds, 0) << "no seed file matches";
    seeded.insert(rule.target);
  }
  for (const auto& [name, function] : targets) EXPECT_TRUE(seeded.count(name)) << name << " has no seeds";
  EXPECT_EQ(targets.size(), 7u);
}

}  // namespace
}  // namespace lisa::fuzz
