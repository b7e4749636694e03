// Checkpoint: directory layouts, sharding, dtype conversion, and the values of every fixture
// tensor in both formats against the expected.json written alongside the fixtures.
#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include "io_fixtures.h"
#include "lisa/io/checkpoint.h"
#include "lisa/io/json_file.h"

namespace lisa::testing {
namespace {

using ::testing::HasSubstr;
using io::Checkpoint;

at::ScalarType dtype_named(const std::string& name) {
  static const std::map<std::string, at::ScalarType> dtypes = {
      {"float64", at::kDouble}, {"float32", at::kFloat}, {"float16", at::kHalf}, {"bfloat16", at::kBFloat16},
      {"int64", at::kLong},     {"int32", at::kInt},     {"int16", at::kShort}, {"int8", at::kChar},
      {"uint8", at::kByte},     {"bool", at::kBool}};
  return dtypes.at(name);
}

// Every tensor of expected.json, with its storage dtype, shape and exact values.
void expect_expected_values(const Checkpoint& checkpoint) {
  const auto expected = io::read_json_file(io_fixture("values/expected.json"));
  ASSERT_EQ(checkpoint.names().size(), expected.size());
  for (const auto& [name, entry] : expected.items()) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(checkpoint.contains(name));
    const auto& info = checkpoint.info(name);
    EXPECT_EQ(info.dtype, dtype_named(entry["dtype"]));
    EXPECT_EQ(info.shape, entry["shape"].get<std::vector<int64_t>>());
    const auto stored = checkpoint.load(name);
    EXPECT_EQ(stored.scalar_type(), info.dtype);
    EXPECT_TRUE(stored.is_contiguous());
    const auto values = checkpoint.load(name, at::kCPU, at::kDouble).flatten();
    const auto want = entry["values"].get<std::vector<double>>();
    ASSERT_EQ(values.numel(), static_cast<int64_t>(want.size()));
    for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(values[i].item<double>(), want[i]) << "element " << i;
  }
}

class CheckpointValues : public ::testing::TestWithParam<std::string> {};

TEST_P(CheckpointValues, SingleFileDirectoryMatchesExpectedValues) {
  const auto checkpoint = Checkpoint::open(io_fixture("values/" + GetParam()));
  EXPECT_EQ(checkpoint.format(), GetParam() == "bin" ? "pytorch" : "safetensors");
  expect_expected_values(checkpoint);
}

TEST_P(CheckpointValues, ShardedDirectoryMatchesExpectedValues) {
  const auto checkpoint = Checkpoint::open(io_fixture("sharded/" + GetParam()));
  expect_expected_values(checkpoint);
  // Tensors come from both shards.
  std::set<std::string> files;
  for (const auto& name : checkpoint.names()) files.insert(checkpoint.info(name).file.filename().string());
  EXPECT_EQ(files.size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Formats, CheckpointValues, ::testing::Values("safetensors", "bin"));

TEST(Checkpoint, BinAndSafetensorsTwinsHoldTheSameTensors) {
  const auto bin = Checkpoint::open(io_fixture("lisa-tiny-bin"));
  const auto safetensors = Checkpoint::open(io_fixture("lisa-tiny-safetensors"));
  ASSERT_EQ(bin.names(), safetensors.names());
  for (const auto& name : bin.names()) {
    EXPECT_EQ(bin.info(name).dtype, safetensors.info(name).dtype) << name;
    EXPECT_TRUE(at::equal(bin.load(name), safetensors.load(name))) << name;
  }
}

TEST(Checkpoint, OpensOneFileGivenDirectly) {
  const auto checkpoint = Checkpoint::open(io_fixture("values/safetensors/model.safetensors"));
  EXPECT_EQ(checkpoint.format(), "safetensors");
  EXPECT_TRUE(checkpoint.contains("bf16"));
}

TEST(Checkpoint, OpensAnIndexGivenDirectly) {
  const auto checkpoint = Checkpoint::open(io_fixture("sharded/safetensors/model.safetensors.index.json"));
  EXPECT_TRUE(checkpoint.contains("f32"));
  EXPECT_TRUE(checkpoint.contains("f16"));
}

TEST(Checkpoint, NamesAreSorted) {
  const auto names = Checkpoint::open(io_fixture("values/safetensors")).names();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
}

TEST(Checkpoint, ConvertsToTheRequestedDtype) {
  const auto checkpoint = Checkpoint::open(io_fixture("values/safetensors"));
  const auto half = checkpoint.load("f32", at::kCPU, at::kHalf);
  EXPECT_EQ(half.scalar_type(), at::kHalf);
  EXPECT_TRUE(at::equal(half.to(at::kFloat), checkpoint.load("f32")));
  const auto widened = checkpoint.load("bf16", at::kCPU, at::kFloat);
  EXPECT_EQ(widened.scalar_type(), at::kFloat);
  EXPECT_EQ(widened[0].item<float>(), -0.5f);
}

TEST(Checkpoint, WritingALoadedTensorLeavesTheFileAlone) {
  const auto path = io_fixture("values/safetensors");
  auto tensor = Checkpoint::open(path).load("f32");
  tensor.fill_(42.0f);
  EXPECT_EQ(Checkpoint::open(path).load("f32")[0][1].item<float>(), 0.5f);
}

TEST(Checkpoint, CpuLoadWithoutConversionAliasesTheMapping) {
  const auto checkpoint = Checkpoint::open(io_fixture("values/safetensors"));
  EXPECT_EQ(checkpoint.load("f32").data_ptr(), checkpoint.load("f32").data_ptr());
}

TEST(Checkpoint, LoadCopyOwnsItsBytes) {
  const auto checkpoint = Checkpoint::open(io_fixture("values/bin"));
  for (const char* name : {"f32", "view", "bf16"}) {
    const auto view = checkpoint.load(name);
    const auto copy = checkpoint.load_copy(name);
    EXPECT_NE(copy.data_ptr(), view.data_ptr()) << name;
    EXPECT_TRUE(copy.is_contiguous()) << name;
    EXPECT_TRUE(at::equal(copy, view)) << name;
  }
  EXPECT_EQ(checkpoint.load_copy("f16", at::kFloat).scalar_type(), at::kFloat);
}

TEST(Checkpoint, LargeTensorsCopyAndConvertExactly) {
  // Above the 2 MiB threshold where copies get huge-page-aligned memory of their own.
  const auto path = std::filesystem::path(::testing::TempDir()) / "large.safetensors";
  const int64_t numel = 3 << 20;  // fp32: 12 MiB
  const std::string header = R"({"big":{"dtype":"F32","shape":[3,1048576],"data_offsets":[0,)" +
                             std::to_string(numel * 4) + "]}}";
  {
    std::ofstream out(path, std::ios::binary);
    const uint64_t length = header.size();
    out.write(reinterpret_cast<const char*>(&length), 8);
    out << header;
    const auto values = at::arange(numel, at::kFloat);
    out.write(static_cast<const char*>(values.data_ptr()), numel * 4);
  }
  const auto checkpoint = Checkpoint::open(path);
  const auto expected = at::arange(numel, at::kFloat).view({3, 1048576});
  EXPECT_TRUE(at::equal(checkpoint.load_copy("big"), expected));
  EXPECT_TRUE(at::equal(checkpoint.load("big", at::kCPU, at::kDouble), expected.to(at::kDouble)));
  std::filesystem::remove(path);
}

TEST(Checkpoint, UnknownNameIsAnErrorNamingIt) {
  const auto checkpoint = Checkpoint::open(io_fixture("values/safetensors"));
  EXPECT_FALSE(checkpoint.contains("nope"));
  EXPECT_THAT(error_of([&] { checkpoint.info("nope"); }), HasSubstr("'nope'"));
  EXPECT_THAT(error_of([&] { checkpoint.load("nope"); }), HasSubstr("'nope'"));
}

TEST(Checkpoint, DirectoryWithoutWeightsListsWhatItLookedFor) {
  const auto message = error_of([] { Checkpoint::open(io_fixture("bad/no_checkpoint")); });
  EXPECT_THAT(message, HasSubstr("no_checkpoint"));
  EXPECT_THAT(message, HasSubstr("model.safetensors.index.json"));
  EXPECT_THAT(message, HasSubstr("pytorch_model.bin"));
}

TEST(Checkpoint, MissingPathIsAnError) {
  EXPECT_THAT(error_of([] { Checkpoint::open(io_fixture("bad/does_not_exist")); }),
              HasSubstr("does_not_exist: no such file or directory"));
}

TEST(ShardIndex, MissingShardIsNamed) {
  const auto message = error_of([] { Checkpoint::open(io_fixture("bad/missing_shard")); });
  EXPECT_THAT(message, HasSubstr("model.safetensors.index.json"));
  EXPECT_THAT(message, HasSubstr("'model-00002-of-00002.safetensors'"));
  EXPECT_THAT(message, HasSubstr("does not exist"));
}

TEST(ShardIndex, ShardOutsideTheDirectoryIsRefused) {
  const auto message = error_of([] { Checkpoint::open(io_fixture("bad/escaping_shard")); });
  EXPECT_THAT(message, HasSubstr("model.safetensors.index.json"));
  EXPECT_THAT(message, HasSubstr("not a plain file name"));
}

TEST(ShardIndex, TensorMissingFromItsShardIsNamed) {
  const auto message = error_of([] { Checkpoint::open(io_fixture("bad/wrong_shard")); });
  EXPECT_THAT(message, HasSubstr("model.safetensors.index.json"));
  EXPECT_THAT(message, HasSubstr("'u'"));
  EXPECT_THAT(message, HasSubstr("does not hold it"));
}

}  // namespace
}  // namespace lisa::testing
