// The safetensors reader refuses every malformed header with a message naming the file and the
// problem, without crashing or allocating what the file claims.
#include <fstream>

#include "io/safetensors_file.h"
#include "io_fixtures.h"

namespace lisa::testing {
namespace {

using ::testing::HasSubstr;

class SafetensorsRejects : public ::testing::TestWithParam<BadFile> {};

TEST_P(SafetensorsRejects, NamingFileAndProblem) {
  const auto path = io_fixture(std::string("bad/") + GetParam().file);
  const auto message = error_of([&] { io::SafetensorsFile::open(path); });
  EXPECT_THAT(message, HasSubstr(path.string()));
  EXPECT_THAT(message, HasSubstr(GetParam().problem));
}

INSTANTIATE_TEST_SUITE_P(
    BadHeaders, SafetensorsRejects,
    ::testing::Values(BadFile{"short.safetensors", "too short for the 8-byte length"},
                      BadFile{"huge_header.safetensors", "claims 1152921504606846976 bytes but the file has only 2"},
                      BadFile{"bad_json.safetensors", "invalid JSON"},
                      BadFile{"not_object.safetensors", "is not a JSON object"},
                      BadFile{"truncated.safetensors", "run past the data section"},
                      BadFile{"out_of_bounds.safetensors", "data_offsets [16,32] run past the data section"},
                      BadFile{"reversed_offsets.safetensors", "end before they begin"},
                      BadFile{"overlap.safetensors", "tensors 'a' and 'b' overlap"},
                      BadFile{"unknown_dtype.safetensors", "unsupported dtype 'Q4_K'"},
                      BadFile{"shape_mismatch.safetensors", "needs 24 bytes but data_offsets [0,16] hold 16"},
                      BadFile{"negative_shape.safetensors", "not a non-negative integer"},
                      BadFile{"huge_shape.safetensors", "is too large"},
                      BadFile{"missing_offsets.safetensors", "'data_offsets' must be two non-negative integers"}),
    bad_file_test_name);

TEST(Safetensors, HeaderLengthAboveTheCapIsRefusedBeforeParsing) {
  // A header the file could hold but no sane checkpoint would have.
  const auto path = std::filesystem::path(::testing::TempDir()) / "oversized_header.safetensors";
  {
    std::ofstream out(path, std::ios::binary);
    const uint64_t claimed = 101ull << 20;
    out.write(reinterpret_cast<const char*>(&claimed), 8);
    out.seekp(static_cast<std::streamoff>(8 + claimed));
    out.put('\0');
  }
  EXPECT_THAT(error_of([&] { io::SafetensorsFile::open(path); }), HasSubstr("more than the 104857600 allowed"));
  std::filesystem::remove(path);
}

TEST(Safetensors, MetadataIsSkippedAndTensorsAliasTheMapping) {
  const auto file = io::SafetensorsFile::open(io_fixture("sharded/safetensors/model-00001-of-00002.safetensors"));
  for (const auto& info : file->tensors()) EXPECT_NE(info.name, "__metadata__");
  const auto first = file->read("f32");
  const auto second = file->read("f32");
  EXPECT_EQ(first.data_ptr(), second.data_ptr());
  EXPECT_EQ(first.sizes(), at::IntArrayRef({3, 4}));
}

}  // namespace
}  // namespace lisa::testing
