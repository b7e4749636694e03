#include "lisa/io/hf_cache.h"

#include <cctype>
#include <cstdlib>
#include <vector>

#include "lisa/error.h"
#include "lisa/io/regular_file.h"

namespace lisa::io {

namespace {
const char* env(const char* name) {
  const char* value = std::getenv(name);
  return value && *value ? value : nullptr;
}

// A model id may only be one or two plain path components, so it cannot point elsewhere.
bool is_model_id(const std::string& reference) {
  if (reference.empty() || reference.front() == '/' || reference.back() == '/') return false;
  size_t slashes = 0;
  for (char c : reference) {
    if (c == '/') ++slashes;
    else if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  }
  const std::filesystem::path path(reference);
  for (const auto& part : path)
    if (part == "." || part == "..") return false;
  return slashes <= 1;
}

std::string read_revision(const std::filesystem::path& ref) {
  const std::string text = read_regular_file(ref, 4096, "a Hugging Face ref file");
  std::string revision = text.substr(0, text.find('\n'));
  while (!revision.empty() && std::isspace(static_cast<unsigned char>(revision.back()))) revision.pop_back();
  return revision;
}

std::filesystem::path newest_snapshot(const std::filesystem::path& snapshots) {
  std::filesystem::path newest;
  std::filesystem::file_time_type newest_time{};
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(snapshots, error)) {
    if (!entry.is_directory()) continue;
    const auto time = entry.last_write_time();
    if (newest.empty() || time > newest_time) {
      newest = entry.path();
      newest_time = time;
    }
  }
  return newest;
}
}  // namespace

std::filesystem::path hf_hub_cache() {
  if (const char* cache = env("HF_HUB_CACHE")) return cache;
  if (const char* home = env("HF_HOME")) return std::filesystem::path(home) / "hub";
  if (const char* xdg = env("XDG_CACHE_HOME")) return std::filesystem::path(xdg) / "huggingface" / "hub";
  const char* user_home = env("HOME");
  return std::filesystem::path(user_home ? user_home : "/") / ".cache" / "huggingface" / "hub";
}

std::filesystem::path resolve_model_dir(const std::string& reference) {
  if (std::filesystem::is_directory(reference)) return reference;
  std::vector<std::string> looked{reference + " (as a directory)"};
  auto fail = [&] {
    std::string message = "model '" + reference + "' not found; looked at:";
    for (const auto& place : looked) message += "\n  " + place;
    throw Error(message);
  };
  if (!is_model_id(reference)) fail();

  std::string folder = "models--" + reference;
  for (size_t at = folder.find('/'); at != std::string::npos; at = folder.find('/', at)) folder.replace(at, 1, "--");
  const auto repo = hf_hub_cache() / folder;
  const auto snapshots = repo / "snapshots";

  const auto ref = repo / "refs" / "main";
  if (std::filesystem::is_regular_file(ref)) {
    const auto revision = read_revision(ref);
    const auto snapshot = snapshots / revision;
    const bool plain = !revision.empty() && revision != "." && revision != ".." &&
                       std::filesystem::path(revision).filename() == revision;
    if (plain && std::filesystem::is_directory(snapshot))
      return snapshot;
    looked.push_back(ref.string() + " (names revision '" + revision + "', but " + snapshot.string() +
                     " is not a directory)");
  } else {
    looked.push_back(ref.string() + " (no such file)");
  }
  const auto newest = newest_snapshot(snapshots);
  if (!newest.empty()) return newest;
  looked.push_back(snapshots.string() + " (no snapshot directories)");
  fail();
  return {};
}

}  // namespace lisa::io
