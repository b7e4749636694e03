#pragma once
// Shape questions SAM asks of its checkpoint: SAM ships no config file, so every dimension of the
// network is read off the weights. Failures name the checkpoint and the key at fault.
#include <cstdint>
#include <string>
#include <vector>

#include "lisa/models/weights.h"

namespace lisa::models::sam {

// Throws lisa::Error "<checkpoint>: weight '<key>' has shape [..], expected <expectation>".
[[noreturn]] void throw_shape_error(const WeightScope& scope, const std::string& name,
                                    const std::vector<int64_t>& shape, const std::string& expectation);

// Throws lisa::Error "<checkpoint>: missing weight '<key>'".
[[noreturn]] void throw_missing(const WeightScope& scope, const std::string& name);

// The stored shape of `name`, which must have `rank` dimensions.
std::vector<int64_t> shape_with_rank(const WeightScope& scope, const std::string& name, size_t rank);

// How many consecutive entries `<list>.<i>.<probe>` exist, counting from i = 0
// (the depth of a ModuleList whose entries all own the weight `probe`).
int64_t count_list_entries(const WeightScope& scope, const std::string& list, const std::string& probe);

}  // namespace lisa::models::sam
