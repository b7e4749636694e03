#pragma once
// The entries of a zip archive that stores them uncompressed, as torch.save writes its
// checkpoints (including the zip64 records of archives over 4 GiB). Only the central directory
// and the local headers are read; entry bytes stay in the mapping.
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "io/mapped_file.h"
#include "lisa/error.h"

namespace lisa::io {

struct ZipEntry {
  uint64_t offset;  // of the entry's bytes in the file
  uint64_t size;
};

class ZipArchive {
 public:
  // Validates the directory: every entry stored (not compressed, not encrypted), inside the file,
  // names unique. Throws lisa::Error naming the file and the problem.
  explicit ZipArchive(std::shared_ptr<const MappedFile> file);

  const MappedFile& file() const { return *file_; }
  const std::map<std::string, ZipEntry>& entries() const { return entries_; }
  const ZipEntry* find(const std::string& name) const;

 private:
  // Throws lisa::Error naming the file, with the problem built from the arguments.
  template <typename... Problem>
  [[noreturn]] void fail(const Problem&... problem) const {
    fail_with(detail::concat(problem...));
  }
  [[noreturn]] void fail_with(const std::string& problem) const;
  uint64_t read_directory_end(uint64_t& directory_offset, uint64_t& entry_count) const;
  void read_entry(uint64_t& position, uint64_t directory_end);

  std::shared_ptr<const MappedFile> file_;
  std::map<std::string, ZipEntry> entries_;
};

}  // namespace lisa::io
