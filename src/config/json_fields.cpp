#include "config/json_fields.h"

#include "lisa/error.h"

namespace lisa::config {

JsonFields::JsonFields(const nlohmann::json& object, std::string source)
    : object_(object), source_(std::move(source)) {
  LISA_CHECK(object_.is_object(), source_, ": expected a JSON object, found ", object_.type_name());
}

void JsonFields::fail(const std::string& key, const std::string& problem) const {
  throw Error(detail::concat(source_, ": field '", key, "' ", problem));
}

const nlohmann::json* JsonFields::find(const char* key) const {
  auto found = object_.find(key);
  return found == object_.end() || found->is_null() ? nullptr : &*found;
}

const nlohmann::json& JsonFields::require(const char* key) const {
  const auto* value = find(key);
  if (!value) fail(key, "is missing");
  return *value;
}

int64_t JsonFields::as_integer(const char* key, const nlohmann::json& value) const {
  if (!value.is_number_integer()) fail(key, std::string("must be an integer, not ") + value.type_name() + " " + value.dump());
  if (value.is_number_unsigned() && value.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) fail(key, "is too large");
  return value.get<int64_t>();
}

double JsonFields::as_number(const char* key, const nlohmann::json& value) const {
  if (!value.is_number()) fail(key, std::string("must be a number, not ") + value.type_name() + " " + value.dump());
  return value.get<double>();
}

int64_t JsonFields::integer(const char* key) const { return as_integer(key, require(key)); }

int64_t JsonFields::integer(const char* key, int64_t fallback) const {
  const auto* value = find(key);
  return value ? as_integer(key, *value) : fallback;
}

int64_t JsonFields::in_range(const char* key, int64_t value, int64_t min, int64_t max) const {
  if (value < min || value > max)
    fail(key, detail::concat("is ", value, "; it must be between ", min, " and ", max));
  return value;
}

int64_t JsonFields::integer_in(const char* key, int64_t min, int64_t max) const {
  return in_range(key, integer(key), min, max);
}

int64_t JsonFields::integer_in(const char* key, int64_t min, int64_t max, int64_t fallback) const {
  return in_range(key, integer(key, fallback), min, max);
}

double JsonFields::positive_up_to(const char* key, double value, double max) const {
  // Written so that NaN fails too.
  if (!(value > 0 && value <= max)) fail(key, detail::concat("is ", value, "; it must be above 0 and at most ", max));
  return value;
}

double JsonFields::positive_number(const char* key, double max) const {
  return positive_up_to(key, number(key), max);
}

double JsonFields::positive_number(const char* key, double max, double fallback) const {
  return positive_up_to(key, number(key, fallback), max);
}

double JsonFields::number(const char* key) const { return as_number(key, require(key)); }

double JsonFields::number(const char* key, double fallback) const {
  const auto* value = find(key);
  return value ? as_number(key, *value) : fallback;
}

bool JsonFields::boolean(const char* key, bool fallback) const {
  const auto* value = find(key);
  if (!value) return fallback;
  if (!value->is_boolean()) fail(key, std::string("must be true or false, not ") + value->dump());
  return value->get<bool>();
}

std::string JsonFields::text(const char* key, const std::string& fallback) const {
  const auto* value = find(key);
  if (!value) return fallback;
  if (!value->is_string()) fail(key, std::string("must be a string, not ") + value->dump());
  return value->get<std::string>();
}

}  // namespace lisa::config
