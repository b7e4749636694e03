#include "lisa/io/json_file.h"

#include <fstream>
#include <sstream>

#include "lisa/error.h"

namespace lisa::io {

namespace {
constexpr std::uintmax_t kMaxJsonBytes = 64ull << 20;
}

nlohmann::json read_json_file(const std::filesystem::path& path) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  if (error) throw Error(path.string() + ": cannot read (" + error.message() + ")");
  if (size > kMaxJsonBytes)
    throw Error(path.string() + ": " + std::to_string(size) + " bytes is too large for a JSON metadata file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& e) {
    throw Error(path.string() + ": invalid JSON: " + e.what());
  }
}

}  // namespace lisa::io
