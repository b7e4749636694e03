// The torch.save archive reader: strided views read back exactly, and every malformed or
// malicious archive is refused with a message naming the file and the problem.
#include "io/torch_zip_file.h"
#include "io_fixtures.h"

namespace lisa::testing {
namespace {

using ::testing::HasSubstr;

TEST(TorchZip, KeepsTheSavedOffsetAndStrides) {
  const auto file = io::TorchZipFile::open(io_fixture("values/bin/pytorch_model.bin"));
  const auto base = file->read("base");
  const auto view = file->read("view");  // base[1:, ::2]
  EXPECT_EQ(view.storage_offset(), 6);
  EXPECT_EQ(view.strides(), at::IntArrayRef({6, 2}));
  EXPECT_TRUE(at::equal(view, base.slice(0, 1).slice(1, 0, 6, 2)));
  // The three tensors share one storage record, which is mapped, not copied.
  EXPECT_EQ(view.storage().data(), base.storage().data());
  EXPECT_TRUE(at::equal(file->read("transposed"), base.slice(0, 0, 2).slice(1, 0, 3).t()));
}

TEST(TorchZip, ReadsAHandWrittenArchive) {
  const auto file = io::TorchZipFile::open(io_fixture("bad/reference.bin"));
  ASSERT_EQ(file->tensors().size(), 1u);
  EXPECT_TRUE(at::equal(file->read("t"), at::arange(1, 5, at::kFloat)));
}

TEST(TorchZip, ReadsZip64Records) {
  // Sizes and offsets in zip64 extra fields, directory located through the zip64 end record,
  // as torch.save writes archives over 4 GiB.
  const auto file = io::TorchZipFile::open(io_fixture("bad/reference_zip64.bin"));
  EXPECT_TRUE(at::equal(file->read("t"), at::arange(1, 5, at::kFloat)));
}

class TorchZipRejects : public ::testing::TestWithParam<BadFile> {};

TEST_P(TorchZipRejects, NamingFileAndProblem) {
  const auto path = io_fixture(std::string("bad/") + GetParam().file);
  const auto message = error_of([&] { io::TorchZipFile::open(path); });
  EXPECT_THAT(message, HasSubstr(path.string()));
  EXPECT_THAT(message, HasSubstr(GetParam().problem));
}

INSTANTIATE_TEST_SUITE_P(
    BadArchives, TorchZipRejects,
    ::testing::Values(BadFile{"os_system.bin", "refuses global 'os.system'"},
                      BadFile{"eval_global.bin", "refuses global 'builtins.eval'"},
                      BadFile{"unknown_storage.bin", "refuses global 'torch.QInt8Storage'"},
                      BadFile{"truncated.bin", "no end-of-central-directory record"},
                      BadFile{"compressed.bin", "entry 'archive/data.pkl' is compressed (method 8)"},
                      BadFile{"big_endian.bin", "stored 'big'-endian"},
                      BadFile{"storage_too_small.bin", "'archive/data/0' holds 8 bytes"},
                      BadFile{"view_out_of_bounds.bin", "tensor 't' reaches past the 4 elements"},
                      BadFile{"missing_record.bin", "storage record 'archive/data/0' is missing"},
                      BadFile{"deep_nesting.bin", "holds a tuple, not a dict of tensors"},
                      BadFile{"huge_string.bin", "pickle is truncated"},
                      BadFile{"memo_miss.bin", "memo slot 5 that was never written"},
                      BadFile{"not_a_state_dict.bin", "holds a int, not a dict of tensors"},
                      BadFile{"legacy.bin", "too short to be a zip archive"}),
    bad_file_test_name);

TEST(TorchZip, LegacyFormatIsExplainedByCheckpoint) {
  const auto message = error_of([] { io::Checkpoint::open(io_fixture("bad/legacy.bin")); });
  EXPECT_THAT(message, HasSubstr("legacy.bin: not a zip archive"));
}

TEST(TorchZip, PickleErrorsNameTheRecord) {
  EXPECT_THAT(error_of([] { io::TorchZipFile::open(io_fixture("bad/os_system.bin")); }),
              HasSubstr("os_system.bin: archive/data.pkl: refuses global"));
}

}  // namespace
}  // namespace lisa::testing
