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
// exist. Throws lisa::Error naming the file on any failure, leaving `path` untouched.
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

// A log of one record per line (results.jsonl) that survives being killed mid-append.
// Each append is one write() of the whole line and its '\n' on an O_APPEND descriptor, then
// fsync; a write cut short (fatal signal, full disk) can only leave an unterminated tail, and
// read_complete_lines() removes such a tail before anything else is appended. So every '\n'-
// terminated line in the file is a line that was appended whole.
//
// Returns the complete lines of `path` (without their '\n'), truncating the file after the last
// '\n' if it ends in a partial line. A missing file reads as no lines. Call it once when resuming
// and before the first append_line() of a run.
std::vector<std::string> read_complete_lines(const std::filesystem::path& path);

// Appends `line` + '\n' to `path` (created if missing) and fsyncs it; one writer at a time.
// `line` must not contain '\n'. Throws lisa::Error on failure, after cutting off whatever part of
// the line was written.
void append_line(const std::filesystem::path& path, std::string_view line);

}  // namespace lisa::render
