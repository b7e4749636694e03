#include <unistd.h>

#include <fstream>

#include "fuzz_target.h"

namespace lisa::fuzz {

std::filesystem::path write_scratch_file(const std::string& name, const uint8_t* data, size_t size) {
  static const std::filesystem::path folder = [] {
    auto path = std::filesystem::temp_directory_path() / ("lisa-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path);
    return path;
  }();
  const auto path = folder / name;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  LISA_INTERNAL_ASSERT(out.flush(), "cannot write the scratch file ", path.string());
  return path;
}

}  // namespace lisa::fuzz
