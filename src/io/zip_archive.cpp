#include "io/zip_archive.h"

#include <algorithm>

#include "io/checked_size.h"
#include "io/little_endian.h"
#include "lisa/error.h"

namespace lisa::io {

namespace {
constexpr uint32_t kLocalHeader = 0x04034b50;
constexpr uint32_t kCentralHeader = 0x02014b50;
constexpr uint32_t kDirectoryEnd = 0x06054b50;
constexpr uint32_t kZip64DirectoryEnd = 0x06064b50;
constexpr uint32_t kZip64Locator = 0x07064b50;
constexpr uint64_t kDirectoryEndSize = 22;
constexpr uint64_t kZip64LocatorSize = 20;
constexpr uint64_t kZip64DirectoryEndSize = 56;
constexpr uint64_t kCentralHeaderSize = 46;
constexpr uint64_t kLocalHeaderSize = 30;
constexpr uint64_t kMaxComment = 0xFFFF;
}  // namespace

ZipArchive::ZipArchive(std::shared_ptr<const MappedFile> file) : file_(std::move(file)) {
  uint64_t directory_offset = 0;
  uint64_t entry_count = 0;
  const uint64_t directory_end = read_directory_end(directory_offset, entry_count);
  if (directory_offset > directory_end)
    fail("central directory starts at ", directory_offset, ", past its end");
  // Each entry takes at least a fixed-size header, which bounds the count a file can claim.
  if (entry_count > (directory_end - directory_offset) / kCentralHeaderSize)
    fail("central directory claims ", entry_count, " entries, more than it can hold");
  uint64_t position = directory_offset;
  for (uint64_t i = 0; i < entry_count; ++i) read_entry(position, directory_end);
}

void ZipArchive::fail_with(const std::string& problem) const {
  throw Error(detail::concat(file_->path().string(), ": zip archive: ", problem));
}

const ZipEntry* ZipArchive::find(const std::string& name) const {
  auto found = entries_.find(name);
  return found == entries_.end() ? nullptr : &found->second;
}

// Returns where the central directory must end (the start of the end records).
uint64_t ZipArchive::read_directory_end(uint64_t& directory_offset, uint64_t& entry_count) const {
  const uint8_t* data = file_->data();
  const uint64_t size = file_->size();
  if (size < kDirectoryEndSize) fail("file is too short to be a zip archive (truncated?)");
  // The end record sits before a comment of at most 64 KiB; search backwards for its signature.
  uint64_t end = size - kDirectoryEndSize;
  const uint64_t lowest = end > kMaxComment ? end - kMaxComment : 0;
  while (load_le<uint32_t>(data + end) != kDirectoryEnd) {
    if (end == lowest) fail("no end-of-central-directory record (file truncated or not a zip archive)");
    --end;
  }
  entry_count = load_le<uint16_t>(data + end + 10);
  uint64_t directory_size = load_le<uint32_t>(data + end + 12);
  directory_offset = load_le<uint32_t>(data + end + 16);
  uint64_t directory_end = end;
  const bool zip64 = entry_count == 0xFFFF || directory_size == 0xFFFFFFFF || directory_offset == 0xFFFFFFFF;
  if (zip64) {
    if (end < kZip64LocatorSize || load_le<uint32_t>(data + end - kZip64LocatorSize) != kZip64Locator)
      fail("zip64 sizes without a zip64 locator");
    const uint64_t record = load_le<uint64_t>(data + end - kZip64LocatorSize + 8);
    if (record > end - kZip64LocatorSize || end - kZip64LocatorSize - record < kZip64DirectoryEndSize ||
        load_le<uint32_t>(data + record) != kZip64DirectoryEnd)
      fail("zip64 end-of-central-directory record missing or out of place");
    entry_count = load_le<uint64_t>(data + record + 32);
    directory_size = load_le<uint64_t>(data + record + 40);
    directory_offset = load_le<uint64_t>(data + record + 48);
    directory_end = record;
  }
  auto claimed_end = checked_add(directory_offset, directory_size);
  if (!claimed_end || *claimed_end > directory_end)
    fail("central directory (offset ", directory_offset, ", ", directory_size,
         " bytes) runs past its end records (file truncated?)");
  return *claimed_end;
}

void ZipArchive::read_entry(uint64_t& position, uint64_t directory_end) {
  const uint8_t* data = file_->data();
  if (directory_end - position < kCentralHeaderSize || load_le<uint32_t>(data + position) != kCentralHeader)
    fail("central directory entry at ", position, " is malformed");
  const uint8_t* header = data + position;
  const uint16_t flags = load_le<uint16_t>(header + 8);
  const uint16_t method = load_le<uint16_t>(header + 10);
  uint64_t compressed = load_le<uint32_t>(header + 20);
  uint64_t size = load_le<uint32_t>(header + 24);
  const uint64_t name_length = load_le<uint16_t>(header + 28);
  const uint64_t extra_length = load_le<uint16_t>(header + 30);
  const uint64_t comment_length = load_le<uint16_t>(header + 32);
  uint64_t local = load_le<uint32_t>(header + 42);
  const uint64_t record_size = kCentralHeaderSize + name_length + extra_length + comment_length;
  if (directory_end - position < record_size)
    fail("central directory entry at ", position, " runs past the directory");
  const std::string name(reinterpret_cast<const char*>(header + kCentralHeaderSize), name_length);

  // Zip64 extended information: 8-byte values for exactly the fields saturated above, in order.
  const uint8_t* extra = header + kCentralHeaderSize + name_length;
  for (uint64_t at = 0; at + 4 <= extra_length;) {
    const uint16_t id = load_le<uint16_t>(extra + at);
    const uint64_t length = load_le<uint16_t>(extra + at + 2);
    if (at + 4 + length > extra_length) fail("entry '" + name + "' has a malformed extra field");
    if (id == 0x0001) {
      uint64_t field = at + 4;
      for (uint64_t* value : {&size, &compressed, &local}) {
        if (*value != 0xFFFFFFFF) continue;
        if (field + 8 > at + 4 + length) fail("entry '" + name + "' has a short zip64 extra field");
        *value = load_le<uint64_t>(extra + field);
        field += 8;
      }
    }
    at += 4 + length;
  }

  if (flags & 0x1) fail("entry '" + name + "' is encrypted");
  if (method != 0)
    fail("entry '", name, "' is compressed (method ", method, "); torch.save stores entries uncompressed");
  if (compressed != size) fail("entry '" + name + "' is stored but its two sizes differ");
  if (local > file_->size() || file_->size() - local < kLocalHeaderSize ||
      load_le<uint32_t>(data + local) != kLocalHeader)
    fail("entry '", name, "' has no local header at ", local, " (file truncated?)");
  // The local header's name and extra lengths may differ from the central copy's.
  const uint64_t offset = local + kLocalHeaderSize + load_le<uint16_t>(data + local + 26) +
                          load_le<uint16_t>(data + local + 28);
  auto end = checked_add(offset, size);
  if (!end || *end > file_->size())
    fail("entry '", name, "' (", size, " bytes at ", offset, ") runs past the end of the file (truncated?)");
  if (!entries_.emplace(name, ZipEntry{offset, size}).second) fail("entry '" + name + "' appears twice");
  position += record_size;
}

}  // namespace lisa::io
