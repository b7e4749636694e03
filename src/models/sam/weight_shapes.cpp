#include "models/sam/weight_shapes.h"

#include <sstream>

#include "lisa/error.h"

namespace lisa::models::sam {

void throw_shape_error(const WeightScope& scope, const std::string& name, const std::vector<int64_t>& shape,
                       const std::string& expectation) {
  std::ostringstream out;
  out << scope.binder().checkpoint().path().string() << ": weight '" << scope.prefix() << name << "' has shape [";
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << "], expected " << expectation;
  throw Error(out.str());
}

void throw_missing(const WeightScope& scope, const std::string& name) {
  throw Error(detail::concat(scope.binder().checkpoint().path().string(), ": missing weight '", scope.prefix(), name, "'"));
}

std::vector<int64_t> shape_with_rank(const WeightScope& scope, const std::string& name, size_t rank) {
  auto shape = scope.shape_of(name);
  if (shape.size() != rank) throw_shape_error(scope, name, shape, detail::concat(rank, " dimensions"));
  return shape;
}

int64_t count_list_entries(const WeightScope& scope, const std::string& list, const std::string& probe) {
  int64_t count = 0;
  while (scope.contains(list + "." + std::to_string(count) + "." + probe)) ++count;
  return count;
}

}  // namespace lisa::models::sam
