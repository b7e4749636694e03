#pragma once
// Checks of what `lisa segment` leaves in its --out folder, shared by its command, interruption and
// full-disk tests.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lisa::testing {

// The lines of results.jsonl in file order, without their timings (which differ from run to run).
std::vector<nlohmann::json> comparable_lines(const std::filesystem::path& results);

// Per (image, prompt), the last line recorded for it, without timings (what --resume goes by).
std::map<std::string, nlohmann::json> last_lines(const std::filesystem::path& results);

// Asserts (gtest failures) that the folder holds no temporary file, that every mask PNG and
// overlay in it belongs to an item whose last line is a success, and that every such line's files
// exist (a sharded run's results.shard-*, manifest.shard-* and lock files aside). `context` names the
// situation in the failure messages.
void expect_all_files_accounted_for(const std::filesystem::path& out, const std::string& context);

}  // namespace lisa::testing
