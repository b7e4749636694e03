#pragma once
// Typed access to the fields of one JSON object, with errors that name the source and field.
// A field set to null counts as absent.
#include <nlohmann/json.hpp>

#include <string>

namespace lisa::config {

class JsonFields {
 public:
  // Throws lisa::Error unless `object` is a JSON object.
  JsonFields(const nlohmann::json& object, std::string source);

  const nlohmann::json* find(const char* key) const;
  bool has(const char* key) const { return find(key) != nullptr; }

  int64_t integer(const char* key) const;
  int64_t integer(const char* key, int64_t fallback) const;
  // An integer in [min, max] (required, or `fallback` when absent); the error names the field, its
  // value and the range.
  int64_t integer_in(const char* key, int64_t min, int64_t max) const;
  int64_t integer_in(const char* key, int64_t min, int64_t max, int64_t fallback) const;
  double number(const char* key) const;
  double number(const char* key, double fallback) const;
  // A finite number in (0, max] (required, or `fallback` when absent).
  double positive_number(const char* key, double max) const;
  double positive_number(const char* key, double max, double fallback) const;
  bool boolean(const char* key, bool fallback) const;
  std::string text(const char* key, const std::string& fallback) const;

  [[noreturn]] void fail(const std::string& key, const std::string& problem) const;
  const std::string& source() const { return source_; }

 private:
  const nlohmann::json& require(const char* key) const;
  int64_t as_integer(const char* key, const nlohmann::json& value) const;
  double as_number(const char* key, const nlohmann::json& value) const;
  int64_t in_range(const char* key, int64_t value, int64_t min, int64_t max) const;
  double positive_up_to(const char* key, double value, double max) const;

  const nlohmann::json& object_;
  std::string source_;
};

}  // namespace lisa::config
