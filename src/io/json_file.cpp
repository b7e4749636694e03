#include "lisa/io/json_file.h"

#include "lisa/error.h"
#include "lisa/io/regular_file.h"

namespace lisa::io {

namespace {
constexpr std::uintmax_t kMaxJsonBytes = 64ull << 20;
}

nlohmann::json read_json_file(const std::filesystem::path& path) {
  const std::string text = read_regular_file(path, kMaxJsonBytes, "a JSON metadata file");
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(detail::concat(path.string(), ": invalid JSON: ", e.what()));
  }
}

}  // namespace lisa::io
