#pragma once
// One exception type for everything the library reports to a user. The message must say which
// file / key / input is at fault and what is wrong with it, so the CLI can print it as is.
#include <stdexcept>
#include <string>

namespace lisa {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace lisa
