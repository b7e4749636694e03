#pragma once
// The JSON file a config is read from: `path` itself, or `default_name` inside it when it is a directory.
#include <nlohmann/json.hpp>

#include <filesystem>

#include "lisa/io/json_file.h"

namespace lisa::config {

struct ConfigFile {
  std::filesystem::path path;
  nlohmann::json json;
};

inline ConfigFile read_config_file(const std::filesystem::path& path, const char* default_name) {
  const auto file = std::filesystem::is_directory(path) ? path / default_name : path;
  return {file, io::read_json_file(file)};
}

}  // namespace lisa::config
