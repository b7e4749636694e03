#include "lisa/models/weights.h"

#include <sstream>

#include "lisa/error.h"

namespace lisa::models {

namespace {
std::string shape_string(at::IntArrayRef shape) {
  std::ostringstream out;
  out << '[';
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << ']';
  return out.str();
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

WeightBinder::WeightBinder(const io::Checkpoint& checkpoint, at::Device device, at::ScalarType dtype)
    : checkpoint_(checkpoint), device_(device), dtype_(dtype) {}

bool WeightBinder::contains(const std::string& name) const { return checkpoint_.contains(name); }

std::vector<int64_t> WeightBinder::shape_of(const std::string& name) const {
  LISA_CHECK(checkpoint_.contains(name), checkpoint_.path().string(), ": missing weight '", name, "'");
  return checkpoint_.info(name).shape;
}

at::Tensor WeightBinder::bind(const std::string& name, at::IntArrayRef expected_shape,
                              std::optional<at::ScalarType> dtype) {
  const auto actual = shape_of(name);
  LISA_CHECK(at::IntArrayRef(actual) == expected_shape, checkpoint_.path().string(), ": weight '", name,
             "' has shape ", shape_string(actual), ", expected ", shape_string(expected_shape));
  bound_.insert(name);
  return checkpoint_.load(name, device_, dtype.value_or(dtype_));
}

void WeightBinder::ignore_prefix(const std::string& prefix) { ignored_prefixes_.push_back(prefix); }
void WeightBinder::ignore_suffix(const std::string& suffix) { ignored_suffixes_.push_back(suffix); }

bool WeightBinder::ignored(const std::string& name) const {
  for (const auto& p : ignored_prefixes_)
    if (name.rfind(p, 0) == 0) return true;
  for (const auto& s : ignored_suffixes_)
    if (ends_with(name, s)) return true;
  return false;
}

void WeightBinder::finish(const std::string& prefix) const {
  std::vector<std::string> unexpected;
  for (const auto& name : checkpoint_.names())
    if (name.rfind(prefix, 0) == 0 && !bound_.count(name) && !ignored(name)) unexpected.push_back(name);
  if (unexpected.empty()) return;
  std::ostringstream out;
  out << checkpoint_.path().string() << ": unexpected weight '" << unexpected.front() << "'";
  if (unexpected.size() > 1) out << " (and " << unexpected.size() - 1 << " more unexpected keys)";
  throw Error(out.str());
}

}  // namespace lisa::models
