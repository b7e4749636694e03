#pragma once
// Reading a small JSON file (configs, shard indexes, tokenizer metadata) with errors that name it.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

namespace lisa::io {

// Parses `path`; throws lisa::Error naming the file when it is missing, not a regular file (a FIFO
// is refused without waiting on it, see regular_file.h), too large for a metadata file (over
// 64 MiB), or not valid JSON.
nlohmann::json read_json_file(const std::filesystem::path& path);

}  // namespace lisa::io
