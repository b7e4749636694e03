// Issue 12 asks for the fidelity figures also on weights with heavy tails, as trained LLaMA weights
// have them, "reported even where they miss": so this is a report, run by
// scripts/bench/quant_heavy_tails.sh and not by the suite (DISABLED_). It redraws the golden tiny
// checkpoint's quantized projections (q/k/v/o, gate/up/down, lm_head) from a Student-t distribution
// with 3 degrees of freedom, scaled to each matrix's RMS, with 1% of each matrix's input columns
// (at least 2) ten times larger, and measures int8 and int4 against that checkpoint's bf16 run with
// the golden test's bars (support/quant_fidelity.h): a bar missed shows as a failed expectation.
#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <regex>

#include "lisa/io/checkpoint.h"
#include "lisa/io/safetensors_writer.h"
#include "support/cli.h"
#include "support/quant_fidelity.h"

namespace {

namespace fs = std::filesystem;
namespace models = lisa::models;

bool is_quantized_projection(const std::string& name) {
  static const std::regex projection(
      R"(model\.layers\.\d+\.(self_attn\.(q|k|v|o)_proj|mlp\.(gate|up|down)_proj)\.weight|lm_head\.weight)");
  return std::regex_match(name, projection);
}

// [out, in] weights of the same RMS as `like`: Student-t(3) entries, outlier input columns x10.
at::Tensor heavy_tailed_like(const at::Tensor& like, at::Generator& generator) {
  constexpr int kDegrees = 3;
  const auto shape = like.sizes();
  at::Tensor chi2 = at::zeros(shape, at::kFloat);
  for (int i = 0; i < kDegrees; ++i) chi2 += at::randn(shape, generator, at::kFloat).square();
  at::Tensor t = at::randn(shape, generator, at::kFloat) / (chi2 / kDegrees).sqrt();
  const int64_t columns = shape[1];
  const int64_t outliers = std::max<int64_t>(2, columns / 100);
  const at::Tensor picked = at::randperm(columns, generator, at::kLong).slice(0, 0, outliers);
  t.index_copy_(1, picked, t.index_select(1, picked) * 10);
  const at::Tensor rms = like.to(at::kFloat).square().mean().sqrt();
  return (t * (rms / t.square().mean().sqrt())).to(like.scalar_type());
}

// The golden safetensors checkpoint with its quantized projections redrawn, written once.
const fs::path& heavy_tailed_checkpoint() {
  static const fs::path dir = [] {
    const fs::path golden = lisa::testing::golden_lisa_safetensors_dir();
    const fs::path out = lisa::testing::fresh_dir("quant_heavy_tails") / "lisa";
    fs::create_directories(out);
    for (const auto& entry : fs::directory_iterator(golden)) {
      const std::string name = entry.path().filename().string();
      if (entry.path().extension() != ".safetensors" && name != "model.safetensors.index.json")
        fs::copy_file(entry.path(), out / name);
    }
    const auto checkpoint = lisa::io::Checkpoint::open(golden);
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(20261202);
    std::vector<lisa::io::TensorToWrite> tensors;
    for (const std::string& name : checkpoint.names()) {
      const auto& info = checkpoint.info(name);
      tensors.push_back({name, info.dtype, info.shape, [&checkpoint, &generator, name] {
                           const at::Tensor tensor = checkpoint.load_copy(name);
                           return is_quantized_projection(name) ? heavy_tailed_like(tensor, generator) : tensor;
                         }});
    }
    lisa::io::write_safetensors(out / "model.safetensors", tensors);
    return out;
  }();
  return dir;
}

TEST(QuantHeavyTails, DISABLED_Report) {
  lisa::testing::FidelityReference reference(heavy_tailed_checkpoint());
  for (const auto mode : {models::QuantMode::kInt8, models::QuantMode::kInt4}) {
    SCOPED_TRACE(to_string(mode));
    const auto quantized = lisa::testing::load_quantized_engine(heavy_tailed_checkpoint(), mode);
    reference.compare(*quantized, "heavy tails " + to_string(mode), lisa::testing::fidelity_bars(mode));
  }
}

}  // namespace
