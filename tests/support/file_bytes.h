#pragma once
// Whole-file reads and writes for tests that check what a command or a writer left on disk.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace lisa::testing {

// The file's bytes; empty when it cannot be opened (the caller's expectations then fail).
inline std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

}  // namespace lisa::testing
