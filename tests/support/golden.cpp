#include "support/golden.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "lisa/error.h"
#include "lisa/image/clip_preprocess.h"
#include "lisa/image/read_image.h"
#include "lisa/io/json_file.h"

namespace lisa::testing {

namespace fs = std::filesystem;

const fs::path& golden_root() {
  static const fs::path root = fs::path(LISA_TEST_DATA_DIR) / "golden";
  return root;
}

fs::path golden_lisa_bin_dir() { return golden_root() / "models" / "lisa-tiny-bin"; }
fs::path golden_lisa_safetensors_dir() { return golden_root() / "models" / "lisa-tiny-safetensors"; }
fs::path golden_clip_dir() { return golden_root() / "models" / "clip-tiny"; }

pipeline::EngineOptions golden_engine_options() {
  pipeline::EngineOptions options;
  options.model = golden_lisa_bin_dir();
  options.vision_tower = golden_clip_dir().string();
  options.device = "cpu";
  return options;
}

namespace {

// FIPS 180-4 SHA-256; the tests need it to compare against hashes the generator wrote.
class Sha256 {
 public:
  void update(const uint8_t* data, size_t size) {
    total_bytes_ += size;
    while (size > 0) {
      const size_t take = std::min(size, block_.size() - fill_);
      std::memcpy(block_.data() + fill_, data, take);
      fill_ += take;
      data += take;
      size -= take;
      if (fill_ == block_.size()) {
        compress();
        fill_ = 0;
      }
    }
  }

  std::string hex_digest() {
    const uint64_t bits = total_bytes_ * 8;
    const uint8_t one_bit = 0x80;
    update(&one_bit, 1);
    const uint8_t zero = 0;
    while (fill_ != 56) update(&zero, 1);
    uint8_t length[8];
    for (int i = 0; i < 8; ++i) length[i] = static_cast<uint8_t>(bits >> (56 - 8 * i));
    update(length, 8);
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (uint32_t word : state_)
      for (int shift = 28; shift >= 0; shift -= 4) out.push_back(digits[(word >> shift) & 0xf]);
    return out;
  }

 private:
  static uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

  void compress() {
    static const uint32_t k[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
    uint32_t w[64];
    for (int i = 0; i < 16; ++i)
      w[i] = uint32_t{block_[4 * i]} << 24 | uint32_t{block_[4 * i + 1]} << 16 | uint32_t{block_[4 * i + 2]} << 8 |
             uint32_t{block_[4 * i + 3]};
    for (int i = 16; i < 64; ++i) {
      const uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      const uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = state_[0], b = state_[1], c = state_[2], d = state_[3];
    uint32_t e = state_[4], f = state_[5], g = state_[6], h = state_[7];
    for (int i = 0; i < 64; ++i) {
      const uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + k[i] + w[i];
      const uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      h = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    const uint32_t add[8] = {a, b, c, d, e, f, g, h};
    for (int i = 0; i < 8; ++i) state_[i] += add[i];
  }

  std::array<uint32_t, 8> state_{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  std::array<uint8_t, 64> block_{};
  size_t fill_ = 0;
  uint64_t total_bytes_ = 0;
};

void expect_hash(const GoldenCase& c, const std::string& key, const std::string& actual) {
  const std::string expected = c.meta.at(key).get<std::string>();
  if (actual != expected)
    throw Error(c.dir.string() + ": the engine's " + key.substr(0, key.size() - 7) +
                " differ from the reference's (sha256 " + actual + ", expected " + expected + ")");
}

}  // namespace

std::string sha256_hex(const void* data, size_t size) {
  Sha256 hash;
  hash.update(static_cast<const uint8_t*>(data), size);
  return hash.hex_digest();
}

std::string sha256_hex(const at::Tensor& tensor) {
  const at::Tensor bytes = tensor.to(at::kCPU).contiguous();
  return sha256_hex(bytes.data_ptr(), bytes.nbytes());
}

GoldenCase GoldenCase::load(const fs::path& dir) {
  nlohmann::json meta = io::read_json_file(dir / "case.json");
  if (!meta.contains("tensors") || !meta.at("tensors").is_string())
    throw Error((dir / "case.json").string() + ": no \"tensors\" file name");
  io::Checkpoint tensors = io::Checkpoint::open(dir / meta.at("tensors").get<std::string>());
  return GoldenCase{meta.value("kind", ""), dir.filename().string(), dir, std::move(meta), std::move(tensors)};
}

fs::path GoldenCase::image_path() const { return golden_root() / meta.at("image").get<std::string>(); }

std::vector<fs::path> GoldenCase::mask_paths() const {
  std::vector<fs::path> paths;
  for (const auto& mask : meta.at("masks")) paths.push_back(dir / mask.get<std::string>());
  return paths;
}

at::Tensor GoldenCase::clip_pixels() const {
  at::Tensor pixels = image::clip_preprocess(image::read_image(image_path()));
  expect_hash(*this, "clip_pixels_sha256", sha256_hex(pixels));
  return pixels;
}

image::SamInput GoldenCase::sam_input() const {
  image::SamInput input = image::sam_preprocess(image::read_image(image_path()));
  expect_hash(*this, "sam_pixels_uint8_sha256", sha256_hex(input.resized.data(), input.resized.size_bytes()));
  return input;
}

std::vector<GoldenCase> golden_cases(const std::string& kind) {
  std::vector<fs::path> dirs;
  const fs::path root = golden_root() / kind;
  if (fs::is_directory(root))
    for (const auto& entry : fs::directory_iterator(root))
      if (fs::is_regular_file(entry.path() / "case.json")) dirs.push_back(entry.path());
  std::sort(dirs.begin(), dirs.end());
  std::vector<GoldenCase> cases;
  for (const auto& dir : dirs) cases.push_back(GoldenCase::load(dir));
  return cases;
}

double iou_with_mask_png(const at::Tensor& mask, const std::filesystem::path& png) {
  const cv::Mat golden = cv::imread(png.string(), cv::IMREAD_GRAYSCALE);
  EXPECT_FALSE(golden.empty()) << png;
  const at::Tensor expected = at::from_blob(golden.data, {golden.rows, golden.cols}, at::kByte).clone().gt(0);
  EXPECT_EQ(mask.sizes(), expected.sizes()) << png;
  if (mask.sizes() != expected.sizes()) return 0;
  const double uni = (mask | expected).sum().item<double>();
  return uni == 0 ? 1.0 : (mask & expected).sum().item<double>() / uni;
}

}  // namespace lisa::testing
