#include "io/safetensors_file.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>

#include "io/checked_size.h"
#include "io/little_endian.h"
#include "lisa/error.h"

namespace lisa::io {

namespace {
// A header larger than this is not a plausible tensor index (safetensors itself caps it at 100 MB).
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

const std::map<std::string, at::ScalarType>& dtype_names() {
  static const std::map<std::string, at::ScalarType> names = {
      {"F64", at::kDouble}, {"F32", at::kFloat}, {"F16", at::kHalf},   {"BF16", at::kBFloat16},
      {"I64", at::kLong},   {"I32", at::kInt},   {"I16", at::kShort},  {"I8", at::kChar},
      {"U8", at::kByte},    {"BOOL", at::kBool},
  };
  return names;
}

struct Range {
  uint64_t begin;
  uint64_t end;
  size_t position;  // in the file's tensor table
};

class HeaderParser {
 public:
  HeaderParser(const std::filesystem::path& path, uint64_t data_bytes) : path_(path), data_bytes_(data_bytes) {}

  template <typename... Problem>
  [[noreturn]] void fail(const std::string& name, const Problem&... problem) const {
    throw Error(detail::concat(path_.string(), ": safetensors tensor '", name, "': ", problem...));
  }

  TensorInfo info(const std::string& name, const nlohmann::json& entry, Range& range) const {
    if (!entry.is_object()) fail(name, "header entry is not an object");
    TensorInfo info{name, at::kFloat, {}, path_};

    auto dtype = entry.find("dtype");
    if (dtype == entry.end() || !dtype->is_string()) fail(name, "missing string field 'dtype'");
    auto known = dtype_names().find(dtype->get<std::string>());
    if (known == dtype_names().end()) fail(name, "unsupported dtype '", dtype->get<std::string>(), "'");
    info.dtype = known->second;

    auto shape = entry.find("shape");
    if (shape == entry.end() || !shape->is_array()) fail(name, "missing array field 'shape'");
    for (const auto& dim : *shape) {
      if (!dim.is_number_unsigned() || dim.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
        fail(name, "shape ", shape->dump(), " has an entry that is not a non-negative integer");
      info.shape.push_back(static_cast<int64_t>(dim.get<uint64_t>()));
    }

    auto offsets = entry.find("data_offsets");
    if (offsets == entry.end() || !offsets->is_array() || offsets->size() != 2 || !(*offsets)[0].is_number_unsigned() ||
        !(*offsets)[1].is_number_unsigned())
      fail(name, "'data_offsets' must be two non-negative integers");
    range.begin = (*offsets)[0].get<uint64_t>();
    range.end = (*offsets)[1].get<uint64_t>();
    if (range.begin > range.end) fail(name, "data_offsets ", offsets->dump(), " end before they begin");
    if (range.end > data_bytes_)
      fail(name, "data_offsets ", offsets->dump(), " run past the data section (", data_bytes_,
           " bytes; the file may be truncated)");

    auto nbytes = checked_nbytes(info.shape, info.dtype);
    if (!nbytes) fail(name, "shape ", shape->dump(), " is too large");
    if (*nbytes != range.end - range.begin)
      fail(name, "shape ", shape->dump(), " of ", dtype->get<std::string>(), " needs ", *nbytes,
           " bytes but data_offsets ", offsets->dump(), " hold ", range.end - range.begin);
    return info;
  }

 private:
  const std::filesystem::path& path_;
  uint64_t data_bytes_;
};

void check_disjoint(const std::filesystem::path& path, const std::vector<TensorInfo>& tensors,
                    std::vector<Range> ranges) {
  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) { return a.begin < b.begin; });
  const Range* previous = nullptr;
  for (const auto& range : ranges) {
    if (range.begin == range.end) continue;  // empty tensors occupy no bytes
    LISA_CHECK(!previous || range.begin >= previous->end, path.string(), ": safetensors tensors '",
               tensors[previous->position].name, "' and '", tensors[range.position].name, "' overlap (bytes ",
               range.begin, " to ", previous->end, ")");
    previous = &range;
  }
}
}  // namespace

std::unique_ptr<SafetensorsFile> SafetensorsFile::open(const std::filesystem::path& path) {
  auto mapped = MappedFile::open(path);
  const std::string where = path.string() + ": safetensors header: ";
  LISA_CHECK(mapped->size() >= 8, where, "file is ", mapped->size(), " bytes, too short for the 8-byte length");
  const auto header_bytes = load_le<uint64_t>(mapped->data());
  LISA_CHECK(header_bytes <= mapped->size() - 8, where, "claims ", header_bytes, " bytes but the file has only ",
             mapped->size() - 8, " after the length (truncated or not safetensors)");
  LISA_CHECK(header_bytes <= kMaxHeaderBytes, where, "claims ", header_bytes, " bytes, more than the ",
             kMaxHeaderBytes, " allowed");

  const char* text = reinterpret_cast<const char*>(mapped->data() + 8);
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(text, text + header_bytes);
  } catch (const nlohmann::json::exception& e) {
    throw Error(detail::concat(where, "invalid JSON: ", e.what()));
  }
  LISA_CHECK(header.is_object(), where, "is not a JSON object");

  const uint64_t data_start = 8 + header_bytes;
  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile(mapped));
  HeaderParser parser(path, mapped->size() - data_start);
  std::vector<Range> ranges;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;  // free-form string map; nothing in it changes the tensors
    Range range{};
    range.position = file->table_.add(parser.info(name, entry, range));
    file->offsets_.push_back(data_start + range.begin);
    ranges.push_back(range);
  }
  check_disjoint(path, file->table_.all(), std::move(ranges));
  return file;
}

at::Tensor SafetensorsFile::read(const std::string& name) const {
  const size_t position = table_.position(name, file_->path());
  const auto& info = table_.all()[position];
  const int64_t numel = info.numel();
  return file_->tensor(offsets_[position], numel, info.dtype).view(info.shape);
}

}  // namespace lisa::io
