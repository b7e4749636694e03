#pragma once
// Crash-safe output: a run killed at any instant (SIGKILL, power loss after fsync) leaves every
// output file either absent, or complete with its old or new content — never half written.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace lisa::render {

// Writes `bytes` to a hidden temporary file in the directory of `path` (so globs such as *.png
// never see it), fsyncs it, renames it over `path` and fsyncs the directory. The directory must
// exist. Throws lisa::Error naming the file and the cause ("No space left on device") on any
// failure, leaving `path` untouched and removing the temporary. Only a process killed while it
// writes leaves its temporary behind: "." + file name + ".tmp-" + pid + "-" + counter.
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

// True when `file_name` is exactly a temporary name of write_file_atomically (see above).
bool is_temporary_file_name(const std::string& file_name);

// Removes the temporaries of write_file_atomically that killed runs left directly in `dir` (a
// folder), returning their paths. Only for a folder this process has locked (another live writer's
// temporary would go too). Throws lisa::Error naming a file it cannot remove.
std::vector<std::filesystem::path> remove_stale_temporaries(const std::filesystem::path& dir);

// A log of one record per line (results.jsonl) that survives being killed mid-append.
// Each append writes the whole line and its '\n' on an O_APPEND descriptor, then fsyncs; a write
// cut short (fatal signal, full disk) can only leave an unterminated tail, which append_line itself
// cuts off when it fails and read_complete_lines() removes after a kill, before anything else is
// appended. So every '\n'-terminated line in the file is a line that was appended whole.
//
// Returns the complete lines of `path` (without their '\n'), truncating the file after the last
// '\n' if it ends in a partial line. A missing file reads as no lines. Call it once when resuming
// and before the first append_line() of a run.
std::vector<std::string> read_complete_lines(const std::filesystem::path& path);

// Appends `line` + '\n' to `path` (created if missing) and fsyncs it; one writer at a time.
// `line` must not contain '\n'. Throws lisa::Error naming the file and the cause (a write cut
// short is continued, so that a full disk reports "No space left on device") after cutting off
// whatever part of the line was written.
void append_line(const std::filesystem::path& path, std::string_view line);

namespace fault_injection {
// For tests: while one of these lives, the writes of write_file_atomically and append_line in this
// process fail with ENOSPC once `bytes` more bytes have been written (a write that crosses the limit
// is cut short there, as on a filling disk), deterministically at any point of a run. With
// `failures` > 0 the disk has room again after that many failed writes (as when the failing item's
// own files are removed); with -1 it stays full. One at a time.
class ScopedDiskFull {
 public:
  explicit ScopedDiskFull(long long bytes, int failures = -1);
  ~ScopedDiskFull();
  ScopedDiskFull(const ScopedDiskFull&) = delete;
  ScopedDiskFull& operator=(const ScopedDiskFull&) = delete;
};
}  // namespace fault_injection

}  // namespace lisa::render
